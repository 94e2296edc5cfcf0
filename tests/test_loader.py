"""Loading files: several files are compiled concurrently in worker processes and install
exactly as a sequential load would; every file is all-or-nothing."""
from __future__ import annotations

import os
import signal
import time

import pytest

from substrate import Substrate, loader

from kbgen import answers, console, isolated_home, shape  # noqa: F401  (fixture)


def _write_files(folder, n: int = 5) -> list[str]:
    paths = []
    for k in range(n):
        defs = [
            f"frag {{ index = 0 }} {{ " + " ".join(f'({k * 100 + i}, "f{k}_{i}");' for i in range(100)) + " }",
            f"tag {{ kind = file{k} }} {{ ({k}, 'file {k}'); }}",
            f"rule{k} {{ (:n, :s) :- #frag(:n, :s), lt(:n, {k * 100 + 3}); (:n)^ :- #tag(:n, _); }}",
        ]
        p = folder / f"part{k}.kb"
        p.write_text("\n".join(defs) + "\n")
        paths.append(str(p))
    return paths


@pytest.fixture
def fresh_pool():
    """Leave no broken worker pool behind for the next test."""
    yield
    if loader._pool is not None:
        loader._pool.shutdown(wait=False, cancel_futures=True)
        loader._pool = None


QUERIES = ["#frag(:n, :s)", "#frag(250, :s)", "#tag(:k, :n)", "#rule3(:n, :s)", "#rule0(:n)", "#rule4(4)"]


@pytest.mark.parametrize("workers", [1, 2])
def test_concurrent_load_equals_sequential_load(tmp_path, workers):
    paths = _write_files(tmp_path)
    seq = Substrate(workers=1)
    for p in paths:
        (res,) = seq.load(p)
        assert res.error is None
    par = Substrate(workers=workers)
    results = par.load(*paths)
    assert [r.file for r in results] == paths
    assert all(r.error is None for r in results)
    assert [r.statements for r in results] == [103] * len(paths)
    assert shape(par) == shape(seq)
    for q in QUERIES:
        assert answers(par, q) == answers(seq, q), q


def test_a_bad_file_among_many_loads_nothing_and_the_rest_load(tmp_path):
    paths = _write_files(tmp_path, 3)
    bad = tmp_path / "bad.kb"
    bad.write_text("ok { (1); }\nbroken { (:x) :- nosuch(:x); }\n")
    kb, c, out = console(Substrate(workers=2))
    assert not c.run_line("/load(" + ", ".join(f'"{p}"' for p in [paths[0], str(bad), paths[1], paths[2]]) + ")")
    loaded = [line.split(":")[0] for line in out if line.startswith("% loaded")]
    assert loaded == [f"% loaded {p}" for p in paths]
    assert "% 3 of 4 files in" in " ".join(out)
    assert any(line.startswith(f"error: {bad}:2:") and "nosuch" in line for line in out)
    assert "ok" not in kb.labels() and "broken" not in kb.labels()
    assert [e.label for e in kb.elementals.values()] == ["frag", "tag", "rule0", "frag", "tag", "rule1",
                                                          "frag", "tag", "rule2"]


def test_load_reports_missing_files_without_stopping(tmp_path):
    paths = _write_files(tmp_path, 2)
    kb = Substrate(workers=2)
    results = loader.load_files(kb, [paths[0], str(tmp_path / "missing.kb"), paths[1]])
    assert results[0].error is None and results[2].error is None
    assert "no such file" in str(results[1].error)
    assert len(kb.with_label("frag")) == 2


def test_load_message(tmp_path):
    paths = _write_files(tmp_path, 2)
    kb, c, out = console(Substrate(workers=2))
    assert c.run_line(f'/load("{paths[0]}", "{paths[1]}")')
    assert out[0].startswith(f"% loaded {paths[0]}: 3 elementals, 103 entries in ")
    assert out[2].startswith("% 2 of 2 files in ")


def test_loading_survives_a_dead_worker(tmp_path, fresh_pool):
    paths = _write_files(tmp_path, 3)
    kb = Substrate(workers=2)
    assert all(r.error is None for r in kb.load(*paths))
    pool = loader._pool
    assert pool is not None
    for pid in list(pool._processes or {}):
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.3)
    again = Substrate(workers=2)
    kb2, c, out = console(again)
    assert c.run_line("/load(" + ", ".join(f'"{p}"' for p in paths) + ")"), out
    assert shape(again) == shape(kb)


def test_snapshots_and_text_files_load_together_in_order(tmp_path):
    paths = _write_files(tmp_path, 3)
    donor = Substrate()
    donor.load(paths[1])
    kbz = str(tmp_path / "part1.kbz")
    assert donor.run(f'/save("{kbz}")')
    seq = Substrate(workers=1)
    for p in paths:
        seq.load(p)
    mixed = Substrate(workers=2)
    assert all(r.error is None for r in mixed.load(paths[0], kbz, paths[2]))
    assert shape(mixed) == shape(seq)
    for q in QUERIES:
        assert answers(mixed, q) == answers(seq, q), q
