"""The classic Prolog benchmarks in seltzer and in SWI-Prolog: same programs, same answers, time ratios.

    python bench/classic.py [--quick] [--only NAME] [--profile]

Programs (bench/programs/NAME.kb for seltzer, NAME.pl for SWI-Prolog):

    nrev     naive reverse of a 30-element list (496 logical inferences per run; gives LIPS)
    queens   all 92 solutions of 8-queens, counted
    tak      tak(18, 12, 6) = 7
    deriv    symbolic differentiation of Warren's four expressions (ops8, divide10, log10, times10)
    crypt    the cryptomultiplication puzzle OEE * EE (first solution)
    poly     (1 + x + y + z) ^ 10 as nested polynomial terms
    qsort    quicksort of 50 numbers with partition and difference lists
    query    pairs of countries of similar population density (all solutions, arithmetic on facts)
    zebra    the five houses puzzle (unification of structures, deep backtracking)
    sendmore SEND + MORE = MONEY by selecting digits and checking columns
    chat     every parse of six ambiguous English sentences (a chat-parser-like DCG)
    lookup   10^5 first-argument lookups in 10^5 indexed facts, summed (facts made by make_lookup.py)

The van Roy programs (crypt, deriv, nrev, poly, qsort, queens, query, tak, zebra) are written
here from the public descriptions of that benchmark set, the .pl and .kb side by side: the same
clauses in the same order, cuts where the original has them (a caret ``^`` is a cut right after
the head), ``is`` arithmetic as seltzer's arithmetic primitives.

For every program both systems' answers are checked, against each other (SWI's ``RESULT`` line
against seltzer's printed answer, spaces removed; for deriv also the four ``TERM`` lines) and
against the expected answers written in the .kb files. A mismatch is reported and the exit status
is 1.

Timing: each measurement runs the program n times in a loop written in the system's own language
(SWI: the .pl's ``loop/1``, iteration count from its environment variable; seltzer: a countdown
prototype added here with ``load_text``) with n chosen so that one measurement takes at least 0.5 s;
the best of 3 measurements is kept (``--quick``: 0.2 s, best of 1). Both sides report CPU time of the
loop alone: seltzer's loading and query compilation are outside the measurement. nrev30 subtracts
the loop's own overhead on both sides (a dummy loop, as nrev.pl does), so LIPS = 496 / seconds per
nrev30.

Bars printed beside the figures (issue 12): nrev30 >= 1,000,000 LIPS; geometric-mean ratio
seltzer/SWI <= 30x.
``--profile`` runs cProfile on the program with the largest ratio (or the ``--only`` one) and prints
the top 10 functions by own time. Without ``swipl`` only seltzer's figures are printed.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import pstats
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS_DIR = ROOT / "bench" / "programs"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(PROGRAMS_DIR))

LIPS_BAR = 1_000_000
RATIO_BAR = 30.0
NREV_INFERENCES = 496

DERIV_NAMES = ("ops8", "divide10", "log10", "times10")


@dataclass
class Program:
    name: str
    title: str
    files: tuple              # .kb files to load (relative to bench/programs, or absolute)
    check: str                # seltzer query whose single answer is compared
    var: str                  # the answer variable of ``check``
    expected: str             # expected answer (spaces removed), from the .kb comments
    goal: str                 # goal the timing loop repeats (one "run")
    env: str                  # the .pl's iteration-count environment variable
    swi_probe: int            # iterations for SWI's calibration run
    unit: str = "run"
    extra: str = ""           # extra knowledge loaded with the program (loops)


def _loop(label: str, goal: str) -> str:
    """A countdown prototype running ``goal`` n times (mirrors the .pl files' loop/1)."""
    return (f"{label} {{\n    (0)^;\n"
            f"    (:n) :- {goal}, !, sub(:n, 1, :m), #{label}(:m);\n}}\n")


NREV_LIST = "[" + ", ".join(str(i) for i in range(1, 31)) + "]"

# nrev.kb's own #nrev.bench(n) is the measured loop; this dummy loop has the same shape with
# nrev replaced by a one-clause predicate, and its time is subtracted (as nrev.pl does).
NREV_DUMMY = f"""
classic.nrev.none {{ (_, _); }}
classic.nrev30.dummy {{ (:r) :- #classic.nrev.none({NREV_LIST}, :r); }}
classic.nrev.dummy {{
    (0)^;
    (:n) :- gt(:n, 0), #classic.nrev30.dummy(_), !, sub(:n, 1, :m), #classic.nrev.dummy(:m);
}}
"""

PROGRAMS = [
    Program("nrev", "nrev30", ("nrev.kb",), "#nrev30(:r)", "r",
            "[" + ",".join(str(i) for i in range(30, 0, -1)) + "]",
            "#nrev30(_)", "NREV_ITER", 5000, "nrev30", NREV_DUMMY),
    Program("queens", "queens8 (all)", ("queens.kb",), "#queens(8, :n)", "n", "92",
            "#queens(8, _)", "QUEENS_ITER", 10),
    Program("tak", "tak(18,12,6)", ("tak.kb",), "#tak(18, 12, 6, :a)", "a", "7",
            "#tak(18, 12, 6, _)", "TAK_ITER", 10),
    Program("deriv", "deriv (4 exprs)", ("deriv.kb",), "#deriv.bench(:s)", "s", "[51,163,66,127]",
            "#deriv.run", "DERIV_ITER", 10000),
    Program("crypt", "crypt", ("crypt.kb",), "#crypt(:r)", "r", "[3,4,8,2,8]",
            "#crypt(_)", "CRYPT_ITER", 200),
    Program("poly", "poly_10", ("poly.kb",), "#poly.bench(:r)", "r", "[1048576,351]",
            "#poly10(_)", "POLY_ITER", 20),
    Program("qsort", "qsort (50)", ("qsort.kb",), "#qsort.run(:r)", "r",
            "[0,2,4,6,7,8,10,11,11,17,18,18,21,27,27,28,28,28,29,31,32,33,37,39,40,46,47,51,53,53,"
            "55,59,61,63,65,66,74,74,75,81,82,83,85,85,90,92,94,95,99,99]",
            "#qsort.run(_)", "QSORT_ITER", 2000),
    Program("query", "query", ("query.kb",), "#query.run(:r)", "r",
            "[[indonesia,223,pakistan,219],[uk,650,w_germany,645],[italy,477,philippines,461],"
            "[france,246,china,244],[ethiopia,77,mexico,76]]",
            "#query.run(_)", "QUERY_ITER", 200),
    Program("zebra", "zebra", ("zebra.kb",), "#zebra(:r)", "r",
            "[house(yellow,norwegian,fox,water,kools),house(blue,ukrainian,horse,tea,chesterfields),"
            "house(red,english,snails,milk,winstons),house(ivory,spanish,dog,orange_juice,lucky_strikes),"
            "house(green,japanese,zebra,coffee,parliaments)]",
            "#zebra(_)", "ZEBRA_ITER", 50),
    Program("sendmore", "sendmore", ("sendmore.kb",), "#sendmore(:r)", "r", "[9,5,6,7,1,0,8,2]",
            "#sendmore(_)", "SENDMORE_ITER", 20),
    Program("chat", "chat parser", ("chat.kb",), "#chat.result(:r)", "r",
            "[[5,7,2,2,10,42],s(np(the,[old],man,[]),vp(saw,np(the,[young],woman,[pp(with,np(the,[],"
            "telescope,[pp(in,np(the,[],park,[]))]))]),[]))]",
            "#chat.run(_)", "CHAT_ITER", 200),
    Program("lookup", "lookup 10^5", ("lookup.kb", "LOOKUP_FACTS"), "#lookup(100000, :s)", "s",
            "34999650000", "#lookup(100000, _)", "LOOKUP_ITER", 2),
]
for _p in PROGRAMS:
    if _p.name != "nrev":
        _p.extra = _loop(f"classic.loop.{_p.name}", _p.goal)


@dataclass
class Row:
    prog: Program
    sel_time: float | None = None     # seconds per run
    sel_inferences: int | None = None
    sel_answer: str | None = None
    swi_time: float | None = None
    swi_answer: str | None = None
    swi_iter: int | None = None
    sel_iter: int | None = None
    problems: list = field(default_factory=list)
    sel_terms: dict | None = None

    @property
    def ratio(self) -> float | None:
        if self.sel_time and self.swi_time:
            return self.sel_time / self.swi_time
        return None


def nospace(text: str) -> str:
    return re.sub(r"\s+", "", text)


def fmt_time(t: float | None) -> str:
    if t is None:
        return "-"
    if t >= 1:
        return f"{t:.3f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3f} ms"
    return f"{t * 1e6:.2f} us"


# ---------------------------------------------------------------------------------------------
# seltzer
# ---------------------------------------------------------------------------------------------
def lookup_facts() -> str:
    """Path of the lookup facts (generated by make_lookup.py when missing or of the wrong size)."""
    import make_lookup
    path = make_lookup.DEFAULT_OUT
    ok = False
    if os.path.exists(path):
        with open(path, encoding="ascii", errors="replace") as f:
            ok = f"i = 0..{make_lookup.N - 1};" in f.readline()
    if not ok:
        print(f"generating {os.path.relpath(path, ROOT)} (make_lookup.py) ...", flush=True)
        make_lookup.write_facts(path, make_lookup.N)
    return path


def seltzer_kb(prog: Program):
    """A fresh substrate holding the program (and its timing loop); errors raise."""
    from substrate import Substrate
    kb = Substrate(ttl=None)
    paths = [lookup_facts() if f == "LOOKUP_FACTS" else str(PROGRAMS_DIR / f) for f in prog.files]
    for result in kb.load(*paths):
        if result.error is not None:
            raise RuntimeError(f"loading {result.file}: {result.error}")
    if prog.extra:
        kb.load_text(prog.extra, f"<classic.py {prog.name} loop>")   # raises on error
    return kb


def seltzer_answers(kb, query: str) -> list:
    """All answers of ``query`` as {var: printed term}, plus the machine's inference count."""
    from lang.printer import show
    from lang.solver import Machine
    m = Machine(kb, None)
    answers = [{k: show(v) for k, v in a.items()} for a, _truth in kb.solve(query, machine=m)]
    return answers, m.inferences


def seltzer_loop_seconds(kb, query: str) -> float:
    """CPU seconds to solve ``query`` (expected to succeed exactly once), compile excluded."""
    from lang.clauses import compile_query
    from lang.parser import parse_query
    from lang.primitives import REGISTRY
    from lang.solver import Machine
    compiled = compile_query(parse_query(query), REGISTRY)
    m = Machine(kb, None)
    t0 = time.process_time()
    n = sum(1 for _ in m.run(compiled))
    t = time.process_time() - t0
    kb.settle()
    if n != 1:
        raise RuntimeError(f"{query}: {n} solutions, expected 1")
    return t


def seltzer_measure(kb, prog: Program, min_time: float, repeats: int) -> tuple[float, int]:
    """Seconds per run (best of ``repeats`` measurements of >= min_time each) and the count n."""
    if prog.name == "nrev":
        def run(n):
            return (seltzer_loop_seconds(kb, f"#nrev.bench({n})")
                    - seltzer_loop_seconds(kb, f"#classic.nrev.dummy({n})"))
        def gross(n):
            return seltzer_loop_seconds(kb, f"#nrev.bench({n})")
    else:
        def run(n):
            return seltzer_loop_seconds(kb, f"#classic.loop.{prog.name}({n})")
        gross = run
    n = 1
    while True:                                   # autorange: grow n until one loop is long enough
        t = gross(n)
        if t >= min_time:
            break
        n = max(n * 2, math.ceil(n * min_time * 1.15 / max(t, 1e-6)))
    best = min(run(n) for _ in range(repeats))
    return best / n, n


# ---------------------------------------------------------------------------------------------
# SWI-Prolog
# ---------------------------------------------------------------------------------------------
def swi_run(swipl: str, prog: Program, iterations: int) -> dict:
    """Run NAME.pl with ``iterations``; its RESULT/TERM/ITER/TIME lines as a dict."""
    env = dict(os.environ, **{prog.env: str(iterations)})
    proc = subprocess.run([swipl, "-q", "-g", "main", "-t", "halt", str(PROGRAMS_DIR / f"{prog.name}.pl")],
                          capture_output=True, text=True, env=env, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"swipl {prog.name}.pl exited {proc.returncode}: {proc.stderr.strip()[:300]}")
    out: dict = {"TERM": {}}
    for line in proc.stdout.splitlines():
        key, _, rest = line.partition(" ")
        if key == "TERM":
            name, _, term = rest.partition(" ")
            out["TERM"][name] = term
        elif key:
            out[key] = rest.strip()
    if "TIME" not in out or "RESULT" not in out:
        raise RuntimeError(f"swipl {prog.name}.pl printed no RESULT/TIME: {proc.stdout[:300]!r}")
    return out


def swi_measure(swipl: str, prog: Program, min_time: float, repeats: int) -> tuple[float, dict, int]:
    probe = swi_run(swipl, prog, prog.swi_probe)
    per = float(probe["TIME"])
    n = max(1, math.ceil(min_time * 1.15 / max(per, 1e-9)))
    if per * prog.swi_probe >= min_time and repeats == 1:
        return per, probe, prog.swi_probe
    best = min(float(swi_run(swipl, prog, n)["TIME"]) for _ in range(repeats))
    return best, probe, n


# ---------------------------------------------------------------------------------------------
def bench_one(prog: Program, swipl: str | None, min_time: float, repeats: int) -> Row:
    row = Row(prog)
    # seltzer: load, check the answer, then time
    try:
        kb = seltzer_kb(prog)
        answers, inferences = seltzer_answers(kb, prog.check)
        if len(answers) != 1:
            row.problems.append(f"seltzer {prog.check}: {len(answers)} answers, expected 1")
        if answers:
            row.sel_answer = nospace(answers[0][prog.var])
            if row.sel_answer != prog.expected:
                row.problems.append(f"seltzer {prog.check} answered {row.sel_answer}, expected {prog.expected}")
        if prog.name == "deriv":
            terms = {}
            for name in DERIV_NAMES:
                a, _ = seltzer_answers(kb, f"#deriv({name}, :d)")
                terms[name] = nospace(a[0]["d"]) if len(a) == 1 else f"<{len(a)} answers>"
            row.sel_terms = terms
        _, row.sel_inferences = seltzer_answers(kb, prog.goal)
        row.sel_time, row.sel_iter = seltzer_measure(kb, prog, min_time, repeats)
        kb.close()
    except Exception as e:  # noqa: BLE001 - report and go on with the other programs
        row.problems.append(f"seltzer error: {type(e).__name__}: {e}")
    # SWI-Prolog
    if swipl:
        try:
            row.swi_time, probe, row.swi_iter = swi_measure(swipl, prog, min_time, repeats)
            row.swi_answer = nospace(probe["RESULT"])
            if row.swi_answer != prog.expected:
                row.problems.append(f"SWI RESULT {row.swi_answer}, expected {prog.expected}")
            if row.sel_answer is not None and row.sel_answer != row.swi_answer:
                row.problems.append(f"answers differ: seltzer {row.sel_answer} vs SWI {row.swi_answer}")
            if prog.name == "deriv" and row.sel_terms is not None:
                for name in DERIV_NAMES:
                    swi_term = nospace(probe["TERM"].get(name, "<missing>"))
                    if row.sel_terms[name] != swi_term:
                        row.problems.append(f"deriv {name}: seltzer {row.sel_terms[name][:80]}... "
                                            f"vs SWI {swi_term[:80]}...")
        except Exception as e:  # noqa: BLE001
            row.problems.append(f"SWI error: {type(e).__name__}: {e}")
    return row


def profile(prog: Program, min_time: float) -> None:
    """cProfile one seltzer timing loop of ``prog``; top 10 functions by own time."""
    kb = seltzer_kb(prog)
    _, n = seltzer_measure(kb, prog, min_time, 1)
    query = f"#nrev.bench({n})" if prog.name == "nrev" else f"#classic.loop.{prog.name}({n})"
    pr = cProfile.Profile()
    pr.enable()
    seltzer_loop_seconds(kb, query)
    pr.disable()
    kb.close()
    buf = io.StringIO()
    st = pstats.Stats(pr, stream=buf)
    st.sort_stats("tottime").print_stats(10)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
    print(f"\ncProfile of seltzer {prog.title} ({n} runs, {query}), top 10 by tottime:")
    print("  " + lines[start - 2].strip() if start >= 2 else "")
    for ln in lines[start:start + 11]:
        print("  " + re.sub(r"/work/main/|/root/\.pyenv/versions/[^/]+/lib/python3\.11/", "", ln))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="classic Prolog benchmarks: seltzer vs SWI-Prolog")
    ap.add_argument("--quick", action="store_true", help="0.2 s measurements, best of 1")
    ap.add_argument("--only", metavar="NAME", choices=[p.name for p in PROGRAMS],
                    help="run one program: " + ", ".join(p.name for p in PROGRAMS))
    ap.add_argument("--profile", action="store_true",
                    help="cProfile seltzer on the program with the largest ratio (or --only's)")
    a = ap.parse_args(argv)
    min_time, repeats = (0.2, 1) if a.quick else (0.5, 3)
    programs = [p for p in PROGRAMS if a.only in (None, p.name)]

    swipl = shutil.which("swipl")
    swi_version = ""
    if swipl:
        v = subprocess.run([swipl, "--version"], capture_output=True, text=True)
        swi_version = v.stdout.strip()
    else:
        print("swipl not found: printing seltzer's figures only. "
              "Install SWI-Prolog with: apt-get install swi-prolog-nox")
    print(f"classic benchmarks: Python {sys.version.split()[0]}"
          + (f", {swi_version}" if swi_version else "")
          + f"; CPU time per run, best of {repeats} measurements of >= {min_time} s\n", flush=True)

    t_start = time.perf_counter()
    rows = []
    for prog in programs:
        print(f"  {prog.name} ...", end="", flush=True)
        t0 = time.perf_counter()
        rows.append(bench_one(prog, swipl, min_time, repeats))
        print(f" {time.perf_counter() - t0:.1f} s", flush=True)

    head = f"{'program':<16} {'seltzer/run':>12} {'SWI/run':>12} {'ratio':>9} {'inferences':>10} {'sel LIPS':>10}  answers"
    print("\n" + head + "\n" + "-" * len(head))
    for r in rows:
        ratio = f"{r.ratio:.1f}x" if r.ratio else "-"
        lips = f"{r.sel_inferences / r.sel_time / 1e3:.0f}k" if r.sel_time and r.sel_inferences else "-"
        inf = str(r.sel_inferences) if r.sel_inferences is not None else "-"
        ans = ("ERROR" if any("error" in p for p in r.problems) else "DIFFER") if r.problems else ("same" if r.swi_answer is not None else "as expected")
        print(f"{r.prog.title:<16} {fmt_time(r.sel_time):>12} {fmt_time(r.swi_time):>12} {ratio:>9} "
              f"{inf:>10} {lips:>10}  {ans}")
    print("(sel LIPS = seltzer goal calls per second in one run; nrev30's is its 497 calls incl. #nrev30)")

    ok = True
    nrev = next((r for r in rows if r.prog.name == "nrev"), None)
    if nrev and nrev.sel_time:
        lips = NREV_INFERENCES / nrev.sel_time
        line = f"\nnrev30: {lips:,.0f} LIPS (496 inferences / {fmt_time(nrev.sel_time)})"
        if nrev.swi_time:
            line += f"; SWI {NREV_INFERENCES / nrev.swi_time:,.0f} LIPS"
        print(line + f"   bar >= {LIPS_BAR:,}: {'PASS' if lips >= LIPS_BAR else 'FAIL'}")
    ratios = [r.ratio for r in rows if r.ratio]
    if ratios:
        gm = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        full = len(ratios) == len(PROGRAMS)
        print(f"geometric-mean ratio seltzer/SWI over {len(ratios)} program(s): {gm:.1f}x   "
              f"bar <= {RATIO_BAR:.0f}x: {'PASS' if gm <= RATIO_BAR else 'FAIL'}"
              + ("" if full else " (partial suite)"))
        worst = max((r for r in rows if r.ratio), key=lambda r: r.ratio)
        print(f"largest ratio: {worst.prog.title} ({worst.ratio:.1f}x)")
    for r in rows:
        for p in r.problems:
            ok = False
            print(f"PROBLEM {r.prog.name}: {p}")
    print(f"\ntotal {time.perf_counter() - t_start:.1f} s" + ("" if ok else "; answers DIFFER or errors: exit 1"))

    if a.profile and rows:
        candidates = [r for r in rows if r.ratio] or [r for r in rows if r.sel_time]
        if candidates:
            target = max(candidates, key=lambda r: r.ratio or r.sel_time).prog
            profile(target, min_time)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
