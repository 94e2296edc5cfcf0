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
    loader._reset_pool()


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
    assert pool.workers
    for w in pool.workers:
        os.kill(w.proc.pid, signal.SIGKILL)
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


# ---- progress within files (issue 10 §5) -----------------------------------------------------

def _data_file(folder, name: str, rows: int) -> str:
    """A data file of ``rows`` facts (about 30 bytes each), generated deterministically."""
    p = folder / name
    with open(p, "w") as f:
        f.write("d { index = 0 } {\n")
        f.writelines(f'  ({i}, "s{i * 7919 % 100003}", {"cw" if i % 2 else "ccw"});\n' for i in range(rows))
        f.write("}\n")
    return str(p)


def _loaded_with_progress(kb, paths):
    calls = []
    results = loader.load_files(kb, paths, progress=lambda done, total: calls.append((done, total)))
    assert all(r.error is None for r in results), [r.error for r in results]
    return calls


def test_one_large_file_reports_progress_while_it_parses(tmp_path):
    path = _data_file(tmp_path, "big.kb", 60000)
    size = os.path.getsize(path)
    calls = _loaded_with_progress(Substrate(workers=1), [path])
    done = [d for d, _ in calls]
    assert {t for _, t in calls} == {size}
    assert done == sorted(done) and done[-1] == size
    parsing = [d for d in done if 0 < d < loader.PARSE_SHARE * size]
    assert len(parsing) >= size // loader.PROGRESS_STEP // 2, calls   # the bar moves every step or so


def test_files_parsed_by_workers_report_progress(tmp_path, fresh_pool):
    paths = [_data_file(tmp_path, f"w{k}.kb", 40000) for k in range(2)]
    sizes = [os.path.getsize(p) for p in paths]
    kb = Substrate(workers=2)
    calls = _loaded_with_progress(kb, paths)
    pool = loader._pool
    assert pool is not None and not pool.broken and len(pool.workers) == 2   # both files went to workers
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == sum(sizes)
    # before the first file is installed, all that moved the bar were the workers' reports
    before_install = [d for d in done if d < loader.PARSE_SHARE * sizes[0]]
    assert len(before_install) >= 5, calls
    assert sum(e.count() for e in kb.with_label("d")) == 80000


# ---- interrupted and killed loads (issue 16 §4) ------------------------------------------------

def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, -signal.SIGTERM)])
def test_a_multi_file_load_stopped_by_a_signal_prints_nothing_and_leaves_no_worker(tmp_path, sig, status):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) or a kill while the
    workers parse: no traceback from any process, no leaked-resource warning, no worker left."""
    import subprocess
    import sys
    from pathlib import Path
    paths = [_data_file(tmp_path, f"s{k}.kb", 150000) for k in range(3)]
    repl = Path(__file__).resolve().parent.parent / "repl.py"
    p = subprocess.Popen([sys.executable, str(repl), *paths, "--workers", "2", "-e", "count(#d(_, _, _), :n)"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, cwd=tmp_path)
    deadline = time.monotonic() + 20
    while len(_children(p.pid)) < 2 and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.02)
    workers = _children(p.pid)
    assert len(workers) == 2, "the load should have started its two workers"
    time.sleep(0.3)
    os.killpg(p.pid, sig)
    out, err = p.communicate(timeout=20)
    assert p.returncode == status, (out, err)
    assert err == b"", err.decode()
    deadline = time.monotonic() + 5
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers)


def test_loads_from_two_threads_at_once_each_get_their_own_files(tmp_path, fresh_pool):
    """One load at a time uses the workers; a load in another thread meanwhile compiles in its
    own thread, and neither sees the other's files."""
    import threading
    paths = _write_files(tmp_path, 4)
    subs = [Substrate(workers=2), Substrate(workers=2)]
    errors: list = []

    def load(kb, mine):
        try:
            results = kb.load(*mine)
            assert [r.file for r in results] == mine and all(r.error is None for r in results)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=load, args=(subs[0], paths[:2])),
               threading.Thread(target=load, args=(subs[1], paths[2:]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(r["k"] for r in subs[0].query("#tag(:k, :n)")) == [0, 1]
    assert sorted(r["k"] for r in subs[1].query("#tag(:k, :n)")) == [2, 3]
