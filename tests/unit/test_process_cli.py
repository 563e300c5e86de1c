"""`motcua process check`, called in-process through motcua.cli.main."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from motcua.cli import main
from tests.unit.test_process import _over_budget, _second_supplement, base


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_every_seeded_definition_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "process", "check")
    assert code == 0
    assert out.strip().endswith("0 refused")
    assert "12 definitions checked" in out


def test_a_broken_file_prints_each_violation_in_both_languages(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    broken = base()
    _over_budget(broken)
    _second_supplement(broken)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps([broken], ensure_ascii=False), encoding="utf-8")
    code, out = run(capsys, "process", "check", str(path))
    assert code == 1
    assert "PROCESS_BUDGET_EXCEEDS_LIMIT" in out and "PROCESS_SECOND_SUPPLEMENT" in out
    assert "vi: Có đường yêu cầu bổ sung hồ sơ 2 lần" in out
    assert "en: A path requests a supplement 2 times" in out
    assert "1 refused" in out

    code, out = run(capsys, "process", "check", "--json", str(path))
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert {line["code"] for line in lines} == {"PROCESS_BUDGET_EXCEEDS_LIMIT", "PROCESS_SECOND_SUPPLEMENT"}
    assert all(line["message_vi"] and line["message_en"] for line in lines)


def test_a_valid_file_passes_and_an_unreadable_one_fails(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(base(), ensure_ascii=False), encoding="utf-8")  # one definition, not a list
    assert run(capsys, "process", "check", str(good))[0] == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"procedure_code": "1.004873"}', encoding="utf-8")
    code, out = run(capsys, "process", "check", str(good), str(bad))
    assert code == 1 and "PROCESS_UNREADABLE" in out
    unknown = base()
    unknown["procedure_code"] = "9.999999"
    other = tmp_path / "unknown.json"
    other.write_text(json.dumps([unknown]), encoding="utf-8")
    code, out = run(capsys, "process", "check", str(other))
    assert code == 1 and "PROCESS_UNKNOWN_PROCEDURE" in out
