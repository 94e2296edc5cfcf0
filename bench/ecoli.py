"""The E. coli workload (kb/ecoli, SPEC §5 and §7), step by step, against its time bars.

    python bench/ecoli.py [--quick] [--data DIR] [--no-profile]

On the full-size generated data (kb/ecoli/make_data.py, deterministic; written to DIR, by default
bench/.cache/ecoli, when missing) every step of the walkthrough is timed through the Python API,
each console line with ``Substrate.run`` (the whole line: parsing, the command, settling, the
report):

    /import.txt(genome, frag, -1, [bundle(3072)])          <= 0.5 s and >= 120k lines/s
    /import.csv(genes, gene, -1, [sep("\\t"), header, assert]) >= 100k rows/s
    /import.txt(genome, import.frag)   (declared, rule bundles + hushes)  <= 5 s
    /import.csv(genes, import.gene, -1, [sep("\\t"), header])              <= 2 s
    #frag(N, :s) after /poke(frag, index, 0), random N      <= 100 us per query, both as
        sub.solve(text) (parsing included) and solver-only (compiled query, Machine.run)
    count(#gene.find("GATTACA", _), :n), fragments indexed  <= 5 s (goal <= 1 s); the count
        must equal kb/ecoli/truth.py's
    the same search with the fragments in an LMDB store elemental (class = store), and the
    ratio store / in-memory -- "n/a" while substrate/store/elemental.py does not exist

Imports run on a fresh copy of their label (the previous one dropped first); best of 3
(``--quick``: best of 1, fewer random queries). The results are checked (statement counts, one
fragment's text, the GATTACA count). The run ends with a cProfile of the GATTACA query (top 10 by
own time). Exit status 1 when a bar fails or a result is wrong.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.util
import io
import math
import os
import pstats
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ECOLI_DIR = ROOT / "kb" / "ecoli"
DEFAULT_DATA = ROOT / "bench" / ".cache" / "ecoli"
sys.path.insert(0, str(ROOT))

GATTACA = 'count(#gene.find("GATTACA", _), :n)'
BUNDLE = 3072


def fmt_time(t: float | None) -> str:
    if t is None:
        return "-"
    if t >= 1:
        return f"{t:.3f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.1f} us"


def _ecoli_module(name: str):
    """Import kb/ecoli/NAME.py without leaving a __pycache__ there."""
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(ECOLI_DIR))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(ECOLI_DIR))
        sys.dont_write_bytecode = saved


def ensure_data(data: Path) -> tuple[Path, Path]:
    fasta, genes = data / "genome.fasta", data / "genes.tsv"
    if not (fasta.exists() and genes.exists()):
        print(f"generating {data} (kb/ecoli/make_data.py, full size) ...", flush=True)
        _ecoli_module("make_data").generate(str(data))
    with open(fasta, encoding="ascii") as f:
        header = f.readline()
    m = re.search(r"scale=([0-9.eE+-]+)", header)
    if m and float(m.group(1)) != 1.0:
        print(f"warning: {fasta} was generated with scale={m.group(1)}: the bars are for scale 1")
    return fasta, genes


class Bench:
    """A substrate with kb/ecoli loaded, a console capturing its output, and the result table."""

    def __init__(self) -> None:
        from substrate import Substrate
        from substrate.console import Console
        self.sub = Substrate(ttl=None)
        self.out: list[str] = []
        Console(self.sub, out=self.out.append)
        for r in self.sub.load(str(ECOLI_DIR / "import.kb"), str(ECOLI_DIR / "base.kb")):
            if r.error is not None:
                raise RuntimeError(f"loading {r.file}: {r.error}")
        self.rows: list[tuple[str, str, str, str]] = []
        self.problems: list[str] = []
        self.failed = False

    def run(self, line: str) -> tuple[float, list[str]]:
        """Run one console line; (seconds, its output). An error raises."""
        self.out.clear()
        gc.collect()
        t0 = time.perf_counter()
        ok = self.sub.run(line)
        dt = time.perf_counter() - t0
        text = list(self.out)
        if not ok or any(t.startswith("error") for t in text):
            raise RuntimeError(f"{line}: " + " | ".join(text))
        return dt, text

    def drop(self, label: str) -> None:
        if self.sub.with_label(label):
            self.run(f"/drop({label})")

    def best_import(self, line: str, label: str, repeats: int) -> tuple[float, list[str]]:
        best, text = math.inf, []
        for _ in range(repeats):
            self.drop(label)
            dt, out = self.run(line)
            if dt < best:
                best, text = dt, out
        return best, text

    def count(self, label: str) -> tuple[int, int]:
        """(elementals, statements) holding ``label``."""
        els = self.sub.with_label(label)
        return len(els), sum(e.count() for e in els)

    def check(self, what: str, got, expected) -> None:
        if got != expected:
            self.problems.append(f"{what}: got {got}, expected {expected}")

    def row(self, figure: str, value: str, target: str, ok: bool | None) -> None:
        status = "-" if ok is None else ("PASS" if ok else "FAIL")
        if ok is False and not figure.endswith("(goal)"):
            self.failed = True
        self.rows.append((figure, value, target, status))
        print(f"  {figure:<34} {value:>16}  {target:<18} {status}", flush=True)


def gattaca(sub) -> tuple[float, int]:
    gc.collect()
    t0 = time.perf_counter()
    answers = list(sub.query(GATTACA))
    dt = time.perf_counter() - t0
    return dt, (answers[0]["n"] if len(answers) == 1 else -1)


def frag_queries(b: Bench, fasta: Path, n_whole: int, n_solver: int) -> tuple[float, float, float]:
    """Seconds of the first #frag(N, :s) after the poke, and average seconds per #frag(N, :s):
    whole sub.solve(text), and solver only (compiled)."""
    from lang.clauses import compile_query
    from lang.parser import parse_query
    from lang.primitives import REGISTRY
    from lang.solver import Machine
    with open(fasta, encoding="ascii") as f:
        lines = f.read().split("\n")
    last = len(lines) - 2 if lines[-1] == "" else len(lines) - 1   # frag(0) is the hushed header
    rnd = random.Random(1997)
    sub = b.sub
    gc.collect()
    t0 = time.perf_counter()
    list(sub.solve("#frag(30000, :s)"))
    first = time.perf_counter() - t0
    # correctness of a few
    for n in (1, 1000, last, rnd.randint(1, last)):
        got = [a["s"] for a in sub.query(f"#frag({n}, :s)")]
        b.check(f"#frag({n}, :s)", got, [lines[n]])
    texts = [f"#frag({rnd.randint(1, last)}, :s)" for _ in range(n_whole)]
    for t in texts[:50]:                                   # warm up
        list(sub.solve(t))
    gc.collect()
    t0 = time.perf_counter()
    n_answers = 0
    for t in texts:
        for _ in sub.solve(t):
            n_answers += 1
    whole = (time.perf_counter() - t0) / len(texts)
    b.check("#frag(N, :s) answers (whole)", n_answers, len(texts))
    compiled = [compile_query(parse_query(f"#frag({rnd.randint(1, last)}, :s)"), REGISTRY)
                for _ in range(n_solver)]
    gc.collect()
    t0 = time.perf_counter()
    n_answers = 0
    for q in compiled:
        m = Machine(sub, None)
        n_answers += len(list(m.run(q)))
    solver = (time.perf_counter() - t0) / len(compiled)
    sub.settle()
    b.check("#frag(N, :s) answers (solver)", n_answers, len(compiled))
    return first, whole, solver


def store_gattaca(b: Bench, fasta: Path, expected: int, repeats: int) -> tuple[float | None, str]:
    """GATTACA with the fragments in a class = store elemental: (seconds, note)."""
    from substrate.loader import ELEMENTAL_CLASSES
    if "store" not in ELEMENTAL_CLASSES or importlib.util.find_spec("substrate.store.elemental") is None:
        return None, "n/a (not built yet)"
    tmp = tempfile.mkdtemp(prefix="seltzer-ecoli-")
    sub = b.sub
    try:
        b.drop("frag")
        path = os.path.join(tmp, "frag.lmdb")
        sub.load_text(f'frag {{ class = store, path = "{path}", index = [0] }} {{}}\n', "<ecoli store>")
        dt_in, _ = b.run(f'/import.txt("{fasta}", frag, -1, [assert])')
        kinds = sorted({e.cls for e in sub.with_label("frag")})
        if kinds != ["store"]:
            return None, f"error: frag held by {kinds} after the import, expected [store]"
        els, stmts = b.count("frag")
        b.check("store frag statements", stmts, sum(1 for _ in open(fasta, encoding="ascii")))
        best, n = math.inf, None
        for _ in range(repeats):
            dt, n = gattaca(sub)
            best = min(best, dt)
        b.check("GATTACA count (store)", n, expected)
        return best, f"(import into store {fmt_time(dt_in)})"
    except Exception as e:  # noqa: BLE001 - report, keep the in-memory figures
        return None, f"error: {type(e).__name__}: {e}"
    finally:
        b.drop("frag")
        shutil.rmtree(tmp, ignore_errors=True)


def profile_gattaca(sub) -> str:
    pr = cProfile.Profile()
    pr.enable()
    n = list(sub.query(GATTACA))
    pr.disable()
    buf = io.StringIO()
    st = pstats.Stats(pr, stream=buf)
    st.sort_stats("tottime").print_stats(10)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
    text = [f"cProfile of {GATTACA} ({n[0]['n'] if n else '?'} genes), top 10 by tottime:"]
    if start >= 2:
        text.append("  " + lines[start - 2].strip())
    for ln in lines[start:start + 11]:
        text.append("  " + re.sub(re.escape(str(ROOT)) + "/|/[^ ]*/lib/python3\\.\\d+/", "", ln))
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="E. coli workload: each step against its bar")
    ap.add_argument("--quick", action="store_true", help="best of 1, fewer random queries")
    ap.add_argument("--data", metavar="DIR", default=str(DEFAULT_DATA),
                    help=f"genome.fasta + genes.tsv (generated when missing; default {DEFAULT_DATA.relative_to(ROOT)})")
    ap.add_argument("--no-profile", action="store_true", help="skip the cProfile of the GATTACA query")
    a = ap.parse_args(argv)
    repeats = 1 if a.quick else 3
    n_whole, n_solver = (1000, 2000) if a.quick else (5000, 20000)
    t_start = time.perf_counter()

    fasta, genes = ensure_data(Path(a.data))
    n_lines = sum(1 for _ in open(fasta, encoding="ascii"))
    n_genes = sum(1 for ln in open(genes, encoding="utf-8") if ln.strip()) - 1
    expected = len(_ecoli_module("truth").gattaca_genes(str(fasta), str(genes)))
    print(f"E. coli workload: Python {sys.version.split()[0]}; {fasta}: {n_lines} lines; "
          f"{genes}: {n_genes} genes; truth.py: {expected} GATTACA genes; best of {repeats}\n")
    print(f"  {'figure':<34} {'measured':>16}  {'target':<18} result")
    print("  " + "-" * 80)

    b = Bench()
    F, G = str(fasta), str(genes)

    # 1. genome lines bundled straight into fact elementals
    dt, _ = b.best_import(f'/import.txt("{F}", frag, -1, [bundle({BUNDLE})])', "frag", repeats)
    b.check("bundle import frag (elementals, statements)", b.count("frag"),
            (math.ceil(n_lines / BUNDLE), n_lines))
    b.row("import.txt bundle(3072)", fmt_time(dt), "<= 0.5 s", dt <= 0.5)
    b.row("  lines/s", f"{n_lines / dt / 1e3:,.0f}k", ">= 120k", n_lines / dt >= 120_000)

    # 2. gene table asserted into one elemental
    dt, _ = b.best_import(f'/import.csv("{G}", gene, -1, [sep("\\t"), header, assert])', "gene", repeats)
    b.check("assert import gene (elementals, statements)", b.count("gene"), (1, n_genes))
    b.row("import.csv assert", fmt_time(dt), "-", None)
    b.row("  rows/s", f"{n_genes / dt / 1e3:,.0f}k", ">= 100k", n_genes / dt >= 100_000)

    # 3. genome through the import.frag rule (declared lines, bundle + hush)
    dt, _ = b.best_import(f'/import.txt("{F}", import.frag)', "frag", repeats)
    b.check("import.frag rule (elementals, statements)", b.count("frag"),
            (math.ceil((n_lines - 1) / BUNDLE), n_lines - 1))
    b.row("import.txt via import.frag rule", fmt_time(dt), "<= 5 s", dt <= 5.0)
    b.row("  lines/s", f"{n_lines / dt / 1e3:,.0f}k", "-", None)

    # 4. gene table through the import.gene rule
    dt, _ = b.best_import(f'/import.csv("{G}", import.gene, -1, [sep("\\t"), header])', "gene", repeats)
    b.check("import.gene rule statements", b.count("gene")[1], n_genes)
    fruB = list(b.sub.query('#gene(_, _, "fruB", :syn, _, _, _, _, _, _, _, _, _)'))
    b.check("fruB synonyms", [x["syn"] for x in fruB], [["fruF", "fruA", "ptsA"]])
    b.row("import.csv via import.gene rule", fmt_time(dt), "<= 2 s", dt <= 2.0)

    # 5. indexed fragment lookups
    dt, _ = b.run("/poke(frag, index, 0)")
    b.row("/poke(frag, index, 0)", fmt_time(dt), "-", None)
    first, whole, solver = frag_queries(b, fasta, n_whole, n_solver)
    b.row("first #frag(N, :s) after the poke", fmt_time(first), "-", None)
    b.row(f"#frag(N, :s) sub.solve (avg {n_whole})", fmt_time(whole), "<= 100 us", whole <= 100e-6)
    b.row(f"#frag(N, :s) solver (avg {n_solver})", fmt_time(solver), "<= 100 us", solver <= 100e-6)

    # 6. GATTACA over all genes, fragments indexed in memory
    best, n = math.inf, None
    for _ in range(repeats):
        dt, n = gattaca(b.sub)
        best = min(best, dt)
    b.check("GATTACA count", n, expected)
    b.row(f"GATTACA in memory ({n} genes)", fmt_time(best), "<= 5 s", best <= 5.0)
    b.row("GATTACA in memory (goal)", fmt_time(best), "<= 1 s", best <= 1.0)
    b.row("  count = truth.py", f"{n} vs {expected}", "equal", n == expected)

    # 7. the same with the fragments in an LMDB store elemental
    prof = "" if a.no_profile else profile_gattaca(b.sub)   # before the store replaces frag
    st, note = store_gattaca(b, fasta, expected, repeats)
    if st is None:
        print(f"  store: {note}")
    else:
        b.row("GATTACA store elemental", fmt_time(st), "-", None)
        b.row("  ratio store / in-memory", f"{st / best:.2f}x", "-", None)
        print(f"  {note}")

    for p in b.problems:
        print(f"PROBLEM: {p}")
    ok = not b.failed and not b.problems
    print(f"\ntotal {time.perf_counter() - t_start:.1f} s; "
          + ("all bars PASS" if ok else "bars FAIL or results wrong: exit 1"))
    b.sub.close()
    if prof:
        print("\n" + prof)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
