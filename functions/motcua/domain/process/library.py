"""The seeded internal procedures, the choice of one per dossier, and the generated default.

docs/domain.md §11.3. Definitions live as files (``functions/motcua/seed/processes/*.json``, each a list of
definitions); every one is checked against the catalogue when loaded, so a broken seed file fails loudly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from functools import cache
from pathlib import Path

from motcua.domain.actors import Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.catalogue import Procedure
from motcua.domain.process.model import Action, Budget, BudgetUnit, ProcessDefinition, Step
from motcua.domain.process.rules import legal_limits, limit_in_hours, violations
from motcua.domain.status import DossierStatus
from motcua.domain.steps import ProcessPin

# The packaged seed (``motcua/seed``, as ``motcua.domain.index.units.SEED_DIR``), named here so that loading the
# steps does not import the index package.
PROCESS_DIR = Path(__file__).resolve().parents[2] / "seed" / "processes"


class SeedError(ValueError):
    """A seeded definition that cannot be used: the message names the file and every reason."""


def read_definitions(path: Path) -> list[ProcessDefinition]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [ProcessDefinition.model_validate(item) for item in (raw if isinstance(raw, list) else [raw])]


@dataclass(frozen=True)
class Finding:
    """One reason a file's definition cannot be used: a broken rule, an unreadable file or an unknown procedure."""

    file: str
    definition: str  # "procedure/agency/vN", or "-" when the file could not be read
    code: str
    message_vi: str
    message_en: str


def check_file(path: Path, procedures: Mapping[str, Procedure]) -> tuple[list[ProcessDefinition], list[Finding]]:
    """The definitions in ``path`` and every reason any of them cannot be used."""
    try:
        definitions = read_definitions(path)
    except (ValueError, OSError) as exc:  # unreadable JSON, or a definition of the wrong shape
        return [], [Finding(path.name, "-", "PROCESS_UNREADABLE", "Không đọc được tệp quy trình: " + str(exc),
                            "The process file cannot be read: " + str(exc))]
    findings: list[Finding] = []
    for d in definitions:
        label = f"{d.procedure_code}/{d.agency or 'default'}/v{d.version}"
        procedure = procedures.get(d.procedure_code)
        if procedure is None:
            findings.append(Finding(path.name, label, "PROCESS_UNKNOWN_PROCEDURE",
                                    f"Thủ tục {d.procedure_code} không có trong danh mục.",
                                    f"Procedure {d.procedure_code} is not in the catalogue."))
            continue
        findings.extend(Finding(path.name, label, v.code, v.message_vi, v.message_en)
                        for v in violations(d, procedure))
    return definitions, findings


def load(paths: Iterable[Path], procedures: Mapping[str, Procedure]) -> tuple[ProcessDefinition, ...]:
    """Every definition in ``paths``, each checked against its procedure; raises :class:`SeedError`."""
    out: list[ProcessDefinition] = []
    for path in sorted(paths):
        definitions, findings = check_file(path, procedures)
        if findings:
            raise SeedError(f"{path.name}: " + "; ".join(f"{f.code}: {f.message_en}" for f in findings))
        out.extend(definitions)
    keys = [d.key for d in out]
    dated = [(d.procedure_code, d.agency, d.effective_from) for d in out]
    if len(set(keys)) != len(keys) or len(set(dated)) != len(dated):
        raise SeedError("two seeded definitions share a (procedure, agency) and a version or an effective date")
    return tuple(out)


@cache
def catalogue() -> dict[str, Procedure]:
    """The seeded catalogue by procedure code (read once, by the index's loader)."""
    from motcua.domain.index.units import load_default_procedures  # the index package: only where this is read

    return {p.code: p for p in load_default_procedures()}


@cache
def seeded() -> tuple[ProcessDefinition, ...]:
    return load(PROCESS_DIR.glob("*.json"), catalogue())


def select(definitions: Sequence[ProcessDefinition], procedure_code: str, agency: str | None,
           at: datetime) -> ProcessDefinition | None:
    """The definition in force at ``at`` for this procedure at this agency, else the procedure's default.

    In force: the latest ``effective_from`` not after ``at`` (a dossier keeps the version in force when it
    was received, as with the rule versions of docs/domain.md §1.1); an agency's own definition wins over
    the default (``agency=None``) whatever their dates.
    """
    if at.tzinfo is None:
        raise ValueError("select needs an aware datetime")
    for wanted in ([agency, None] if agency is not None else [None]):
        in_force = [d for d in definitions if d.procedure_code == procedure_code and d.agency == wanted
                    and d.effective_from <= at]
        if in_force:
            return max(in_force, key=lambda d: (d.effective_from, d.version))
    return None


def definition_for(procedure: Procedure, agency: str | None, at: datetime,
                   definitions: Sequence[ProcessDefinition] | None = None) -> ProcessDefinition:
    """The seeded definition in force, or the generated default when the procedure has none."""
    chosen = select(seeded() if definitions is None else definitions, procedure.code, agency, at)
    return chosen or default_definition(procedure)


# --------------------------------------------------------------------------------------------------------
# The generated default

_QUARTER = Decimal("0.25")
# Shares of the limit (UNSURE, docs/domain.md §11.3): the published procedures give reception and return
# half a day each and the leader about a day; processing gets the rest.
_SHARES = {"reception": Decimal("0.10"), "approval": Decimal("0.15"), "return": Decimal("0.10")}


def split_limit(total_hours: Decimal) -> dict[str, Decimal]:
    """Reception, processing, approval and return, in quarter hours, never more than ``total_hours``."""
    quarters = int((total_hours / _QUARTER).to_integral_value(ROUND_FLOOR))
    if quarters < 4:
        raise ValueError(f"a limit of {total_hours} working hours cannot hold four steps")
    parts = {name: max(1, int(quarters * share)) for name, share in _SHARES.items()}
    parts["processing"] = quarters - sum(parts.values())
    return {name: parts[name] * _QUARTER for name in ("reception", "processing", "approval", "return")}


def default_definition(procedure: Procedure) -> ProcessDefinition:
    """Four steps sharing the procedure's shortest channel limit, with one supplement and a stop."""
    hours = min(limit_in_hours(limit) for limit in legal_limits(procedure).values())
    share = split_limit(hours)
    commune = procedure.competent_agency.kind == "commune"
    specialist = "Công chức chuyên môn" if commune else "Phòng chuyên môn"
    leader = "Lãnh đạo UBND xã" if commune else "Lãnh đạo cơ quan"

    def budget(name: str) -> Budget:
        return Budget(value=share[name], unit=BudgetUnit.WORKING_HOURS)

    def to(code: str, name_vi: str, step: str) -> Action:
        return Action(code=code, name_vi=name_vi, to_step=step)

    def end(code: str, name_vi: str, status: DossierStatus) -> Action:
        return Action(code=code, name_vi=name_vi, to_status=status)

    desk = "Bộ phận Một cửa"
    steps = (
        Step(code="TIEP_NHAN", name_vi="Tiếp nhận, số hoá và chuyển hồ sơ", unit=desk,
             role=Role.RECEPTION_OFFICER, status=DossierStatus.RECEIVED, budget=budget("reception"),
             actions=(to("CHUYEN_XU_LY", "Chuyển xử lý", "THAM_DINH"),)),
        Step(code="THAM_DINH", name_vi="Thẩm định hồ sơ, dự thảo kết quả", unit=specialist,
             role=Role.PROCESSING_OFFICER, status=DossierStatus.PROCESSING, budget=budget("processing"),
             actions=(to("TRINH_KY", "Trình lãnh đạo", "PHE_DUYET"),
                      to("YEU_CAU_BO_SUNG", "Yêu cầu bổ sung hồ sơ", "CHO_BO_SUNG"),
                      end("DUNG_XU_LY", "Dừng xử lý", DossierStatus.STOPPED))),
        Step(code="CHO_BO_SUNG", name_vi="Chờ công dân bổ sung hồ sơ", unit=desk,
             role=Role.RECEPTION_OFFICER, status=DossierStatus.SUPPLEMENT_REQUESTED,
             actions=(to("NHAN_BO_SUNG", "Nhận hồ sơ bổ sung", "THAM_DINH_SAU_BO_SUNG"),
                      end("DUNG_XU_LY", "Dừng xử lý", DossierStatus.STOPPED))),
        Step(code="THAM_DINH_SAU_BO_SUNG", name_vi="Thẩm định hồ sơ đã bổ sung", unit=specialist,
             role=Role.PROCESSING_OFFICER, status=DossierStatus.PROCESSING, continues="THAM_DINH",
             actions=(to("TRINH_KY", "Trình lãnh đạo", "PHE_DUYET"),
                      end("DUNG_XU_LY", "Dừng xử lý", DossierStatus.STOPPED))),
        Step(code="PHE_DUYET", name_vi="Xem xét, ký duyệt kết quả", unit=leader, role=Role.AGENCY_LEADER,
             status=DossierStatus.PROCESSING, budget=budget("approval"),
             actions=(to("KY_DUYET", "Ký duyệt", "TRA_KET_QUA"),)),
        Step(code="TRA_KET_QUA", name_vi="Trả kết quả", unit=desk, role=Role.RECEPTION_OFFICER,
             status=DossierStatus.DECIDED, budget=budget("return"),
             actions=(end("TRA", "Trả kết quả cho công dân", DossierStatus.RETURNED),)),
    )
    return ProcessDefinition(
        procedure_code=procedure.code, version=1, name_vi=f"Quy trình mặc định: {procedure.name_vi}",
        effective_from=datetime(procedure.effective_from.year, procedure.effective_from.month,
                                procedure.effective_from.day, tzinfo=VN_TZ),
        start="TIEP_NHAN", steps=steps, mark="UNSURE", generated=True,
        notes=("Generated: the legal limit split across reception, processing, approval and return.",))


def pinned(pin: ProcessPin, procedure: Procedure,
           definitions: Sequence[ProcessDefinition] | None = None) -> ProcessDefinition:
    """The definition a dossier pinned at reception (docs/domain.md §11.4), whatever came into force since."""
    if pin.generated:
        return default_definition(procedure)
    for d in seeded() if definitions is None else definitions:
        if d.key == (pin.procedure_code, pin.agency, pin.version):
            return d
    raise SeedError(f"pinned definition {pin.procedure_code}/{pin.agency or 'default'}/v{pin.version} is gone")
