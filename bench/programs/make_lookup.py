"""Write the facts of the lookup benchmark: ``bench/programs/lookup_facts.kb`` (not committed).

The file holds one indexed fact definition, ``f { index = 0 } { (0, 0); (1, 7); ... }``, with the
statements f(i, i*7 mod 1000003) for i = 0..n-1 (n = 10^5 by default), written one per line.
Loaded with ``lookup.kb``, the query ``#lookup(100000, :s)`` answers ``:s = 34999650000``.

Usage: ``python bench/programs/make_lookup.py [--n N] [--out PATH]``; from Python,
``make_lookup.write_facts(path, n)`` (returns the path) and ``expected_sum(n)``.
"""
from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "lookup_facts.kb")
N = 100_000
MOD = 1_000_003


def value(i: int) -> int:
    return i * 7 % MOD


def expected_sum(n: int = N) -> int:
    """What ``#lookup(n, :s)`` (keys 0..n-1) must answer."""
    return sum(value(i) for i in range(n))


def write_facts(path: str = DEFAULT_OUT, n: int = N) -> str:
    """Write the n facts to ``path`` (through a temporary file, renamed at the end)."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"// lookup benchmark facts: f(i, i*7 mod {MOD}), i = 0..{n - 1}; "
                f"made by bench/programs/make_lookup.py\n")
        f.write("f { index = 0 } {\n")
        f.write("".join(f"    ({i}, {value(i)});\n" for i in range(n)))
        f.write("}\n")
    os.replace(tmp, path)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="write the lookup benchmark's facts")
    ap.add_argument("--n", type=int, default=N, help="number of facts (default 100000)")
    ap.add_argument("--out", default=DEFAULT_OUT)
    a = ap.parse_args(argv)
    path = write_facts(a.out, a.n)
    print(f"{path}: {a.n} facts; #lookup({a.n}, :s) -> :s = {expected_sum(a.n)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
