"""Order of operations a user will try (issue 10 §6): a tome elemental defined before its
folder holds data answers once the data arrives, exactly as one defined after the import."""
from __future__ import annotations

import os

from substrate import Substrate
from substrate.console import Console

from kbgen import isolated_home  # noqa: F401  (autouse fixture: HOME in a temporary folder)

DATA = "".join(f"{x} W {x % 7}.5 {x % 3}\n{x} C {x % 5} 1.25\n" for x in range(100, 40000, 37))


def _session(tmp_path, define_first: bool) -> list[str]:
    os.chdir(tmp_path)
    (tmp_path / "chr1.txt").write_text(DATA)
    kb = Substrate()
    out: list[str] = []
    c = Console(kb, out=out.append)
    lines = ['at { class = tome, path = "tome" } {}', '/import.tome("chr1.txt", "tome", 1)']
    if not define_first:
        lines.reverse()
    for line in lines:
        assert c.run_line(line), out
    out.clear()
    assert c.run_line("#at(1, 25733, 33925, :p, :m)")
    assert c.run_line("#at(1, 25733, 33925, 1, :p, :m)")
    assert c.run_line("/list(at)")
    kb.close()
    return [line.split(" in ")[0] for line in out if "GUID" not in line]


def test_define_then_import_answers_like_import_then_define(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _session(tmp_path / "a", define_first=True)
    then = _session(tmp_path / "b", define_first=False)
    assert first[0].startswith(":p = [") and "% 1 solution" in first
    assert [x.split("  ", 1)[-1] for x in first] == [x.split("  ", 1)[-1] for x in then]


def test_a_query_before_the_data_arrives_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    kb = Substrate()
    out: list[str] = []
    c = Console(kb, out=out.append)
    assert c.run_line('at { class = tome, path = "tome" } {}'), out
    assert c.run_line("/list(at)") and "  tome   at  0  {" in out[-2]
    assert not c.run_line("#at(1, 0, 10, :p, :m)")
    assert "tome folder 'tome' does not exist" in out[-1]
    assert not (tmp_path / "tome").exists()
