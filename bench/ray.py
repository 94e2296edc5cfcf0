"""Benchmark of elementals hosted on Ray actors (substrate/cluster/, issue 13), against the
in-process path a user would otherwise keep, measured in the same run.

    python bench/ray.py [--quick] [--hosts N] [--cache DIR]

Data: the E. coli walkthrough's generated genome and gene table (kb/ecoli/make_data.py,
scale 1: 61,889 fragment lines, 4,503 genes), imported once in-process and saved as .kbz
snapshots in bench/.cache/ray/: the fragments in 22 elementals indexed on position 0, the
genes in 2 elementals.

Rows (medians; ratios are Ray-hosted / in-process, so below 1 means the cluster is faster):

    place          load frag.kbz + gene.kbz + base.kb into Substrate(cluster=...) (the data is
                   built on the hosts) vs into Substrate()
    lookup         #frag(N, :s), an indexed lookup answered by one hosted elemental, per query
                   through Substrate.query (one round trip) vs in-process
    fan-out 22     the same lookup on a label of 22 hosted elementals (one message per host)
                   vs 22 in-process elementals; and vs one hosted elemental (the fan-out cost)
    scan 22        count(#frag(_, _), :n): all 61,889 statements streamed in pages
    GATTACA near   count(#gene.find("GATTACA", _), :n) with /poke(gene.find, near, gene): the
                   rule runs on the 2 hosts holding the 2 gene shards, in parallel, vs the
                   in-process solver (the first run also copies the frag data to the hosts,
                   reported apart)

The machine's load matters: with every core busy, two hosts cannot run in parallel; the
``cores idle`` line says how busy the machine was.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# this file is named ray.py: its folder must not shadow the ray package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from substrate import Substrate  # noqa: E402
from substrate.elemental import FactElemental  # noqa: E402

FANOUT = 22


def _data(cache: Path) -> tuple[Path, Path]:
    """frag.kbz (22 elementals, index 0) and gene.kbz (2 elementals), made once."""
    frag, gene = cache / "frag.kbz", cache / "gene.kbz"
    if frag.exists() and gene.exists():
        return frag, gene
    eco = cache / "ecoli"
    if not (eco / "genes.tsv").exists():
        subprocess.run([sys.executable, str(ROOT / "kb/ecoli/make_data.py"), "--out", str(eco)], check=True,
                       stdout=subprocess.DEVNULL)
    kb = Substrate()
    kb.load(str(ROOT / "kb/ecoli/import.kb"))
    lines = sum(1 for _ in open(eco / "genome.fasta"))
    per = -(-(lines - 1) // FANOUT)
    for line in [f'/import.txt("{eco}/genome.fasta", import.frag.lines, -1, [bundle({per})])',
                 f'/import.csv("{eco}/genes.tsv", import.gene, -1, [sep("\\t"), header])']:
        assert kb.run(line), line
    # frag(n, line) for n >= 1, from the imported lines (line 0 is the FASTA header)
    stmts = [x for e in kb.with_label("import.frag.lines") for x in e.entries() if x[0] != 0]
    genes = [x for e in kb.with_label("gene") for x in e.entries()]
    for e in list(kb.with_label("gene")) + list(kb.with_label("import.frag.lines")):
        kb.remove(e.guid)
    for k in range(FANOUT):
        kb.install_bundle("frag", stmts[k * per:(k + 1) * per])
    half = (len(genes) + 1) // 2
    kb.install_bundle("gene", genes[:half])
    kb.install_bundle("gene", genes[half:])
    assert kb.run("/poke(frag, index, 0)")
    assert kb.run(f'/save("{frag}", frag)') and kb.run(f'/save("{gene}", gene)')
    kb.close()
    return frag, gene


def _time(fn, n: int, warm: bool = True) -> list[float]:
    if warm:
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _med(xs: list[float]) -> float:
    return statistics.median(xs)


def _fmt(s: float) -> str:
    return f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def _row(name: str, ray_s: float, here_s: float, note: str = "") -> None:
    print(f"{name:<28} ray {_fmt(ray_s):>10}   in-process {_fmt(here_s):>10}   ratio {ray_s / here_s:7.2f}"
          + (f"   {note}" if note else ""))


def _idle() -> str:
    try:
        load1 = os.getloadavg()[0]
    except OSError:
        return "?"
    return f"load average {load1:.1f} on {os.cpu_count()} cores"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--hosts", type=int, default=2)
    ap.add_argument("--cache", default=str(ROOT / "bench" / ".cache" / "ray"))
    a = ap.parse_args()
    cache = Path(a.cache)
    cache.mkdir(parents=True, exist_ok=True)
    frag, gene = _data(cache)
    reps = 1 if a.quick else 3
    lookups = 100 if a.quick else 300
    files = [str(ROOT / "kb/ecoli/base.kb"), str(frag), str(gene)]

    from substrate.cluster import Cluster
    t0 = time.perf_counter()
    cluster = Cluster(hosts=a.hosts, num_cpus=max(2, os.cpu_count() or 2))
    print(f"Ray: {cluster.describe()}, started in {time.perf_counter() - t0:.1f} s; {_idle()}")
    try:
        made: dict = {}

        def place(key, **kw):
            def run():
                if key in made:
                    made[key].close()
                kb = made[key] = Substrate(**kw)
                kb.load(*files)
            return run

        t_ray = _time(place("ray", cluster=cluster), reps, warm=False)
        t_here = _time(place("here"), reps, warm=False)
        ray_kb, here = made["ray"], made["here"]
        _row("place E. coli data", _med(t_ray), _med(t_here),
             f"({sum(e.count() for e in ray_kb.elementals.values())} entries)")

        keys = [1 + (i * 7919) % 61_000 for i in range(lookups)]

        def lookups_of(kb):
            def run():
                for k in keys:
                    for _ in kb.query(f"#frag({k}, :s)"):
                        pass
            return run

        one_ray = Substrate(cluster=cluster)
        one_here = Substrate()
        stmts = [x for e in here.with_label("frag") for x in e.entries()]
        for k in (one_ray, one_here):
            k.add(FactElemental("frag", stmts, {"index": 0}))
        r1 = _med(_time(lookups_of(one_ray), reps)) / lookups
        h1 = _med(_time(lookups_of(one_here), reps)) / lookups
        _row("lookup, 1 elemental", r1, h1, "per query")
        r22 = _med(_time(lookups_of(ray_kb), reps)) / lookups
        h22 = _med(_time(lookups_of(here), reps)) / lookups
        _row(f"fan-out, {FANOUT} elementals", r22, h22, f"per query; vs 1 hosted: {r22 / r1:.2f}x")
        one_ray.close()
        one_here.close()

        def scan(kb):
            return lambda: list(kb.query("count(#frag(_, _), :n)"))
        _row(f"scan, {FANOUT} elementals", _med(_time(scan(ray_kb), reps)), _med(_time(scan(here), reps)),
             "61,889 statements")

        q = 'count(#gene.find("GATTACA", _), :n)'
        (want,) = list(here.query(q))
        assert ray_kb.run("/poke(gene.find, near, gene)")
        t0 = time.perf_counter()
        (first,) = list(ray_kb.query(q))
        t_first = time.perf_counter() - t0
        assert first == want, (first, want)
        t_near = _time(lambda: list(ray_kb.query(q)), reps)
        cpu_in = []

        def in_process():
            c0 = time.process_time()
            list(here.query(q))
            cpu_in.append(time.process_time() - c0)
        t_in = _time(in_process, reps)
        shards = ray_kb.with_label("gene")
        _row("GATTACA near, 2 shards", _med(t_near), _med(t_in),
             f"{want['n']} genes; first run (copies frag) {_fmt(t_first)}")
        # CPU seconds, which the machine's load does not change: how the work was split
        route = ray_kb._routes[("gene.find", 2)]
        cpus = route.cpu
        print(f"{'  CPU per host':<28} " + ", ".join(_fmt(c) for c in cpus)
              + f"   in-process {_fmt(_med(cpu_in))}   ratio max/in-process {max(cpus) / _med(cpu_in):.2f}"
              + f"   (shards: {', '.join(f'{e.count()} genes on {e.place}' for e in shards)})")
        ray_kb.close()
        here.close()
    finally:
        cluster.shutdown()
    print(f"after: {_idle()}")


if __name__ == "__main__":
    main()
