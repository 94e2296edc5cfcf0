"""Store imports stay bounded (issue 15 §2, §4): an /import.csv into a store commits in batches,
so peak memory is flat in the file's size and a kill -9 mid-import leaves every committed batch
readable; imports stream their file and refuse what is not a regular file."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from substrate.store.elemental import BATCH

from kbgen import console, isolated_home  # noqa: F401  (autouse fixture)

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

# The peak is VmHWM (reset by exec), not ru_maxrss: Linux keeps ru_maxrss across exec, so a child
# of a large pytest process would report its parent's size.
PEAK = r"""
import sys
import repl
rc = repl.main(sys.argv[1:])
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print("PEAK", hwm[0], flush=True)
sys.exit(rc)
"""


def _csv(path: Path, n: int) -> None:
    with open(path, "w") as f:
        for start in range(0, n, 100_000):
            f.write("".join(f"{i},r{i}\n" for i in range(start, min(n, start + 100_000))))


def _peak_kib(csv_path: Path, store: Path) -> tuple[int, str]:
    res = subprocess.run([sys.executable, "-c", PEAK,
                          "-e", f'st {{ class = store, path = "{store}", index = [0] }} {{}}',
                          "-e", f'/import.csv("{csv_path}", st, -1, [assert])'],
                         capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    return int(res.stdout.split("PEAK ")[1].split()[0]), res.stdout


def test_a_million_row_store_import_stays_under_a_fixed_memory_bound(tmp_path):
    _csv(tmp_path / "small.csv", 20_000)
    _csv(tmp_path / "big.csv", 1_000_000)
    small, _ = _peak_kib(tmp_path / "small.csv", tmp_path / "small.lmdb")
    big, out = _peak_kib(tmp_path / "big.csv", tmp_path / "big.lmdb")
    assert "imported 1000000 rows" in out
    res = subprocess.run([sys.executable, "-c", "import sys\nfrom substrate.store import StatementStore\n"
                          "print(StatementStore(sys.argv[1], create=False).count())", str(tmp_path / "big.lmdb")],
                         capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=60)
    assert res.stdout.strip() == "1000000", res.stderr
    # before streaming and batching: 720 MiB for 10^6 rows; now the file's size does not show
    assert big < 250 * 1024, f"peak {big / 1024:.0f} MiB: {out}"
    assert big - small < 64 * 1024, f"10^6 rows {big / 1024:.0f} MiB vs 2*10^4 rows {small / 1024:.0f} MiB"


def test_a_kill_9_mid_import_leaves_every_committed_batch_readable(tmp_path):
    n = 40 * BATCH
    _csv(tmp_path / "rows.csv", n)
    store = tmp_path / "st.lmdb"
    child = subprocess.Popen([sys.executable, "-m", "repl",
                              "-e", f'st {{ class = store, path = "{store}", index = [0], verbose = true }} {{}}',
                              "-e", f'/import.csv("{tmp_path / "rows.csv"}", st, -1, [assert])'],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=ENV)
    stored = 0
    deadline = time.monotonic() + 120
    while stored < 3 and time.monotonic() < deadline:     # three batches committed, then kill
        line = child.stdout.readline()
        if not line:
            break
        stored += "stored 8192 statements" in line
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    child.stderr.close()
    assert stored == 3
    code = ("import sys, json\nfrom substrate.store import StatementStore\n"
            "s = StatementStore(sys.argv[1], create=False)\n"
            "ids = [x[0] for x, _ in s.scan()]\nprint(json.dumps([len(ids), ids == list(range(len(ids))), "
            "[x for x, _ in s.lookup((len(ids) - 1, None))] if ids else []], default=str))")
    res = subprocess.run([sys.executable, "-c", code, str(store)], capture_output=True, text=True, cwd=ROOT,
                         env=ENV, timeout=60)
    count, in_order, last = json.loads(res.stdout)
    assert count % BATCH == 0 and 3 * BATCH <= count < n, count   # whole batches, nothing partial
    assert in_order and last == [[count - 1, f"r{count - 1}"]]
    res = subprocess.run([sys.executable, "-m", "repl", "check", str(store)], capture_output=True, text=True,
                         cwd=ROOT, env=ENV, timeout=120)
    assert res.returncode == 0 and "healthy" in res.stdout, res.stdout


@pytest.mark.parametrize("source, expect", [("/dev/zero", "not a regular file"), ("fifo", "not a regular file"),
                                            (".", "is a directory"), ("nope.txt", "no such file")])
def test_imports_refuse_what_is_not_a_regular_file(tmp_path, monkeypatch, source, expect):
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "fifo")
    kb, c, out = console()
    for cmd in ("import.txt", "import.csv"):
        assert not c.run_line(f'/{cmd}("{source}", z)')
        assert expect in out[-1] and "internal" not in out[-1], out[-1]
    assert not c.run_line(f'/load("{source}")')


def test_a_csv_field_may_be_as_long_as_a_text_line(tmp_path):
    long = "x" * 1_000_000
    (tmp_path / "wide.csv").write_text(f'1,"{long}"\n2,b\n')
    (tmp_path / "wide.txt").write_text(long + "\n")
    kb, c, out = console()
    assert c.run_line(f'/import.csv("{tmp_path / "wide.csv"}", w, -1, [assert])')
    assert c.run_line(f'/import.txt("{tmp_path / "wide.txt"}", t, -1, [assert])')
    assert c.run_line("count((#w(1, :s), str.len(:s, 1000000), #t(0, :u), str.len(:u, 1000000)), :n)")
    assert out[-2] == ":n = 1"


def test_a_streamed_import_still_checks_the_whole_file_first(tmp_path):
    rows = "".join(f"{i},r{i}\n" for i in range(3 * BATCH)) + "1,2,3\n"
    (tmp_path / "ragged.csv").write_text(rows)
    kb, c, out = console()
    assert c.run_line(f'st {{ class = store, path = "{tmp_path / "st.lmdb"}" }} {{}}')
    assert c.run_line("/spy(p)")
    out.clear()
    assert not c.run_line(f'/import.csv("{tmp_path / "ragged.csv"}", p)')   # declared: nothing published
    assert out == [f"error: {tmp_path / 'ragged.csv'}:{3 * BATCH + 1}: row has 3 fields, expected 2"]
    assert not c.run_line(f'/import.csv("{tmp_path / "ragged.csv"}", st, -1, [assert])')
    assert c.run_line("count(#st(_, _), :n)") and out[-2] == ":n = 0"
