"""Synthetic E. coli K-12 data for the seltzer walkthrough (the fizz "importing a large data set" seed).

Writes, deterministically from ``--seed``:

* ``DIR/genome.fasta`` -- one ``>`` header line, then the genome in lines of 75 bases (the last one
  shorter): at ``--scale 1`` 4,641,652 bases in 61,889 lines, the size of E. coli K-12 MG1655.
* ``DIR/genes.tsv`` -- an EcoGene-style tab-separated gene table: a header line and 4,503 genes
  (4,504 lines) with columns EG, ECK, Gene, Syn, Type, Len, Orientation, LeftEnd, RightEnd, Protein,
  Function, Description, Comments. Addresses are 1-based and inclusive, inside the genome, and
  Len = RightEnd - LeftEnd + 1. Genes are 300-3000 bp, in genome order, about one in ten overlaps
  the previous one. The data has the seed article's mess: "None" / "Null" in Syn, Protein and
  Function; comma-separated lists with stray spaces ("fruF, fruA ,  ptsA"); gene names unfit for
  symbols (a trailing quote like ``rhsE'``, or a hyphen like ``insB-4``); some empty Comments.

The sequence is uniform random ACGT, so GATTACA already occurs by chance in about 6% of the genes;
on top of that the motif is planted in about 1.3% of the genes, on both strands (GATTACA inside a
Clockwise gene, its reverse complement TGTAATC inside a Counterclockwise one, since those are read
reverse-complemented). The expected answer is not the planted set: it is computed from the written
files by ``kb/ecoli/truth.py`` and printed in the summary.

``--scale F`` shrinks the genome and the number of genes proportionally (genes keep their sizes);
``--scale 0.05`` gives a ~232 kbp genome with 225 genes, for tests.

Usage: ``python kb/ecoli/make_data.py --out DIR [--seed N] [--scale F]``  (stdlib + numpy only)
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time

import numpy as np

GENOME_BP = 4_641_652      # E. coli K-12 MG1655
N_GENES = 4_503            # EcoGene table rows (4,504 lines with the header)
LINE = 75                  # bases per FASTA line
MIN_GENE, MAX_GENE = 300, 3000
FIRST_LEFT = 190           # thrL starts at 190 in the real genome
MOTIF = "GATTACA"
PLANT_FRACTION = 0.013     # genes that get the motif planted (chance hits come on top)
OVERLAP_FRACTION = 0.10    # genes that overlap the previous gene

COLUMNS = ["EG", "ECK", "Gene", "Syn", "Type", "Len", "Orientation", "LeftEnd", "RightEnd",
           "Protein", "Function", "Description", "Comments"]

_PREFIXES = (
    "aas abc ace acn ada add ade ads aga agp ahp alk alp amp ans app ara arc arg aro asn asp ats "
    "bam bas bet bio bor btu cai can car cbl cca cdd cea cit cls cmk cob cor cps cra crp csg cst "
    "cus cyd cys dad dam dap dcu ddl deo dgk dgo din dks dmr dna dps dsb dsd ecn eda elb emr eno "
    "env era fab fad fde fea fec fep fes fhu fim fis fix fli flg flh fol frd frl fru fts fuc fum "
    "gab gad gal gap gat gcv glc gld glg gln glp glt gly gnd gnt gpm grp gsh gsp gua gyr hde hem "
    "hfl hha hip his hol hsd hsl hup hya hyb hyc ibp ile ilv ins kat kba kdg kdp lac lam lep leu "
    "lex lgt lip lld lol lon lpx lrp lsr lys mal man mar mdh mdt men met mgl mgt mhp mia mng mod "
    "mot mra mre mrd msb mtl mut nad nan nap nar nuo nfs nhaA nik nir nrd nrf nth nus omp opp ots "
    "pab pan pap pck pdx pfk pgi pgk phn pho pht pli pnt pol pox ppa ppc prl pro prp pss pst pts "
    "pur pyr qse rbs rec rel rfa rho rib rim rlm rna rpl rpm rpo rps rsx rhs sbc sdh sec sel ser "
    "sfm slt sod spe srl ssb sse sth sul sur tar tdc tdh thi thr thy tig tna tol ton tor tpi trp "
    "trx tsr tus tyr uba ubi udp ugp uhp ung upp usp uvr uxa xdh xyl yaa zap zwf znu"
).split()
_PREFIXES = [p for p in _PREFIXES if len(p) == 3]
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"

_FUNCTIONS = ["Enzyme", "Transport", "Regulator", "Membrane", "Structural component", "Factor",
              "Leader peptide", "Phenotype", "Putative enzyme", "Putative transport",
              "Putative regulator", "Carrier", "Cell process", "Phage or prophage related",
              "IS, phage, Tn", "Unknown"]
_WORDS1 = ["fructose-specific", "histidine", "threonine", "arabinose", "lactose", "maltose",
           "ferric enterobactin", "glutamate", "sigma factor", "DNA polymerase", "30S ribosomal",
           "50S ribosomal", "outer membrane", "inner membrane", "periplasmic", "ATP-dependent",
           "NADH", "flagellar", "fimbrial", "cytochrome", "putative", "predicted", "conserved",
           "phosphoenolpyruvate-dependent", "tRNA", "rRNA", "5'-nucleotidase", "L-serine"]
_WORDS2 = ["PTS enzyme IIA", "ABC transporter permease", "ABC transporter ATPase",
           "transcriptional regulator", "dehydrogenase", "kinase", "synthase", "isomerase",
           "protein", "lipoprotein", "porin", "subunit alpha", "subunit beta", "reductase",
           "oxidase", "hydrolase", "methyltransferase", "chaperone", "operon leader peptide",
           "transposase", "DNA-binding protein", "efflux pump", "hook protein", "motor protein"]
_COMMENTS = ["Pseudogene, interrupted by IS1", "Essential gene", "Fragment of rhs element",
             "Frameshifted", "Cryptic prophage gene", "Start codon corrected", "Part of operon",
             "Overlaps the next gene", "Regulated by CRP, FNR", "Expressed under anaerobiosis"]
# separators of comma lists, with the stray spaces the article complains about
_SEPS = [", ", ", ", ", ", ",", " , ", ",  ", " ,  "]


def _gene_names(n: int, rnd: random.Random) -> list[str]:
    """n unique EcoGene-looking names; a few with a trailing quote or a hyphen."""
    names: list[str] = []
    seen: set[str] = set()

    def add(name: str) -> None:
        seen.add(name)
        names.append(name)

    fixed = ["thrL", "feaR", "hisM", "rhsE'", "fruB"]
    for name in fixed[:n]:
        add(name)
    while len(names) < n:
        r = rnd.random()
        if r < 0.33:                        # y-genes: unknown function
            name = "y" + rnd.choice(_LOWER) + rnd.choice(_LOWER) + rnd.choice(_UPPER)
        else:
            name = rnd.choice(_PREFIXES) + rnd.choice(_UPPER)
        r = rnd.random()
        if r < 0.004:
            name += "'"                    # like rhsE' / ydbA'
        elif r < 0.008:
            name += "-" + str(rnd.randint(1, 9))   # like insB-4
        if name in seen:
            continue
        add(name)
    head, tail = names[:1], names[1:]      # keep thrL first (as in the real table)
    rnd.shuffle(tail)
    return head + tail


def _comma_list(items: list[str], rnd: random.Random) -> str:
    out = items[0]
    for it in items[1:]:
        out += rnd.choice(_SEPS) + it
    if rnd.random() < 0.05:
        out = " " + out
    return out


def _layout(n: int, genome_bp: int, np_rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) 1-based inclusive addresses of n genes in genome order, inside the genome."""
    lengths = np.clip(np.round(np_rng.lognormal(np.log(820.0), 0.55, n)), MIN_GENE, MAX_GENE)
    lengths = lengths.astype(np.int64)
    first = min(FIRST_LEFT, max(1, genome_bp // 1000))
    margin = min(500, genome_bp // 200)
    overlap = np.zeros(n, dtype=np.int64)
    ov = np_rng.random(n) < OVERLAP_FRACTION
    ov[0] = False
    overlap[ov] = np_rng.integers(1, 61, int(ov.sum()))
    free = genome_bp - margin - (first - 1) - int(lengths.sum()) + int(overlap.sum())
    if free < 0:                           # tiny scales: shrink genes to fit
        factor = (genome_bp - margin - first) / float(lengths.sum() * 1.15)
        lengths = np.maximum(np.round(lengths * factor), 20).astype(np.int64)
        overlap = np.minimum(overlap, lengths // 4)
        free = genome_bp - margin - (first - 1) - int(lengths.sum()) + int(overlap.sum())
    weights = np_rng.exponential(1.0, n)
    weights[ov] = 0.0
    weights[0] = 0.0
    cum = np.floor(np.cumsum(weights) / weights.sum() * free).astype(np.int64)
    gaps = np.diff(np.concatenate([[0], cum])) - overlap   # gap before each gene (<0: overlap)
    left = np.empty(n, dtype=np.int64)
    right = np.empty(n, dtype=np.int64)
    pos = first
    for i in range(n):
        if i:
            pos = right[i - 1] + 1 + gaps[i]
        left[i] = pos
        right[i] = pos + lengths[i] - 1
    assert left[0] >= 1 and right[-1] <= genome_bp, (left[0], right[-1], genome_bp)
    assert np.all(np.diff(left) > 0)
    return left, right


def generate(out: str, seed: int = 1997, scale: float = 1.0) -> dict:
    """Write genome.fasta and genes.tsv into ``out``; return a summary dict."""
    if scale <= 0:
        raise ValueError("--scale must be > 0")
    genome_bp = max(2000, int(round(GENOME_BP * scale)))
    n_genes = max(4, int(round(N_GENES * scale)))
    np_rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    os.makedirs(out, exist_ok=True)

    # ---- genes ---------------------------------------------------------------------------
    left, right = _layout(n_genes, genome_bp, np_rng)
    clockwise = np_rng.random(n_genes) < 0.5
    names = _gene_names(n_genes, rnd)
    eg_numbers = rnd.sample(range(10001, 14800), n_genes) if n_genes < 4799 else \
        rnd.sample(range(10001, 10001 + 2 * n_genes), n_genes)

    # ---- genome (uniform random ACGT) with planted motifs --------------------------------
    seq = np.frombuffer(b"ACGT", dtype=np.uint8)[np_rng.integers(0, 4, genome_bp, dtype=np.uint8)]
    seq = seq.copy()
    n_plant = max(4, int(round(n_genes * PLANT_FRACTION)))
    cw_idx = np.flatnonzero(clockwise)
    ccw_idx = np.flatnonzero(~clockwise)
    planted = np.concatenate([
        np_rng.choice(cw_idx, min(len(cw_idx), (n_plant + 1) // 2), replace=False),
        np_rng.choice(ccw_idx, min(len(ccw_idx), n_plant // 2), replace=False)])
    fwd = np.frombuffer(MOTIF.encode(), dtype=np.uint8)
    rev = np.frombuffer(MOTIF[::-1].translate(str.maketrans("ACGT", "TGCA")).encode(), dtype=np.uint8)
    k = len(MOTIF)
    for i in sorted(planted.tolist()):
        lo, hi = left[i] - 1, right[i] - k        # 0-based start inside [LeftEnd-1, RightEnd-k]
        if hi < lo:
            continue
        at = int(np_rng.integers(lo, hi + 1))
        seq[at:at + k] = fwd if clockwise[i] else rev

    # ---- genome.fasta ----------------------------------------------------------------------
    raw = seq.tobytes()
    lines = [raw[i:i + LINE] for i in range(0, genome_bp, LINE)]
    header = (f">gi|49175990|ref|NC_000913.2| Escherichia coli str. K-12 substr. MG1655 "
              f"(synthetic: seltzer make_data.py seed={seed} scale={scale:g})").encode()
    fasta = os.path.join(out, "genome.fasta")
    with open(fasta, "wb") as f:
        f.write(header + b"\n" + b"\n".join(lines) + b"\n")

    # ---- genes.tsv -------------------------------------------------------------------------
    rows = ["\t".join(COLUMNS)]
    n_types = {"aa": 0, "rna": 0, "pseudo": 0}
    for i in range(n_genes):
        name = names[i]
        r = rnd.random()
        gtype = "pseudo" if (name.endswith("'") or r < 0.025) else ("rna" if r < 0.065 else "aa")
        n_types[gtype] += 1
        if name == "fruB":
            syn = "fruF, fruA ,  ptsA"
        elif rnd.random() < 0.45:
            syn = "None"
        else:
            syn = _comma_list([rnd.choice(_PREFIXES) + rnd.choice(_UPPER)
                               for _ in range(rnd.choice([1, 1, 1, 2, 2, 3]))], rnd)
        r = rnd.random()
        if gtype != "aa" or r < 0.06:
            protein = "None" if rnd.random() < 0.6 else "Null"
        elif r < 0.10:
            protein = "Null"
        else:
            protein = _comma_list([f"{rnd.choice('PQ')}{rnd.randint(0, 9)}"
                                   f"{''.join(rnd.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') for _ in range(4))}"
                                   for _ in range(rnd.choice([1, 1, 1, 1, 2]))], rnd)
        r = rnd.random()
        if r < 0.12:
            function = "None"
        elif r < 0.22:
            function = "Null"
        else:
            function = _comma_list(rnd.sample(_FUNCTIONS, rnd.choice([1, 1, 2, 2, 3])), rnd)
        if name == "thrL":
            desc = "thr operon leader peptide"
        elif name.startswith("y"):
            desc = f"{rnd.choice(['putative', 'predicted', 'conserved'])} {rnd.choice(_WORDS2)}, function unknown"
        else:
            desc = f"{rnd.choice(_WORDS1)} {rnd.choice(_WORDS2)}"
        r = rnd.random()
        comments = "" if r < 0.2 else ("None" if r < 0.7 else rnd.choice(_COMMENTS))
        if gtype == "pseudo" and comments in ("", "None"):
            comments = "Pseudogene"
        le, re_ = int(left[i]), int(right[i])
        rows.append("\t".join([
            f"EG{eg_numbers[i]}", f"ECK{i + 1:04d}", name, syn, gtype, str(re_ - le + 1),
            "Clockwise" if clockwise[i] else "Counterclockwise", str(le), str(re_),
            protein, function, desc, comments]))
    genes = os.path.join(out, "genes.tsv")
    with open(genes, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(rows) + "\n")

    # ---- ground truth (independent computation from the files just written) --------------
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True   # no __pycache__ in kb/ecoli
    try:
        from truth import gattaca_genes
    finally:
        sys.path.pop(0)
        sys.dont_write_bytecode = saved
    hits = gattaca_genes(fasta, genes, MOTIF)
    strand = {names[i]: bool(clockwise[i]) for i in range(n_genes)}
    return {
        "fasta": fasta, "genes_path": genes, "seed": seed, "scale": scale,
        "fasta_lines": len(lines) + 1, "sequence_lines": len(lines), "bases": genome_bp,
        "last_line": len(lines[-1]), "genes": n_genes, "gene_lines": n_genes + 1,
        "types": n_types, "overlapping": int(np.sum(left[1:] <= right[:-1])),
        "planted": len(planted), "expected": len(hits),
        "expected_cw": sum(1 for h in hits if strand[h]),
        "expected_ccw": sum(1 for h in hits if not strand[h]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--seed", type=int, default=1997)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    s = generate(a.out, a.seed, a.scale)
    dt = time.perf_counter() - t0
    print(f"{s['fasta']}: {s['fasta_lines']} lines (1 header + {s['sequence_lines']} of {LINE} bases, "
          f"last {s['last_line']}), {s['bases']} bases")
    print(f"{s['genes_path']}: {s['gene_lines']} lines, {s['genes']} genes "
          f"({', '.join(f'{k} {v}' for k, v in s['types'].items())}; {s['overlapping']} overlap the previous)")
    print(f"GATTACA planted in {s['planted']} genes; expected GATTACA genes: {s['expected']} "
          f"({s['expected_cw']} Clockwise, {s['expected_ccw']} Counterclockwise)")
    print(f"seed {s['seed']}, scale {s['scale']:g}, {dt:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
