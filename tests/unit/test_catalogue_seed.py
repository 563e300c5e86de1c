"""The committed catalogue is the shared seed, adapted; every procedure is real and keeps its marks."""

from __future__ import annotations

import json
from pathlib import Path

from motcua.domain.catalogue import Channel, Level, Procedure
from motcua.domain.clock import TimeUnit
from motcua.seed import convert

SHARED_SEED = Path(__file__).resolve().parents[3] / "shared" / "data" / "procedures.json"
COMMITTED = Path(convert.__file__).parent / "procedures.json"


def committed() -> list[Procedure]:
    return [Procedure.model_validate(p) for p in json.loads(COMMITTED.read_text(encoding="utf-8"))]


def test_committed_catalogue_equals_a_fresh_conversion_of_the_shared_seed() -> None:
    # shared/ sits beside the repo in every session and in CI; its absence is a setup error, not a skip.
    assert SHARED_SEED.exists(), f"the shared seed is missing at {SHARED_SEED}"
    assert json.loads(COMMITTED.read_text(encoding="utf-8")) == convert.convert(SHARED_SEED)


def test_catalogue_has_at_least_25_real_procedures_across_levels_and_sectors() -> None:
    procedures = committed()
    assert len(procedures) >= 25
    assert len({p.code for p in procedures}) == len(procedures)
    assert {Level.PROVINCE, Level.COMMUNE} <= {p.level for p in procedures}
    assert len({p.sector_group for p in procedures}) >= 8


def test_every_deadline_unit_of_the_domain_is_exercised() -> None:
    units = {p.time_limit.unit for p in committed()}
    assert {TimeUnit.WORKING_DAYS, TimeUnit.CALENDAR_DAYS, TimeUnit.SAME_DAY_15H_CUTOFF} <= units


def test_known_records_are_adapted_faithfully() -> None:
    by_code = {p.code: p for p in committed()}
    birth = by_code["1.001193"]  # Thủ tục đăng ký khai sinh: commune, same day with the 15:00 cut-off
    assert birth.name_vi == "Thủ tục đăng ký khai sinh"
    assert birth.level is Level.COMMUNE and birth.competent_agency.kind == "commune"
    assert birth.time_limit.unit is TimeUnit.SAME_DAY_15H_CUTOFF
    assert birth.online.allowed and Channel.POST in birth.channels
    criminal = by_code["3.000333"]  # Phiếu lý lịch tư pháp: 10 (calendar) days, CONFIRMED
    assert criminal.time_limit.unit is TimeUnit.CALENDAR_DAYS and criminal.time_limit.value == 10
    counter_only = by_code["2.000986"]  # listed only "trực tiếp": no online submission
    assert counter_only.channels == [Channel.COUNTER] and not counter_only.online.allowed
    # No time limit anywhere in the seed: a configurable default, visibly marked as such.
    assert by_code["2.001035"].provenance.marks["time_limit"] == "UNSURE-DEFAULTED"


def test_fees_without_an_amount_are_set_by_the_province() -> None:
    for procedure in committed():
        assert procedure.fee.set_by_province is (procedure.fee.amounts_vnd is None)
