"""Saving and loading: .kb text and .kbz snapshots round-trip every answer; /save by label or
GUID list; saves are atomic (temporary file + rename)."""
from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings

from lang.terms import Symbol
from substrate import Substrate
from substrate import snapshot

from kbgen import answers, console, isolated_home, knowledge_bases, shape  # noqa: F401  (fixture)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _round_trip(text: str, queries: list, ext: str) -> None:
    kb = Substrate()
    kb.load_text(text, "gen.kb")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "saved" + ext)
        assert kb.run(f'/save("{path}")')
        again = Substrate()
        (res,) = again.load(path)
        assert res.error is None, f"{res.error}\n--- saved from ---\n{text}"
        assert shape(again) == shape(kb)
        for q in queries:
            assert answers(again, q) == answers(kb, q), (q, text)
        if ext == ".kb":  # saving what was loaded writes the same text again
            second = os.path.join(d, "second.kb")
            assert again.run(f'/save("{second}")')
            with open(path) as f1, open(second) as f2:
                assert f1.read() == f2.read()


@SETTINGS
@given(knowledge_bases())
def test_kb_round_trip(kb_and_queries):
    _round_trip(*kb_and_queries, ".kb")


@SETTINGS
@given(knowledge_bases())
def test_kbz_round_trip(kb_and_queries):
    _round_trip(*kb_and_queries, ".kbz")


KNOWLEDGE = """
p { index = [0], tag = "x" } { (1, 'a b'); (2, "two\\n"); (3, [1, f(:x, :x)]) := 0.5; }
q { (1); }
p { (4, z); }
r { (:x)^ :- #p(:x, _), !; (:x, :y) :- ~#q(:x), #p(:x, :y); }
"""


@pytest.mark.parametrize("ext", [".kb", ".kbz"])
def test_save_by_label_and_by_guids(tmp_path, ext):
    kb, c, out = console()
    kb.load_text(KNOWLEDGE)
    by_label = str(tmp_path / ("p" + ext))
    assert c.run_line(f'/save("{by_label}", p)'), out
    assert out[-1].startswith(f"% saved 2 elementals (4 entries) to {by_label}")
    only_p = Substrate()
    only_p.load(by_label)
    assert only_p.labels() == ["p"] and len(only_p.with_label("p")) == 2
    assert answers(only_p, "#p(:x, :y)") == answers(kb, "#p(:x, :y)")

    guids = [kb.elemental_ids("p")[1], kb.elemental_ids("r")[0]]
    by_guid = str(tmp_path / ("g" + ext))
    assert c.run_line(f'/save("{by_guid}", ["{guids[0]}", "{guids[1]}"])'), out
    picked = Substrate()
    picked.load(by_guid)
    assert [(e.cls, e.label, e.count()) for e in picked.elementals.values()] == [("facts", "p", 1), ("rules", "r", 2)]

    assert not c.run_line(f'/save("{by_guid}", nosuch)')
    assert out[-1] == "error: /save: no elemental holds nosuch"
    assert not c.run_line(f'/save("{by_guid}", ["0123"])')
    assert out[-1] == "error: /save: no elemental has GUID 0123"


@pytest.mark.parametrize("ext", [".kb", ".kbz"])
def test_a_failing_save_leaves_the_old_file_intact(tmp_path, monkeypatch, ext):
    kb, c, out = console()
    kb.load_text(KNOWLEDGE)
    path = tmp_path / ("keep" + ext)
    path.write_bytes(b"old contents")

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshot.os, "fsync", broken_fsync)
    assert not c.run_line(f'/save("{path}")')
    assert out[-1].startswith("error: cannot write") and "No space left on device" in out[-1]
    assert path.read_bytes() == b"old contents"
    assert sorted(os.listdir(tmp_path)) == sorted(["keep" + ext, "home"])


def test_save_into_a_missing_folder_is_one_clear_error(tmp_path):
    kb, c, out = console()
    kb.load_text("q { (1); }")
    assert not c.run_line(f'/save("{tmp_path}/no/such/dir/x.kb")')
    assert out[-1].startswith("error: cannot write")
    assert c.run_line("#q(1)")


def test_a_corrupt_snapshot_loads_nothing(tmp_path):
    bad = tmp_path / "bad.kbz"
    bad.write_bytes(b"\x93not a snapshot")
    kb, c, out = console()
    assert not c.run_line(f'/load("{bad}")')
    assert "not a readable .kbz snapshot" in out[-1]
    assert kb.labels() == []


@pytest.mark.parametrize("ext", [".kb", ".kbz"])
def test_truth_values_and_empty_definitions_survive(tmp_path, ext):
    kb = Substrate()
    kb.load_text("e { }\nw { (1) := 0.25; (2); (3) := 1; }\nz { () ; }")
    path = str(tmp_path / ("t" + ext))
    assert kb.run(f'/save("{path}")')
    again = Substrate()
    assert again.load(path)[0].error is None
    assert shape(again) == shape(kb)
    assert answers(again, "#w(:x)") == [([("x", "1")], 0.25), ([("x", "2")], 1.0), ([("x", "3")], 1.0)]


def test_a_quoted_label_saves_to_a_loadable_file(tmp_path):
    kb = Substrate()
    assert kb.run("assert('my label'(1))")
    path = str(tmp_path / "q.kb")
    assert kb.run(f'/save("{path}")')
    assert Substrate().load(path)[0].error is None


@pytest.mark.parametrize("ext", [".kb", ".kbz"])
def test_lone_surrogates_print_save_and_load_back(tmp_path, ext):
    kb = Substrate()
    assert kb.run('assert(u("a\\ud800b")), assert(u(\'s\\udfff\'))')
    assert answers(kb, "#u(:s)") == [([("s", '"a\\ud800b"')], 1.0), ([("s", "'s\\udfff'")], 1.0)]
    path = str(tmp_path / ("u" + ext))
    assert kb.run(f'/save("{path}")')
    again = Substrate()
    assert again.load(path)[0].error is None
    assert [a["s"] for a in again.query("#u(:s)")] == ["a\ud800b", Symbol("s\udfff")]
