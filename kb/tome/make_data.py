# Generates synthetic tiling-array transcriptome text files shaped like the memmap-transcriptome
# seed's Arabidopsis data, so the tome import, elemental and web scheme can be tried without the
# original download.
#
#   python kb/tome/make_data.py --out DIR [--rows N] [--tissues 5] [--seqids 5] [--seed S]
#
# writes DIR/at.tome.<seqid>.txt for seqid 1..S, lines `position strand v1 ... vk`: positions every
# 25 bp from 26 with occasional gaps, strand W (+) or C (-), a few percent of positions with only one
# strand, values with 2 decimals (around 60-600, higher inside "genes"), sorted by position; N rows
# in total (default 8 million), split across seqids like the five Arabidopsis chromosomes.
# The output depends only on the arguments.  Formatting is vectorised (digits computed with numpy,
# NUL-padded fields squeezed out with one boolean mask), so 8M rows take seconds, not minutes.
"""Deterministic generator of tiling-array-like transcriptome text files (see the comment above)."""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

__all__ = ["generate", "write_seqid", "format_rows", "main"]

#: relative lengths of the five Arabidopsis chromosomes (Mbp); more seqids cycle through them
CHROMOSOME_MBP = (30.4, 19.7, 23.5, 18.6, 27.0)
STEP = 25               # bp between probes
FIRST = 26              # first probe position, as in the seed
GAP_RATE = 0.02         # probability that a probe position is missing
SINGLE_RATE = 0.03      # probability that a position has only one strand
CHUNK_POSITIONS = 500_000


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """ASCII digits of non-negative ints, right-aligned in ``width`` columns, NUL-padded on the left."""
    out = np.zeros((values.size, width), dtype=np.uint8)
    v = values.astype(np.int64)
    for col in range(width - 1, -1, -1):
        digit = (v % 10).astype(np.uint8) + ord("0")
        keep = (v > 0) | (col == width - 1)
        out[:, col] = np.where(keep, digit, 0)
        v //= 10
    return out


def format_rows(pos: np.ndarray, strand_c: np.ndarray, hundredths: np.ndarray) -> bytes:
    """Text lines ``pos strand v1.vv ... vk.vv`` for arrays of positions, C-flags and value*100 ints."""
    n, k = hundredths.shape
    pos_width = max(1, len(str(int(pos.max())))) if n else 1
    int_width = max(1, len(str(int(hundredths.max() // 100)))) if n else 1
    parts = [_digits(pos, pos_width),
             np.full((n, 1), ord(" "), np.uint8),
             np.where(strand_c, ord("C"), ord("W")).astype(np.uint8)[:, None]]
    for t in range(k):
        h = hundredths[:, t]
        frac = h % 100
        parts += [np.full((n, 1), ord(" "), np.uint8), _digits(h // 100, int_width),
                  np.full((n, 1), ord("."), np.uint8),
                  (frac // 10 + ord("0")).astype(np.uint8)[:, None],
                  (frac % 10 + ord("0")).astype(np.uint8)[:, None]]
    parts.append(np.full((n, 1), ord("\n"), np.uint8))
    table = np.concatenate(parts, axis=1)
    return table[table != 0].tobytes()


def _positions(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Probe positions and their row counts (1 or 2 strands) adding up to exactly ``rows``."""
    guess = int(rows / (2 - SINGLE_RATE)) + 64
    while True:
        grid = FIRST + STEP * np.arange(int(guess / (1 - GAP_RATE)) + 64, dtype=np.int64)
        pos = grid[rng.random(grid.size) >= GAP_RATE]
        counts = np.where(rng.random(pos.size) < SINGLE_RATE, 1, 2)
        total = np.cumsum(counts)
        if total[-1] >= rows:
            break
        guess *= 2
    last = int(np.searchsorted(total, rows))
    pos, counts = pos[:last + 1], counts[:last + 1].copy()
    counts[-1] -= int(total[last] - rows)
    return pos, counts


def _expression(rng: np.random.Generator, pos: np.ndarray, tissues: int) -> np.ndarray:
    """Per-position, per-tissue, per-strand expression as hundredths (int64, shape (n, 2, tissues))."""
    n = pos.size
    # "genes": ~1.5 kbp regions every ~4 kbp, each with its strand and a per-tissue level
    lo, hi = (int(pos[0]), int(pos[-1]) + 1) if n else (0, 1)
    starts = np.sort(rng.integers(lo, hi, size=max(1, (hi - lo) // 4000)))
    ends = starts + rng.integers(500, 3000, size=starts.size)
    gene_strand = rng.integers(0, 2, size=starts.size)
    gene_level = rng.lognormal(0.5, 0.6, size=(starts.size, tissues))
    g = np.searchsorted(starts, pos, side="right") - 1
    inside = (g >= 0) & (pos < ends[np.maximum(g, 0)])
    boost = np.zeros((n, 2, tissues))
    rows = np.flatnonzero(inside)
    boost[rows, gene_strand[g[rows]], :] = gene_level[g[rows]]
    tissue_base = rng.uniform(100, 150, size=tissues)
    noise = rng.normal(0.0, 0.22, size=(n, 2, tissues))
    values = tissue_base * np.exp(noise) * (1.0 + boost)
    return np.clip(np.rint(values * 100), 1, 99_999_999).astype(np.int64)


def write_seqid(path: str, rows: int, tissues: int, seed: int) -> int:
    """Write one seqid's file of exactly ``rows`` lines; returns the number of lines written."""
    rng = np.random.default_rng(seed)
    pos, counts = _positions(rng, rows)
    with open(path, "wb") as f:
        for lo in range(0, pos.size, CHUNK_POSITIONS):
            p, c = pos[lo:lo + CHUNK_POSITIONS], counts[lo:lo + CHUNK_POSITIONS]
            values = _expression(rng, p, tissues)
            # C row first (as in the seed); single-strand positions keep a random one of the two
            first_c = np.where(c == 2, True, rng.random(p.size) < 0.5)
            row_pos = np.repeat(p, c)
            row_c = np.ones(row_pos.size, dtype=bool)
            starts = np.cumsum(c) - c
            row_c[starts] = first_c
            row_c[starts[c == 2] + 1] = False
            which = np.repeat(np.arange(p.size), c)
            f.write(format_rows(row_pos, row_c, values[which, np.where(row_c, 1, 0), :]))
    return rows


def generate(out: str, rows: int = 8_000_000, tissues: int = 5, seqids: int = 5,
             seed: int = 0) -> dict[str, str]:
    """Write ``out/at.tome.<seqid>.txt`` for seqids 1..``seqids``; returns {seqid: path}."""
    os.makedirs(out, exist_ok=True)
    weights = np.array([CHROMOSOME_MBP[i % len(CHROMOSOME_MBP)] for i in range(seqids)])
    share = np.floor(rows * weights / weights.sum()).astype(np.int64)
    share[0] += rows - int(share.sum())
    paths = {}
    for i in range(seqids):
        seqid = str(i + 1)
        paths[seqid] = os.path.join(out, f"at.tome.{seqid}.txt")
        write_seqid(paths[seqid], int(max(share[i], 1)), tissues, seed * 1000 + i)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: parse arguments, generate, report what was written on stderr."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--rows", type=int, default=8_000_000, help="total rows over all seqids")
    ap.add_argument("--tissues", type=int, default=5)
    ap.add_argument("--seqids", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.rows < args.seqids or args.tissues < 1 or args.seqids < 1:
        ap.error("need --rows >= --seqids >= 1 and --tissues >= 1")
    t0 = time.perf_counter()
    paths = generate(args.out, args.rows, args.tissues, args.seqids, args.seed)
    size = sum(os.path.getsize(p) for p in paths.values())
    print(f"wrote {args.rows} rows, {size / 1e6:.1f} MB in {len(paths)} files under {args.out} "
          f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
