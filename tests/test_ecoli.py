"""The E. coli walkthrough end to end (kb/ecoli/, SPEC §7, §10): generate a small genome with
make_data.py, run walkthrough.ses through the real command line, and check the GATTACA answer
against kb/ecoli/truth.py -- also through the Python API."""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from substrate import Substrate

REPO = Path(__file__).resolve().parent.parent
ECOLI = REPO / "kb" / "ecoli"
TIMING = re.compile(r" in \d+(?:\.\d+)? (?:ms|s)\b")
SUMMARY = re.compile(r"^% (\d+) solutions? in \d+(?:\.\d+)? (?:ms|s)\b")


def _truth():
    """kb/ecoli/truth.py, loaded by file path (without writing __pycache__ into kb/)."""
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec = importlib.util.spec_from_file_location("ecoli_truth", ECOLI / "truth.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    return module


truth = _truth()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A working directory laid out for the walkthrough: kb/ (a link to the repo's) and data/ecoli/."""
    root = tmp_path_factory.mktemp("ecoli")
    (root / "kb").symlink_to(REPO / "kb", target_is_directory=True)
    (root / "home").mkdir()
    r = subprocess.run([sys.executable, str(ECOLI / "make_data.py"), "--out", str(root / "data" / "ecoli"),
                        "--scale", "0.05"], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert r.returncode == 0, r.stderr
    return root


@pytest.fixture(scope="module")
def expected(workdir):
    data = workdir / "data" / "ecoli"
    return truth.gattaca_genes(str(data / "genome.fasta"), str(data / "genes.tsv"))


@pytest.fixture(scope="module")
def walkthrough(workdir):
    """The walkthrough's output as (line, output lines) steps, and the exit status."""
    env = {**os.environ, "HOME": str(workdir / "home"), "PYTHONDONTWRITEBYTECODE": "1"}
    r = subprocess.run([sys.executable, str(REPO / "repl.py"), "--script", "kb/ecoli/walkthrough.ses"],
                       cwd=workdir, capture_output=True, text=True, timeout=120, env=env)
    # A top-level step is the echo of the script's next line; echoes of console.exec lines run by a
    # query (and their output) belong to the step that ran them.
    script = [ln for ln in (ECOLI / "walkthrough.ses").read_text().splitlines()
              if ln.strip() and not ln.lstrip().startswith("//")]
    steps: list[tuple[str, list[str]]] = []
    for line in r.stdout.splitlines():
        if len(steps) < len(script) and line == "?- " + script[len(steps)]:
            steps.append((line[3:], []))
        else:
            assert steps, r.stdout
            steps[-1][1].append(line)
    return r, steps


def test_walkthrough_runs_without_errors(walkthrough):
    r, steps = walkthrough
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr == ""
    assert not [s for s in steps if any(o.startswith("error") for o in s[1])]
    script = [ln for ln in (ECOLI / "walkthrough.ses").read_text().splitlines()
              if ln.strip() and not ln.lstrip().startswith("//")]
    assert [s[0] for s in steps] == script    # every line of the script ran, in order


def test_every_step_reports_its_time(walkthrough):
    _, steps = walkthrough
    for line, out in steps:
        if line.startswith(("/load", "/import", "/save")):
            assert any(TIMING.search(o) for o in out), (line, out)
        elif not line.startswith("/"):
            assert out and SUMMARY.match(out[-1]), (line, out)


def test_walkthrough_counts(walkthrough, workdir):
    _, steps = walkthrough
    out = dict(steps)
    lines = len((workdir / "data" / "ecoli" / "genome.fasta").read_text().splitlines())
    genes = len(truth.read_genes(str(workdir / "data" / "ecoli" / "genes.tsv")))
    assert out['/import.txt("data/ecoli/genome.fasta", import.frag.assert, 4)'][-1].startswith(
        "% imported 4 lines as import.frag.assert/2, declared")
    assert out["/list(frag)"][-2:] == [out["/list(frag)"][-2], "% 1 elemental"]
    assert out["/list(frag)"][0].split()[-1] == "3"           # line 0 (the header) is hushed, not asserted
    assert out['/import.txt("data/ecoli/genome.fasta", import.frag)'][-1].startswith(
        f"% imported {lines} lines as import.frag/2, declared")
    assert out['/import.txt("data/ecoli/genome.fasta", frag, -1, [bundle(3072)])'][-1].startswith(
        f"% imported {lines} lines as frag/2, bundled by 3072 into {-(-lines // 3072)} elementals")
    assert out['/import.csv("data/ecoli/genes.tsv", import.gene, -1, [sep("\\t"), header])'][-1].startswith(
        f"% imported {genes} rows as import.gene/13, declared")


def test_walkthrough_gene_answers_match_the_files(walkthrough, workdir):
    _, steps = walkthrough
    out = dict(steps)
    data = workdir / "data" / "ecoli"
    genome = truth.read_genome(str(data / "genome.fasta"))
    fruB = next(g for g in truth.read_genes(str(data / "genes.tsv")) if g["Gene"] == "fruB")
    row = out['#gene(:eg, :eck, "fruB", :syn, :type, :len, :orient, :left, :right, :protein, :function, _, _)']
    assert row[-1].startswith("% 1 solution in ")
    assert f":eg = {fruB['EG']}, :eck = {fruB['ECK']}, :syn = [\"fruF\", \"fruA\", \"ptsA\"]" in row[0]
    assert f":orient = {fruB['Orientation']}, :left = {fruB['LeftEnd']}, :right = {fruB['RightEnd']}" in row[0]
    seq = out['#gene.seq("fruB", :s)']
    assert seq[0] == f':s = "{truth.gene_sequence(genome, fruB)}"'
    frag = out["#frag(1000, :s)"]
    assert frag[0] == f':s = "{genome[999 * 75:1000 * 75]}"'


def test_walkthrough_gattaca_count_equals_truth(walkthrough, expected):
    _, steps = walkthrough
    out = dict(steps)['count(#gene.find("GATTACA", _), :n)']
    assert out[0] == f":n = {len(expected)}"
    assert out[1].startswith("% 1 solution in ")


def test_walkthrough_writes_its_files(walkthrough, workdir):
    data = workdir / "data" / "ecoli"
    for name in ["frags.kb", "genes.kb", "frags.kbz", "frags.part0.kb"]:
        assert (data / name).stat().st_size > 0, name
    assert not list((REPO / "kb" / "ecoli").glob("__pycache__"))


# ---- the same through the Python API ------------------------------------------------------------

@pytest.fixture(scope="module")
def kb(workdir):
    data = workdir / "data" / "ecoli"
    kb = Substrate()
    results = kb.load(str(ECOLI / "import.kb"), str(ECOLI / "base.kb"))
    assert all(r.error is None for r in results)
    assert kb.run(f'/import.txt("{data / "genome.fasta"}", frag, -1, [bundle(3072)])')
    assert kb.run(f'/import.csv("{data / "genes.tsv"}", import.gene, -1, [sep("\\t"), header])')
    assert kb.run("/poke(frag, index, 0)") and kb.run("/poke(gene, index, 2)")   # as the walkthrough does
    yield kb
    kb.close()


def test_api_gattaca_genes_equal_truth(kb, expected):
    (answer,) = list(kb.query('all(:n, #gene.find("GATTACA", :n), :names), lst.sort(:names, :sorted)'))
    assert answer["sorted"] == expected
    assert sorted(answer["names"]) == expected and len(answer["names"]) == len(expected)  # no duplicates


def test_api_every_gene_sequence_equals_truth(kb, workdir):
    data = workdir / "data" / "ecoli"
    genome = truth.read_genome(str(data / "genome.fasta"))
    want = {g["Gene"]: truth.gene_sequence(genome, g) for g in truth.read_genes(str(data / "genes.tsv"))}
    got = {a["n"]: a["s"] for a in kb.query("#gene(_, _, :n, _, _, _, _, _, _, _, _, _, _), #gene.seq(:n, :s)")}
    assert got == want
