"""Benchmark of the memory-mapped transcriptome against plain ``numpy.loadtxt`` + in-memory arrays.

    python bench/tome.py [--rows 8000000] [--cache DIR] [--windows 2000] [--loadtxt-rows 400000]

Generates seed-like text (kb/tome/make_data.py; cached in DIR between runs), imports every seqid with
:func:`substrate.tome.import_tome` and reports rows/s and peak memory; then answers random 8 kbp
window means with the data memory-mapped and reports latency and the process's resident memory
against the data size.  The peer is what the seed replaced: ``np.loadtxt`` of the whole text into
a (rows, 2 + tissues) float64 table and a boolean mask per window.  loadtxt on all rows takes
minutes, so it is timed on the first ``--loadtxt-rows`` rows and extrapolated (the table says so).
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

from substrate.tome.tome import Tome, _parse_fast, import_tome  # noqa: E402

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

    # --- peer: np.loadtxt on a subset, extrapolated; in-memory table with a mask per window
    with open(texts[0], "rb") as f:
        head = b"".join(f.readline() for _ in range(args.loadtxt_rows))
    head_rows = head.count(b"\n")
    t0 = time.perf_counter()
    np.loadtxt(io.BytesIO(head.translate(bytes.maketrans(b"WC", b"01"))), dtype=np.float64)
    loadtxt_rate = head_rows / (time.perf_counter() - t0)
    table_bytes = rows * (2 + tome.tissues(seqids[0])) * 8
    # the in-memory table of one seqid (same as loadtxt would give), built quickly from the text
    first_text = texts[0].read_bytes()
    pos, minus, vals = _parse_fast(first_text, tome.tissues(seqids[0]))
    table = np.column_stack([pos, minus, vals]).astype(np.float64)
    del first_text, pos, minus, vals
    s0 = seqids[0]
    peer_times = []
    for s, x0, x1 in windows[:200]:
        if s != s0:
            continue
        t = time.perf_counter()
        inside = (table[:, 0] >= x0) & (table[:, 0] < x1)
        _ = (table[inside & (table[:, 1] == 0), 2:].mean(axis=0),
             table[inside & (table[:, 1] == 1), 2:].mean(axis=0))
        peer_times.append(time.perf_counter() - t)
    peer_ms = np.median(peer_times) * 1e3

    rate = rows / import_s
    print(f"tome benchmark: {rows:,} rows in {len(texts)} seqids, text {mb(text_bytes)} "
          f"(generated: {gen}), npy {mb(data_bytes)}")
    print(f"{'measure':38s} {'tome (memmap)':>16s} {'loadtxt+memory':>16s} {'ratio':>8s}")
    print(f"{'import rows/s':38s} {rate:16,.0f} {loadtxt_rate:16,.0f} {rate / loadtxt_rate:7.1f}x")
    print(f"{'import time, all rows (s)':38s} {import_s:16.1f} {rows / loadtxt_rate:16.1f} "
          f"{rows / loadtxt_rate / import_s:7.1f}x  (loadtxt extrapolated from {head_rows:,} rows)")
    print(f"{'8 kbp window mean, median (ms)':38s} {mean_ms:16.3f} {peer_ms:16.3f} "
          f"{peer_ms / mean_ms:7.0f}x  (peer: boolean mask on one seqid's {len(table):,} rows)")
    print(f"{'8 kbp window mean, p99 (ms)':38s} {p99_ms:16.3f}")
    print(f"{'memory for the data':38s} {mb(rss_tome - rss_open):>16s} "
          f"{mb(table_bytes):>16s} {table_bytes / max(rss_tome - rss_open, 1):7.1f}x  "
          f"(tome: RSS growth after open + {args.windows} windows; peer: float64 table)")
    print(f"{'  of which private (positions)':38s} {mb(anon_tome):>16s}")
    print(f"{'  of which mapped file pages':38s} {mb(file_tome):>16s}   "
          f"(page cache, reclaimable; kernel fault-around maps ~64 KB per touched page)")
    print(f"{'import peak RSS growth':38s} {mb(import_peak) if peak_ok else 'n/a':>16s} "
          f"{mb(table_bytes):>16s}")
    print(f"process RSS now {mb(status('VmRSS'))} (includes the peer's one-seqid table "
          f"{mb(table.nbytes)}); data files {mb(data_bytes)}; page cache warm (just written)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
