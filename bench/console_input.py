"""How much deciding where console inputs end costs (substrate/console/reader.py).

Prints, for a script holding one definition of N lines and for N one-line queries, the time
the Splitter takes to cut it into inputs next to the time lang.parser takes to parse the same
text once (the ratio is the price of the grammar-based completeness check per line).

    python bench/console_input.py [--lines N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lang.parser import parse_program, parse_query  # noqa: E402
from substrate.console.reader import Splitter  # noqa: E402


def _split(lines: list[str]) -> int:
    sp = Splitter("bench")
    n = 0
    for line in lines:
        n += len(sp.feed(line))
    return n + len(sp.finish())


def _best(f, *args, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=2000)
    n = ap.parse_args().lines
    definition = ["big {"] + [f'  ({i}, "s{i}", f(:x, [{i}, :x]));' for i in range(n)] + ["}"]
    text = "\n".join(definition)
    split = _best(_split, definition)
    parse = _best(parse_program, text)
    print(f"one definition of {n} lines: split {split * 1e3:.1f} ms ({split / n * 1e6:.0f} us/line), "
          f"parse {parse * 1e3:.1f} ms; split/parse = {split / parse:.2f}")
    queries = [f'#p({i}, :x), str.len("abc", :n)' for i in range(n)]
    split = _best(_split, queries)
    parse = _best(lambda qs: [parse_query(q) for q in qs], queries)
    print(f"{n} one-line queries: split {split * 1e3:.1f} ms ({split / n * 1e6:.0f} us/line), "
          f"parse {parse * 1e3:.1f} ms; split/parse = {split / parse:.2f}")


if __name__ == "__main__":
    main()
