"""The fast scanner for data files (lang.fastparse) reads exactly what the grammar reads.

Generated definitions of rows of literals, variables, lists and compounds — same-shaped
runs (taken by one regex per row),
shape changes, escapes, comments, a last row without ';', numbers that look alike — are
parsed by the scanner and by the Lark grammar; where the scanner answers, it must give the
same definitions, entry for entry.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lang.fastparse import parse_facts
from lang.parser import _get
from lang.printer import show

LITERALS = ["0", "-7", "12", "1.5", "-0.0", "1e3", "2.5E-2", '"a b"', '"x\\"y"', '""', "sym", "a.b", "Clockwise",
            "007", "f(1)", ":x", "_", "[]", "[1, :y]", "[a | :t]", "f(:x, g(1, [2]))", "[[1], [] | []]",
            "f (1)", "[1|2]", ":x.y", "[:x, _]"]


@st.composite
def files(draw):
    defs = []
    for d in range(draw(st.integers(1, 3))):
        shape = draw(st.lists(st.sampled_from(LITERALS), min_size=1, max_size=4))
        rows = []
        for _ in range(draw(st.integers(0, 12))):
            row = shape if draw(st.booleans()) else draw(st.lists(st.sampled_from(LITERALS), min_size=1, max_size=4))
            sep = draw(st.sampled_from([", ", ",", " , "]))
            rows.append("(" + sep.join(row) + ")" + draw(st.sampled_from([";", ";", " ;", "; // note"])))
        if rows and draw(st.booleans()):
            rows[-1] = rows[-1].split(";")[0]
        props = draw(st.sampled_from(["", "{ index = 0 } "]))
        defs.append(f"d{d} {props}{{\n    " + "\n    ".join(rows) + "\n}")
    return "\n".join(defs) + "\n"


def _shown(defs) -> list:
    return [(d.label, sorted((k, show(v)) for k, v in d.properties.items()),
             [tuple((type(a).__name__, show(a)) for a in e.args) for e in d.entries]) for d in defs]


@settings(max_examples=300, deadline=None)
@given(files())
def test_fast_scanner_agrees_with_the_grammar(text):
    fast = parse_facts(text, "f.kb")
    if fast is None:
        return
    assert _shown(fast) == _shown(_get().parse(text, "start", "f.kb"))


def test_fast_rows_are_taken_for_a_data_file():
    text = "e { index = 0 } {\n" + "".join(f'    ({i}, {i * 2}, "w{i % 3}", s{i % 2});\n' for i in range(500)) + "}\n"
    fast = parse_facts(text, "f.kb")
    assert fast is not None and len(fast[0].entries) == 500
    assert _shown(fast) == _shown(_get().parse(text, "start", "f.kb"))


def test_facts_with_variables_lists_and_compounds_are_scanned_too():
    text = "n {\n" + "".join(f"    ({i}, f(:x, {i}), [a, b | :t], _);\n" for i in range(300)) + "}\n"
    fast = parse_facts(text, "f.kb")
    assert fast is not None and len(fast[0].entries) == 300
    assert _shown(fast) == _shown(_get().parse(text, "start", "f.kb"))
