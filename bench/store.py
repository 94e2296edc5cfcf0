"""Benchmark of the LMDB statement store (substrate/store.py) on the E. coli fragment workload.

62,000 statements ``(n, "<75 random ACGT chars>")`` (seeded, so every run stores the same data):
bulk ingest, indexed lookups on position 0, opening the existing store, size on disk against the
same statements as ``.kb`` text, the codec's bulk decode, and a kill -9 crash loop. The peers, measured
in the same run: raw py-lmdb with the same layout (the floor for this design: what the store adds on
top of LMDB), sqlite3 (stdlib, same table with an index); and the store without its CRC-32 record
checksums (format 1), which shows what the checksums cost.

    python bench/store.py [--quick]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lmdb                                                     # noqa: E402

from lang.terms import Var                                      # noqa: E402
from substrate.codec import index_key, pack_many, pack_statement, unpack_many, unpack_statement  # noqa: E402
from substrate.store import StatementStore                      # noqa: E402

N = 62_000
BATCH = 10_000            # statements per add_many (one transaction each), as bundling would do


def fragments(n: int = N, seed: int = 1) -> list[tuple[int, str]]:
    """The deterministic workload: (n, 75 random ACGT characters)."""
    rng = random.Random(seed)
    return [(i, "".join(rng.choices("ACGT", k=75))) for i in range(n)]


def dir_size(path: str) -> int:
    return sum(f.stat().st_size for f in Path(path).iterdir() if f.name == "data.mdb")


def bench_lmdb(work: str, rows: list, lookups: int) -> dict:
    """Raw py-lmdb, the store's layout: main (8-byte id -> packed statement), idx.0 (dupsort)."""
    import struct
    ID = struct.Struct(">Q")
    env = lmdb.open(os.path.join(work, "raw.lmdb"), map_size=1 << 30, max_dbs=4)
    main = env.open_db(b"main")
    idx = env.open_db(b"idx.0", dupsort=True, dupfixed=True)
    t0 = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        part = rows[i:i + BATCH]
        ids = [ID.pack(i + j) for j in range(len(part))]
        with env.begin(write=True) as txn:
            txn.cursor(main).putmulti(zip(ids, [pack_statement(r) for r in part]), append=True)
            txn.cursor(idx).putmulti(sorted((index_key(r[0]), k) for r, k in zip(part, ids)))
    out = {"ingest_us": (time.perf_counter() - t0) / len(rows) * 1e6}
    rng = random.Random(2)
    keys = [index_key(rng.randrange(len(rows))) for _ in range(lookups)]
    t0 = time.perf_counter()
    hits = 0
    for k in keys:
        with env.begin() as txn:
            cur = txn.cursor(idx)
            if cur.set_key(k):
                for sid in cur.iternext_dup():
                    unpack_statement(txn.get(sid, db=main))
                    hits += 1
    out["lookup_us"] = (time.perf_counter() - t0) / lookups * 1e6
    assert hits == lookups
    env.close()
    return out


def bench_unchecked(work: str, rows: list, lookups: int) -> dict:
    """The store without record checksums (format 1): ingest and lookup only."""
    store = StatementStore(os.path.join(work, "plain.lmdb"), index=(0,), checksum=False)
    t0 = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        store.add_many(rows[i:i + BATCH])
    out = {"ingest_us": (time.perf_counter() - t0) / len(rows) * 1e6}
    rng = random.Random(2)
    keys = [rng.randrange(len(rows)) for _ in range(lookups)]
    t0 = time.perf_counter()
    for k in keys:
        for _ in store.lookup((k, Var())):
            pass
    out["lookup_us"] = (time.perf_counter() - t0) / lookups * 1e6
    store.close()
    return out


def bench_store(work: str, rows: list, lookups: int) -> dict:
    path = os.path.join(work, "frag.lmdb")
    out: dict = {}
    store = StatementStore(path, index=(0,))
    t0 = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        store.add_many(rows[i:i + BATCH])
    out["ingest_us"] = (time.perf_counter() - t0) / len(rows) * 1e6

    rng = random.Random(2)
    keys = [rng.randrange(len(rows)) for _ in range(lookups)]
    t0 = time.perf_counter()
    hits = 0
    for k in keys:
        for _ in store.lookup((k, Var())):
            hits += 1
    out["lookup_us"] = (time.perf_counter() - t0) / lookups * 1e6
    assert hits == lookups, hits

    t0 = time.perf_counter()
    n = sum(1 for _ in store.lookup((Var(), "A" * 75)))   # unindexed: a full scan
    out["scan_ms"] = (time.perf_counter() - t0) * 1e3
    assert n == 0
    store.close()

    opens = []
    for _ in range(5):
        t0 = time.perf_counter()
        store = StatementStore(path)
        assert store.count() == len(rows)
        opens.append(time.perf_counter() - t0)
        store.close()
    out["open_ms"] = sorted(opens)[len(opens) // 2] * 1e3
    code = ("import sys, time\nt0 = time.perf_counter()\nfrom substrate.store import StatementStore\n"
            "t1 = time.perf_counter()\ns = StatementStore(sys.argv[1]); s.count()\n"
            "print((time.perf_counter() - t1) * 1e3)")
    res = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    out["open_new_process_ms"] = float(res.stdout)

    text = sum(len(f'({n}, "{s}");\n') for n, s in rows)
    out["disk"] = dir_size(path)
    out["text"] = text
    with StatementStore(path) as store:
        out["disk_optimized"] = store.optimize()[1]
    return out


def bench_sqlite(work: str, rows: list, lookups: int) -> dict:
    path = os.path.join(work, "frag.sqlite")
    db = sqlite3.connect(path)
    db.execute("create table frag (n integer, s text)")
    db.execute("create index frag_n on frag (n)")
    t0 = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        with db:
            db.executemany("insert into frag values (?, ?)", rows[i:i + BATCH])
    out = {"ingest_us": (time.perf_counter() - t0) / len(rows) * 1e6}
    rng = random.Random(2)
    keys = [rng.randrange(len(rows)) for _ in range(lookups)]
    t0 = time.perf_counter()
    for k in keys:
        db.execute("select n, s from frag where n = ?", (k,)).fetchall()
    out["lookup_us"] = (time.perf_counter() - t0) / lookups * 1e6
    db.close()
    out["disk"] = os.path.getsize(path)
    return out


def bench_codec(rows: list) -> dict:
    blob = pack_many(rows)
    best = min(_timed(unpack_many, blob) for _ in range(5))
    return {"unpack_many_s": best}


def _timed(f, *a) -> float:
    t0 = time.perf_counter()
    f(*a)
    return time.perf_counter() - t0


CHILD = """
import sys
from substrate.store import StatementStore
path = sys.argv[1]
s = StatementStore(path, index=(0,), map_size=256 << 10)
k = s.count() // 500
print("ready", flush=True)
while True:
    s.add_many([(k * 500 + j, "ACGT" * 18 + "ACG") for j in range(500)])
    print(k, flush=True)
    k += 1
"""


def crash_loop(work: str, trials: int) -> dict:
    """kill -9 a child ingesting 500-statement batches at random moments; check after each kill."""
    path = os.path.join(work, "crash.lmdb")
    rng = random.Random(3)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    bad, worst_open = 0, 0.0
    t_start = time.perf_counter()
    for _ in range(trials):
        child = subprocess.Popen([sys.executable, "-c", CHILD, path], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if child.stdout.readline().strip() != "ready":
            raise SystemExit("crash child failed: " + child.stderr.read())
        time.sleep(rng.uniform(0, 0.15))
        child.send_signal(signal.SIGKILL)
        child.wait()
        reported = [int(x) for x in child.stdout.read().split()]
        child.stdout.close()
        child.stderr.close()
        t0 = time.perf_counter()
        with StatementStore(path) as store:
            worst_open = max(worst_open, time.perf_counter() - t0)
            n = store.count()
            ok = n % 500 == 0
            ok &= [s[0] for s, _ in store.scan()] == list(range(n))
            if n:
                ok &= [s[0] for s, _ in store.lookup((n - 1, Var()))] == [n - 1]
            if reported:
                ok &= (reported[-1] + 1) * 500 <= n <= (reported[-1] + 2) * 500
        bad += not ok
    return {"trials": trials, "bad": bad, "statements": n, "worst_open_ms": worst_open * 1e3,
            "seconds": time.perf_counter() - t_start}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer lookups and crash trials")
    args = ap.parse_args()
    lookups, trials = (2_000, 15) if args.quick else (10_000, 60)

    rows = fragments()
    work = tempfile.mkdtemp(prefix="seltzer-bench-store-")
    try:
        # the three LMDB variants twice, interleaved, best of two: the machine is shared and noisy
        runs = []
        for k in range(2):
            d = os.path.join(work, f"s{k}")
            os.makedirs(d)
            runs.append((bench_store(d, rows, lookups), bench_lmdb(d, rows, lookups),
                         bench_unchecked(d, rows, lookups)))
        s = min((r[0] for r in runs), key=lambda d: d["lookup_us"])
        raw = {m: min(r[1][m] for r in runs) for m in ("ingest_us", "lookup_us")}
        plain = {m: min(r[2][m] for r in runs) for m in ("ingest_us", "lookup_us")}
        for m in ("ingest_us", "lookup_us"):
            s[m] = min(r[0][m] for r in runs)
        q = bench_sqlite(work, rows, lookups)
        c = bench_codec(rows)
        k = crash_loop(work, trials)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ratio = s["disk"] / s["text"]
    table = [
        ("bulk ingest (µs/statement)", f"{s['ingest_us']:.1f}", "<= 50", s["ingest_us"] <= 50,
         f"raw py-lmdb {raw['ingest_us']:.1f} ({s['ingest_us'] / raw['ingest_us']:.2f}x); "
         f"sqlite3 {q['ingest_us']:.1f} ({s['ingest_us'] / q['ingest_us']:.2f}x)"),
        (f"indexed lookup, pos 0 (µs, mean of {lookups})", f"{s['lookup_us']:.1f}", "<= 200",
         s["lookup_us"] <= 200, f"raw py-lmdb {raw['lookup_us']:.1f} ({s['lookup_us'] / raw['lookup_us']:.2f}x); "
         f"sqlite3 {q['lookup_us']:.1f} ({s['lookup_us'] / q['lookup_us']:.2f}x)"),
        ("  checksum cost: ingest / lookup", f"{(s['ingest_us'] / plain['ingest_us'] - 1) * 100:+.0f}%",
         "few %", True, f"vs the store without checksums: {plain['ingest_us']:.1f} / {plain['lookup_us']:.1f} µs "
         f"({(s['lookup_us'] / plain['lookup_us'] - 1) * 100:+.0f}% on lookup)"),
        ("open existing store (ms, median)", f"{s['open_ms']:.2f}", "<= 50", s["open_ms"] <= 50, ""),
        ("open in a new process (ms)", f"{s['open_new_process_ms']:.2f}", "<= 50",
         s["open_new_process_ms"] <= 50, "constructor only, after imports"),
        ("size on disk / .kb text", f"{ratio:.2f}x", "<= 4x", ratio <= 4,
         f"{s['disk'] / 1e6:.1f} MB vs {s['text'] / 1e6:.1f} MB text; sqlite3 {q['disk'] / s['text']:.2f}x"),
        ("  after optimize()", f"{s['disk_optimized'] / s['text']:.2f}x", "<= 4x",
         s["disk_optimized"] / s["text"] <= 4, f"{s['disk_optimized'] / 1e6:.1f} MB"),
        ("unindexed scan, 62k (ms)", f"{s['scan_ms']:.0f}", "-", True, "decode + pre-filter, no match"),
        ("codec unpack_many, 62k (s)", f"{c['unpack_many_s']:.3f}", "< 0.15", c["unpack_many_s"] < 0.15, ""),
        (f"kill -9 trials consistent", f"{k['trials'] - k['bad']}/{k['trials']}", "all",
         k["bad"] == 0, f"{k['statements']} statements at the end, {k['seconds']:.1f} s, "
                        f"worst reopen {k['worst_open_ms']:.1f} ms"),
    ]
    print(f"seltzer store bench: {N} fragments (n, 75 ACGT chars), index on position 0, "
          f"batches of {BATCH}{' [quick]' if args.quick else ''}")
    w = max(len(r[0]) for r in table)
    print(f"{'metric':<{w}}  {'value':>9}  {'target':>7}  ok   peer / note")
    for name, value, target, ok, note in table:
        print(f"{name:<{w}}  {value:>9}  {target:>7}  {'yes' if ok else 'NO ':<3}  {note}")


if __name__ == "__main__":
    main()
