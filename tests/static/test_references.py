"""References in the repository point inside it: code, data and tests cite ``docs/domain.md`` (or the law),
never a domain file outside the repo nor a tracker's issue number, and every section they cite exists.

The rules themselves are stated once, in ``docs/domain.md``; a comment that cites ``docs/domain.md §4.2``
must find a ``### 4.2`` heading there, and each section must carry a CONFIRMED / LIKELY / UNSURE mark.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_DOC = ROOT / "docs" / "domain.md"
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()
# Where citations must stay inside the repo (docs/ may discuss history; the code may not point at it).
CHECKED = ("functions/", "infra/", "schemas/", "tests/", "benchmarks/", "Makefile", "README.md")

# A domain reference file outside the repo: "DOMAIN §4", "DOMAIN.md", "DOMAIN is silent", "../shared/...".
# Identifiers such as FALLBACK_SENDER_DOMAIN are words of their own and do not match.
OUTSIDE = re.compile(r"(?<![\w.])DOMAIN(?!\w)|\.\./shared\b")
# An issue tracker's number: "issue 7", "Issue 7:", "issues 6-7", "issue #7", "(#7)", "(issue: ...)". A full
# URL to another project's issue (".../issues/123") names where it lives and is fine.
ISSUE = re.compile(r"(?i)\bissues?\s*#?\d+\b|\(#\d+\)|\(issue:")
CITATION = re.compile(r"docs/domain\.md\s*((?:§\d+(?:\.\d+)?(?:\s*(?:,|–|-|/|and)\s*)?)+)")
SECTION = re.compile(r"§(\d+(?:\.\d+)?)")
HEADING = re.compile(r"^(##|###) (\d+(?:\.\d+)?)\.? (.+)$", re.MULTILINE)
MARK = re.compile(r"\b(CONFIRMED|LIKELY|UNSURE)\b")


def _tracked_text_files() -> dict[str, str]:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split("\0")
    out: dict[str, str] = {}
    for name in names:
        if not name or name == THIS_FILE or not (ROOT / name).is_file():
            continue
        try:
            out[name] = (ROOT / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:  # fonts, images
            continue
    return out


FILES = _tracked_text_files()


def _hits(pattern: re.Pattern[str], prefixes: tuple[str, ...]) -> list[str]:
    return [f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
            for name, text in FILES.items() if name.startswith(prefixes)
            for m in pattern.finditer(text)]


def _sections() -> dict[str, str]:
    """Section number -> its body (up to the next heading of any level)."""
    text = DOMAIN_DOC.read_text(encoding="utf-8")
    heads = list(HEADING.finditer(text))
    return {h.group(2): text[h.end():(heads[i + 1].start() if i + 1 < len(heads) else len(text))]
            for i, h in enumerate(heads)}


def test_nothing_cites_a_domain_file_outside_the_repo() -> None:
    assert _hits(OUTSIDE, CHECKED) == []


def test_nothing_cites_an_issue_number() -> None:
    assert _hits(ISSUE, CHECKED) == []


def test_every_cited_section_of_the_domain_doc_exists() -> None:
    sections = _sections()
    cited = [(name, n) for name, text in FILES.items() for m in CITATION.finditer(text)
             for n in SECTION.findall(m.group(1))]
    assert len(cited) > 20  # the code does cite it; a broken pattern would find nothing and pass
    assert [f"{name}: §{n}" for name, n in cited if n not in sections] == []


def test_section_numbers_are_unique_and_nested() -> None:
    text = DOMAIN_DOC.read_text(encoding="utf-8")
    heads = [(h.group(1), h.group(2)) for h in HEADING.finditer(text)]
    numbers = [n for _, n in heads]
    assert len(numbers) == len(set(numbers))
    chapter = None
    for level, number in heads:
        if level == "##":
            chapter = number
            assert "." not in number
        else:
            assert number.split(".")[0] == chapter, f"§{number} is outside chapter {chapter}"


@pytest.mark.parametrize("number", [n for n in _sections() if not any(m.startswith(f"{n}.") for m in _sections())])
def test_every_rule_section_carries_a_certainty_mark(number: str) -> None:
    # A chapter's own text may hold a mark for all its sections; a section without subsections needs its own.
    sections = _sections()
    chapter = number.split(".")[0]
    body = sections[number] + (sections[chapter] if "." in number else "")
    assert MARK.search(body), f"docs/domain.md §{number} says neither CONFIRMED, LIKELY nor UNSURE"


@pytest.mark.parametrize("line", ["see DOMAIN §4", "(DOMAIN.md §2)", "UNSURE: DOMAIN is silent",
                                  "python -m x ../shared/data/procedures.json"])
def test_the_outside_pattern_catches_each_form(line: str) -> None:
    assert OUTSIDE.search(line)


@pytest.mark.parametrize("line", ["(issue 7)", "Issue 6: SLA notices", "issues 6-7", "issue #12", "fixed in (#8)",
                                  "Goal (issue: hostile input)"])
def test_the_issue_pattern_catches_each_form(line: str) -> None:
    assert ISSUE.search(line)


@pytest.mark.parametrize("line", ["FALLBACK_SENDER_DOMAIN = 'motcua.local'", 'fill="#1f6feb"', "TIMER#0",
                                  "https://github.com/aws/aws-cdk/issues/12345", "issued 18:30 UTC",
                                  "the apology was issued"])
def test_the_patterns_leave_ordinary_text_alone(line: str) -> None:
    assert not OUTSIDE.search(line) and not ISSUE.search(line)


LINK = re.compile(r"\]\(([^)\s]+?\.md)?(?:#([^)\s]+))?\)")
MD_HEADING = re.compile(r"^#{1,6} (.+?)\s*$", re.MULTILINE)


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped (letters of any script kept), spaces to
    hyphens, repeats numbered."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.DOTALL)  # "# comment" lines inside code blocks
    seen: dict[str, int] = {}
    out: set[str] = set()
    for m in MD_HEADING.finditer(text):
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def test_links_between_the_docs_reach_a_file_and_a_heading() -> None:
    broken = []
    for name, text in FILES.items():
        if not name.endswith(".md"):
            continue
        for m in LINK.finditer(text):
            target, anchor = m.group(1), m.group(2)
            if (target is None and anchor is None) or (target and "://" in target):
                continue
            path = (ROOT / name).parent / target if target else ROOT / name
            if not path.is_file() or (anchor and anchor not in _anchors(path.read_text(encoding="utf-8"))):
                broken.append(f"{name}: {m.group(0)}")
    assert broken == []


# A path the docs name in backticks, from the repo root or from a room of the code (``service/sla.py``).
DOC_PATH = re.compile(r"`((?:functions|infra|schemas|tests|benchmarks|handlers|service|data|domain|documents|"
                      r"notifications|cli|seed)/[\w./-]*[\w/])`")


def test_paths_the_docs_name_exist() -> None:
    # Code moves; a map that names a file no longer there sends the reader nowhere.
    def exists(path: str) -> bool:
        module = path.rsplit(".", 1)[0] + ".py"  # ``infra/constructs/nag.acknowledge``: an attribute
        return any((base / p).exists() for base in (ROOT, ROOT / "functions" / "motcua") for p in (path, module))

    stale = [f"{name}: {m.group(1)}" for name, text in FILES.items()
             if name.endswith(".md") and name.startswith(("docs/", "README"))
             for m in DOC_PATH.finditer(text) if not exists(m.group(1))]
    assert stale == []
