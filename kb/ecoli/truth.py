"""Ground truth for the E. coli GATTACA walkthrough, computed in plain Python (no seltzer).

``gattaca_genes(fasta_path, genes_path, motif)`` returns the sorted names of the genes whose
sequence contains ``motif``:

* the genome is the FASTA file's sequence lines (every line not starting with ``>``) joined;
* a gene's sequence is ``genome[LeftEnd-1:RightEnd]`` (EcoGene addresses are 1-based, inclusive);
* for a ``Counterclockwise`` gene the sequence is reverse-complemented (read on the other strand),
  exactly as the seed article's ``seq.complement`` does with ``str.flip`` + ``str.swap``;
* a gene counts when ``motif in seq``.

Usage::

    python kb/ecoli/truth.py DIR                      # DIR/genome.fasta + DIR/genes.tsv
    python kb/ecoli/truth.py genome.fasta genes.tsv [--motif GATTACA] [--list]
"""
from __future__ import annotations

import os
import sys

__all__ = ["read_genome", "read_genes", "reverse_complement", "gene_sequence", "gattaca_genes"]

_COMPLEMENT = str.maketrans("ACGTacgt", "TGCAtgca")


def read_genome(fasta_path: str) -> str:
    """The genome as one string: all non-header lines of the FASTA file, stripped and joined."""
    with open(fasta_path, encoding="ascii") as f:
        return "".join(line.strip() for line in f if not line.startswith(">"))


def read_genes(genes_path: str) -> list[dict[str, str]]:
    """The gene table as a list of {column: value} dicts (tab-separated, first line = header)."""
    with open(genes_path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = []
        for n, line in enumerate(f, start=2):
            line = line.rstrip("\n")
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) != len(header):
                raise ValueError(f"{genes_path}:{n}: {len(fields)} fields, expected {len(header)}")
            rows.append(dict(zip(header, fields)))
    return rows


def reverse_complement(seq: str) -> str:
    return seq[::-1].translate(_COMPLEMENT)


def gene_sequence(genome: str, gene: dict[str, str]) -> str:
    """A gene's sequence read in its own direction (5' to 3' on its strand)."""
    left, right = int(gene["LeftEnd"]), int(gene["RightEnd"])
    if not 1 <= left <= right <= len(genome):
        raise ValueError(f"gene {gene['Gene']}: bad address {left}..{right} (genome {len(genome)})")
    seq = genome[left - 1:right]
    orientation = gene["Orientation"]
    if orientation == "Clockwise":
        return seq
    if orientation == "Counterclockwise":
        return reverse_complement(seq)
    raise ValueError(f"gene {gene['Gene']}: unknown orientation {orientation!r}")


def gattaca_genes(fasta_path: str, genes_path: str, motif: str = "GATTACA") -> list[str]:
    """Sorted names of the genes whose (strand-corrected) sequence contains ``motif``."""
    genome = read_genome(fasta_path)
    return sorted({g["Gene"] for g in read_genes(genes_path) if motif in gene_sequence(genome, g)})


def _main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Count the genes containing a motif (ground truth).")
    ap.add_argument("paths", nargs="+", help="DIR, or FASTA GENES.tsv")
    ap.add_argument("--motif", default="GATTACA")
    ap.add_argument("--list", action="store_true", help="also print the gene names, one a line")
    a = ap.parse_args(argv)
    if len(a.paths) == 1 and os.path.isdir(a.paths[0]):
        fasta, genes = os.path.join(a.paths[0], "genome.fasta"), os.path.join(a.paths[0], "genes.tsv")
    elif len(a.paths) == 2:
        fasta, genes = a.paths
    else:
        ap.error("give DIR, or FASTA and GENES paths")
    names = gattaca_genes(fasta, genes, a.motif)
    if a.list:
        print("\n".join(names))
    print(f"{len(names)} genes contain {a.motif}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
