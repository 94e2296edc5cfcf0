"""Benchmark of the memory-mapped transcriptome against the peers a user would pick.

    python bench/tome.py [--rows 8000000] [--cache DIR] [--windows 2000] [--loadtxt-rows 400000]

Generates seed-like text (kb/tome/make_data.py; cached in DIR between runs), imports every seqid with
:func:`substrate.tome.import_tome` and reports rows/s and peak memory; then answers random 8 kbp
window means with the data memory-mapped and reports latency and the process's resident memory
against the data size.  Peers, each measured in this process on the same data:

* window means: **the seed's own code** — positions loaded with ``np.load``, values opened with
  ``open_memmap(mode='r')``, two ``searchsorted`` calls and the mean of the slice (the blog post's
  method), over the very files the import wrote; compared with ``Tome.mean`` (the Python API) and
  with the same window asked as a query through the substrate (``#at(seqid, x0, x1, :p, :m)``);
* import: ``np.loadtxt`` of the text (a user's first choice for this format; the seed's conversion
  script is not published).  loadtxt on all rows takes minutes, so it is timed on the first
  ``--loadtxt-rows`` rows and extrapolated (the table says so); memory compares the memory-mapped
  tome with loadtxt's in-memory float64 table.
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from numpy.lib import format as npformat  # noqa: E402

from substrate import Substrate  # noqa: E402
from substrate.tome.tome import Tome, import_tome  # noqa: E402

WINDOW = 8192


def _make_data():
    spec = importlib.util.spec_from_file_location("make_data", ROOT / "kb" / "tome" / "make_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def status(field: str) -> int:
    """A /proc/self/status memory field (VmRSS, VmHWM) in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def reset_peak() -> bool:
    """Reset VmHWM (Linux >= 4.0) so the next peak belongs to what follows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=8_000_000)
    ap.add_argument("--cache", default=os.path.join(os.environ.get("XDG_CACHE_HOME", "/tmp"),
                                                    "seltzer-tome-bench"))
    ap.add_argument("--windows", type=int, default=2000)
    ap.add_argument("--loadtxt-rows", type=int, default=400_000)
    args = ap.parse_args()

    text_dir = Path(args.cache) / f"text-{args.rows}"
    stamp = text_dir / "complete"
    if stamp.exists():
        gen = "cached"
    else:
        shutil.rmtree(text_dir, ignore_errors=True)
        t0 = time.perf_counter()
        _make_data().generate(str(text_dir), rows=args.rows)
        gen = f"{time.perf_counter() - t0:.1f} s"
        stamp.write_text("ok\n")
    texts = sorted(text_dir.glob("at.tome.*.txt"), key=lambda p: int(p.name.split(".")[2]))
    text_bytes = sum(p.stat().st_size for p in texts)

    # --- import
    folder = Path(args.cache) / "db"
    shutil.rmtree(folder, ignore_errors=True)
    rss0 = status("VmRSS")
    peak_ok = reset_peak()
    t0 = time.perf_counter()
    rows = sum(import_tome(str(p), str(folder), p.name.split(".")[2]) for p in texts)
    import_s = time.perf_counter() - t0
    import_peak = status("VmHWM") - rss0 if peak_ok else 0
    data_bytes = sum(f.stat().st_size for f in folder.iterdir())

    # --- window means, memory-mapped
    rss_open, anon_open, file_open = status("VmRSS"), status("RssAnon"), status("RssFile")
    tome = Tome(str(folder))
    rng = np.random.default_rng(0)
    seqids = tome.seqids()
    windows = []
    for _ in range(args.windows):
        s = seqids[rng.integers(len(seqids))]
        first, last, _ = tome.extent(s)
        x = int(rng.integers(first, last - WINDOW))
        windows.append((s, x, x + WINDOW))
    times = []
    for w in windows:
        t = time.perf_counter()
        tome.mean(*w)
        times.append(time.perf_counter() - t)
    mean_ms = np.median(times) * 1e3
    p99_ms = np.percentile(times, 99) * 1e3
    rss_tome = status("VmRSS")
    anon_tome, file_tome = status("RssAnon") - anon_open, status("RssFile") - file_open

    # --- peer for window means: the seed's own method, same files, same process, same windows
    seed_pos = {sq: np.load(folder / f"posn.{sq}.npy") for sq in seqids}
    seed_data = {sq: npformat.open_memmap(str(folder / f"data.{sq}.npy"), mode="r") for sq in seqids}

    def seed_mean(sq: str, x0: int, x1: int):
        lo = seed_pos[sq].searchsorted(x0)
        hi = seed_pos[sq].searchsorted(x1)
        return seed_data[sq][lo:hi].mean(axis=0, dtype=np.float64)

    for w in windows[:5]:        # same answers (and both page caches warm)
        assert np.allclose(seed_mean(*w), np.array(tome.mean(*w)))
    # interleaved so machine noise falls on both alike
    api_t, seed_t = [], []
    for w in windows:
        t = time.perf_counter()
        seed_mean(*w)
        seed_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        tome.mean(*w)
        api_t.append(time.perf_counter() - t)
    mean_ms, seed_ms = np.median(api_t) * 1e3, np.median(seed_t) * 1e3
    sub = Substrate()
    sub.load_text(f'at {{ class = tome, path = "{folder}" }} {{}}')
    query_t = []
    for s, x0, x1 in windows[:500]:
        text = f"#at({s}, {x0}, {x1}, :p, :m)"
        t = time.perf_counter()
        list(sub.query(text))
        query_t.append(time.perf_counter() - t)
    query_ms = np.median(query_t) * 1e3
    sub.close()

    # --- peer for import: np.loadtxt on a subset, extrapolated
    with open(texts[0], "rb") as f:
        head = b"".join(f.readline() for _ in range(args.loadtxt_rows))
    head_rows = head.count(b"\n")
    t0 = time.perf_counter()
    np.loadtxt(io.BytesIO(head.translate(bytes.maketrans(b"WC", b"01"))), dtype=np.float64)
    loadtxt_rate = head_rows / (time.perf_counter() - t0)
    table_bytes = rows * (2 + tome.tissues(seqids[0])) * 8

    rate = rows / import_s
    print(f"tome benchmark: {rows:,} rows in {len(texts)} seqids, text {mb(text_bytes)} "
          f"(generated: {gen}), npy {mb(data_bytes)}")
    print(f"{'window mean (8 kbp, median of ' + str(args.windows) + ')':38s} {'seltzer':>16s} "
          f"{'seed (memmap+searchsorted)':>27s} {'seltzer/seed':>13s}")
    print(f"{'  Tome.mean, Python API (ms)':38s} {mean_ms:16.4f} {seed_ms:27.4f} {mean_ms / seed_ms:12.2f}x")
    print(f"{'  #at(...) query via Substrate (ms)':38s} {query_ms:16.4f} {seed_ms:27.4f} "
          f"{query_ms / seed_ms:12.2f}x  (parse + solve + answer dicts)")
    print(f"{'  Tome.mean p99 (ms)':38s} {p99_ms:16.4f}")
    print()
    print(f"{'import / memory':38s} {'tome (memmap)':>16s} {'np.loadtxt':>16s} {'ratio':>8s}")
    print(f"{'import rows/s':38s} {rate:16,.0f} {loadtxt_rate:16,.0f} {rate / loadtxt_rate:7.1f}x")
    print(f"{'import time, all rows (s)':38s} {import_s:16.1f} {rows / loadtxt_rate:16.1f} "
          f"{rows / loadtxt_rate / import_s:7.1f}x  (loadtxt extrapolated from {head_rows:,} rows)")
    print(f"{'memory for the data':38s} {mb(rss_tome - rss_open):>16s} "
          f"{mb(table_bytes):>16s} {table_bytes / max(rss_tome - rss_open, 1):7.1f}x  "
          f"(tome: RSS growth after open + {args.windows} windows; peer: float64 table)")
    print(f"{'  of which private (positions)':38s} {mb(anon_tome):>16s}")
    print(f"{'  of which mapped file pages':38s} {mb(file_tome):>16s}   "
          f"(page cache, reclaimable; kernel fault-around maps ~64 KB per touched page)")
    print(f"{'import peak RSS growth':38s} {mb(import_peak) if peak_ok else 'n/a':>16s} "
          f"{mb(table_bytes):>16s}")
    print(f"process RSS now {mb(status('VmRSS'))}; data files {mb(data_bytes)}; "
          f"page cache warm (just written)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
