"""The conformance suite: every case written in tests/programs/*.kb, run through the console.

The format is described in tests/programs/README.md: a case is a `// ?- query` comment followed
by the exact lines the console prints for it, ending with the `% N solutions` summary (timing
removed) or an `error:` line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from substrate import Substrate
from substrate.console import Console

pytestmark = pytest.mark.usefixtures("hosting")  # every case twice: in-process, then on Ray (conftest)

PROGRAMS = Path(__file__).resolve().parent / "programs"
_TIMING = re.compile(r" in [0-9]+(?:\.[0-9]+)? (?:ms|s)\b")


@dataclass
class Case:
    file: Path
    line: int
    query: str
    expected: list[str]

    @property
    def id(self) -> str:
        return f"{self.file.stem}:{self.line}"


def parse_cases(path: Path) -> list[Case]:
    """Read the `// ?-` cases of one program file."""
    cases: list[Case] = []
    current: Case | None = None
    in_error = False
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip()
        if line.startswith("// ?- "):
            if current is not None:
                if not in_error:
                    raise ValueError(f"{path.name}:{current.line}: case has no summary or error line")
                cases.append(current)
            current = Case(path, n, line[len("// ?- "):], [])
            in_error = False
            continue
        if current is None:
            continue
        if in_error:
            if line.startswith("//     "):
                current.expected.append(line[3:])
                continue
            cases.append(current)
            current, in_error = None, False
            continue
        if line.startswith("// ! ") or line == "// !":
            continue
        if not line.startswith("//"):
            raise ValueError(f"{path.name}:{n}: case starting at line {current.line} is not finished")
        text = line[3:] if line.startswith("// ") else ""
        current.expected.append(text)
        if text.startswith("% "):
            cases.append(current)
            current = None
        elif text.startswith("error: "):
            in_error = True
    if current is not None:
        if not in_error:
            raise ValueError(f"{path.name}:{current.line}: case has no summary or error line")
        cases.append(current)
    return cases


def _all_cases() -> list[Case]:
    out = []
    for path in sorted(PROGRAMS.glob("*.kb")):
        out.extend(parse_cases(path))
    return out


CASES = _all_cases()


def normalize(line: str) -> str:
    """Remove the timing from a summary line: '% 3 solutions in 1.2 ms' -> '% 3 solutions'."""
    if line.startswith("% "):
        return _TIMING.sub("", line, count=1)
    return line


def run_case(case: Case) -> list[str]:
    """Load the case's file into a fresh substrate and run its query; the printed lines."""
    lines: list[str] = []
    kb = Substrate()
    try:
        kb.load_text(case.file.read_text(encoding="utf-8"), case.file.name)
        console = Console(kb, out=lines.append)
        console.run_line(case.query)
    finally:
        kb.close()
    out: list[str] = []
    for chunk in lines:
        out.extend(chunk.split("\n"))
    return [normalize(x) for x in out]


def test_every_program_has_cases_and_a_header():
    files = sorted(PROGRAMS.glob("*.kb"))
    assert len(files) >= 12
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("// "), f"{path.name} must open with a comment saying what it demonstrates"
        assert parse_cases(path), f"{path.name} has no cases"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_program_case(case: Case):
    assert run_case(case) == case.expected, f"{case.file.name}:{case.line}: ?- {case.query}"


def test_parse_cases_reads_the_documented_format(tmp_path):
    p = tmp_path / "x.kb"
    p.write_text(
        "// demo\n"
        "t { (1); }\n"
        "// ?- #t(:x)\n// :x = 1\n// % 1 solution\n"
        "// ! a note\n"
        "// ?- sum(a, 1, :x)\n// error: <query>:1:1: boom\n//     context\n"
        "// ?- #t(2)\n// % 0 solutions\n",
        encoding="utf-8")
    cases = parse_cases(p)
    assert [(c.line, c.query, c.expected) for c in cases] == [
        (3, "#t(:x)", [":x = 1", "% 1 solution"]),
        (7, "sum(a, 1, :x)", ["error: <query>:1:1: boom", "    context"]),
        (10, "#t(2)", ["% 0 solutions"]),
    ]
    assert normalize("% 2 solutions in 0.41 ms (warning: no elemental holds foo/1)") == \
        "% 2 solutions (warning: no elemental holds foo/1)"
    assert normalize("% 1 solution in 1.52 s") == "% 1 solution"
