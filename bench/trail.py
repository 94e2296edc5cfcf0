"""Cost per inference and memory as runs grow: nrev 100 -> 3000, tak 18 -> 24, seltzer vs SWI-Prolog.

    python bench/trail.py [--quick]

Issue 15 §1: the solver used to record every binding on its trail, so memory grew with the number
of inferences (nrev 3000: 4.5M trail entries, +469 MB) and so did the cost of each inference. With
conditional trailing (a binding is recorded only when the variable is older than the newest
choicepoint, and the trail is emptied when no choicepoint remains) both should stay flat as the
run grows, as SWI-Prolog's do.

Every case runs in a fresh process (seltzer: this script with ``--child``; SWI: ``swipl`` on
bench/programs/nrev.pl or tak.pl), so the peak RSS of the run is its own. Printed per case: the
inferences (seltzer counts goal calls, SWI its own logical inferences), CPU time per inference,
the RSS the run added over the loaded program (seltzer: ru_maxrss after minus before the query,
in the child; SWI: the process's peak RSS minus that of a process that only loads the program),
and seltzer's trail length when the first solution is reached. The last lines give the growth
from the smallest to the largest case (time per inference and added RSS), for both systems.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "bench" / "programs"

# (program, size): nrev N reverses [1..N]; tak (x, y, z)
CASES = [("nrev", 100), ("nrev", 300), ("nrev", 1000), ("nrev", 3000),
         ("tak", (18, 12, 6)), ("tak", (20, 13, 7)), ("tak", (22, 15, 8)), ("tak", (24, 16, 8))]
QUICK = [("nrev", 100), ("nrev", 1000), ("tak", (18, 12, 6)), ("tak", (22, 15, 8))]


def label(prog: str, size) -> str:
    return f"nrev {size}" if prog == "nrev" else f"tak{size}".replace(" ", "")


# ---------------------------------------------------------------------------------------------
def child(prog: str, size: str) -> None:
    """Run one case in this process and print 'inferences seconds rss_added_kb trail'."""
    sys.path.insert(0, str(ROOT))
    from lang.clauses import compile_query
    from lang.parser import parse_query
    from lang.primitives import REGISTRY
    from lang.solver import Machine
    from substrate import Substrate
    kb = Substrate(ttl=None)
    for r in kb.load(str(PROGRAMS / f"{prog}.kb")):
        if r.error is not None:
            raise SystemExit(f"loading {prog}.kb: {r.error}")
    if prog == "nrev":
        n = int(size)
        text = "#nrev([" + ", ".join(str(i) for i in range(1, n + 1)) + "], :r)"
    else:
        text = f"#tak({size}, :a)"
    query = compile_query(parse_query(text), REGISTRY)
    m = Machine(kb, None)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.process_time()
    solutions = m.run(query)
    next(solutions)
    t = time.process_time() - t0
    trail = len(m.trail)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(m.inferences, f"{t:.6f}", after - before, trail)


def run_seltzer(prog: str, size) -> tuple[int, float, float, int]:
    arg = str(size) if prog == "nrev" else ", ".join(map(str, size))
    out = subprocess.run([sys.executable, __file__, "--child", prog, arg], capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]) / 1024, int(out[3])


def run_swi(swipl: str, prog: str, size) -> tuple[int, float, float]:
    pl = PROGRAMS / f"{prog}.pl"
    if prog == "nrev":
        setup, call = f"range(1, {size}, L)", "nrev(L, _)"
    else:
        setup, call = "true", f"tak({', '.join(map(str, size))}, _)"
    goal = (f"{setup}, garbage_collect, statistics(inferences, I0), statistics(cputime, T0), {call}, "
            f"statistics(cputime, T1), statistics(inferences, I1), I is I1 - I0, T is T1 - T0, "
            f"format('~d ~9f~n', [I, T])")
    out, peak = _peak_of(swipl, pl, goal)
    _, base = _peak_of(swipl, pl, f"{setup}")
    inf, t = out.split()
    return int(inf), float(t), max(0.0, peak - base)


def _peak_of(swipl: str, pl: Path, goal: str) -> tuple[str, float]:
    """swipl's stdout and peak RSS in MB (from the child's own rusage)."""
    p = subprocess.Popen([swipl, "-q", "-g", goal, "-t", "halt", str(pl)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise RuntimeError(f"swipl {pl.name}: {err.strip()[:300]}")
    return out, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="four cases instead of eight")
    ap.add_argument("--child", nargs=2, metavar=("PROG", "SIZE"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(*a.child)
        return 0
    swipl = shutil.which("swipl")
    print(f"trail scaling: Python {sys.version.split()[0]}" + ("" if swipl else "; swipl not found")
          + "; one process per case, CPU time\n")
    head = (f"{'case':<14} {'inferences':>11} {'us/inf':>7} {'+RSS MB':>8} {'trail':>6}   "
            f"{'SWI inf':>11} {'ns/inf':>7} {'+RSS MB':>8}  {'ratio':>6}")
    print(head + "\n" + "-" * len(head), flush=True)
    rows = []
    for prog, size in (QUICK if a.quick else CASES):
        inf, t, rss, trail = run_seltzer(prog, size)
        line = f"{label(prog, size):<14} {inf:>11,} {t / inf * 1e6:>7.2f} {rss:>8.1f} {trail:>6}"
        swi = None
        if swipl:
            swi = run_swi(swipl, prog, size)
            line += f"   {swi[0]:>11,} {swi[1] / max(swi[0], 1) * 1e9:>7.1f} {swi[2]:>8.1f}  {t / max(swi[1], 1e-9):>5.0f}x"
        rows.append((prog, size, inf, t, rss, trail, swi))
        print(line, flush=True)
    print()
    for prog in ("nrev", "tak"):
        mine = [r for r in rows if r[0] == prog]
        if len(mine) < 2:
            continue
        lo, hi = mine[0], mine[-1]
        growth = (hi[3] / hi[2]) / (lo[3] / lo[2])
        text = (f"{prog}: {label(prog, lo[1])} -> {label(prog, hi[1])}: seltzer time/inference x{growth:.2f}, "
                f"added RSS {lo[4]:.1f} -> {hi[4]:.1f} MB, trail at the end {hi[5]}")
        if lo[6] and hi[6]:
            swi_growth = (hi[6][1] / hi[6][0]) / (lo[6][1] / lo[6][0])
            text += f"; SWI time/inference x{swi_growth:.2f}, added RSS {lo[6][2]:.1f} -> {hi[6][2]:.1f} MB"
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
