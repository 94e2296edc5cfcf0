"""Tabling against SWI-Prolog: transitive closure of a random graph, same program, same answer.

    python bench/language.py [--nodes N] [--edges M] [--seed S]

The graph (default 1,000 nodes, 1,500 edges, seed 11) is generated deterministically; both
systems table the left-recursive definition

    path(X, Y) :- path(X, Z), edge(Z, Y).      path { table = true } {
    path(X, Y) :- edge(X, Y).                      (:x, :y) :- #path(:x, :z), #edge(:z, :y);
                                                   (:x, :y) :- #edge(:x, :y); }

and count every reachable pair (``count(#path(_, _), :n)`` / ``aggregate_all(count, ...)``), from
fresh tables, once with all arguments free and once per start node for the first 50 nodes.
Times are CPU seconds of the query alone (SWI: ``statistics(cputime)`` around it; seltzer:
``time.process_time`` around the solve, loading excluded), best of 3. The counts must agree.
Retract is the facts helper's bench (bench/scale.py); it is not repeated here.
"""
from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_graph(nodes: int, edges: int, seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    out: set = set()
    while len(out) < edges:
        a, b = rng.randrange(nodes), rng.randrange(nodes)
        if a != b:
            out.add((a, b))
    return sorted(out)


def seltzer_time(graph, starts: list[int], repeats: int) -> tuple[float, int, float, int]:
    from substrate import Substrate
    text = ("edge { " + " ".join(f"({a}, {b});" for a, b in graph) + " }\n"
            "path { table = true } {\n    (:x, :y) :- #path(:x, :z), #edge(:z, :y);\n"
            "    (:x, :y) :- #edge(:x, :y);\n}\n")
    best_all = best_from = float("inf")
    n_all = n_from = 0
    for _ in range(repeats):
        kb = Substrate(ttl=None)
        kb.load_text(text, "<graph>")
        t0 = time.process_time()
        (ans, _t), = kb.solve("count(#path(_, _), :n)")
        best_all = min(best_all, time.process_time() - t0)
        n_all = ans["n"]
        kb.close()
        kb = Substrate(ttl=None)
        kb.load_text(text, "<graph>")
        t0 = time.process_time()
        n_from = 0
        for s in starts:
            (ans, _t), = kb.solve(f"count(#path({s}, _), :n)")
            n_from += ans["n"]
        best_from = min(best_from, time.process_time() - t0)
        kb.close()
    return best_all, n_all, best_from, n_from


SWI = """
:- table path/2.
path(X, Y) :- path(X, Z), edge(Z, Y).
path(X, Y) :- edge(X, Y).
run_all(T, N) :- abolish_all_tables, statistics(cputime, T0), aggregate_all(count, path(_, _), N),
    statistics(cputime, T1), T is T1 - T0.
run_from(Starts, T, N) :- abolish_all_tables, statistics(cputime, T0),
    foldl([S, A0, A]>>(aggregate_all(count, path(S, _), K), A is A0 + K), Starts, 0, N),
    statistics(cputime, T1), T is T1 - T0.
best(G, Reps, T, N) :- findall(T0-N0, (between(1, Reps, _), call(G, T0, N0)), L), keysort(L, [T-N | _]).
main :- starts(S), reps(R), best(run_all, R, T1, N1), best(run_from(S), R, T2, N2),
    format("RESULT ~w ~w ~w ~w~n", [T1, N1, T2, N2]).
:- initialization(main, main).
"""


def swi_time(graph, starts: list[int], repeats: int):
    swipl = shutil.which("swipl")
    if swipl is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "tc.pl"
        p.write_text("".join(f"edge({a}, {b}).\n" for a, b in graph)
                     + f"starts({starts}).\nreps({repeats}).\n" + SWI)
        out = subprocess.run([swipl, str(p)], capture_output=True, text=True, timeout=600).stdout
    for line in out.splitlines():
        if line.startswith("RESULT "):
            t1, n1, t2, n2 = line.split()[1:]
            return float(t1), int(n1), float(t2), int(n2)
    raise RuntimeError("swipl printed no RESULT line:\n" + out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--edges", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    graph = make_graph(a.nodes, a.edges, a.seed)
    starts = list(range(min(50, a.nodes)))
    print(f"transitive closure, tabled: {a.nodes} nodes, {len(graph)} edges (seed {a.seed}); best of {a.repeats}")
    s_all, sn_all, s_from, sn_from = seltzer_time(graph, starts, a.repeats)
    w = swi_time(graph, starts, a.repeats)
    print(f"{'query':32} {'seltzer':>10} {'SWI-Prolog':>11} {'ratio':>7}  answers")
    ok = True
    for name, s, sn, wi in (("path(_, _) (all pairs)", s_all, sn_all, 0), (f"path(s, _) for {len(starts)} starts", s_from, sn_from, 2)):
        if w is None:
            print(f"{name:32} {s:9.3f}s {'-':>11} {'-':>7}  {sn}")
            continue
        wt, wn = w[wi], w[wi + 1]
        same = "same" if wn == sn else f"DIFFERENT (SWI {wn})"
        ok = ok and wn == sn
        print(f"{name:32} {s:9.3f}s {wt:10.3f}s {s / max(wt, 1e-9):6.1f}x  {sn} {same}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
