"""Shared helpers for the substrate tests: hypothesis strategies that write knowledge as
source text, an answer normaliser, a console fixture, and a home-isolating fixture.

The strategies render terms with their own tiny printer (not lang.printer), so a save that
prints differently from what was written is still checked against what was written.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import strategies as st

from lang.printer import show
from substrate import Substrate
from substrate.console import Console

BARE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*\Z")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Point HOME (and XDG dirs) at a temporary folder so no test touches the user's files."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return home


def console(kb: Substrate | None = None):
    """A (substrate, console, output lines) triple with output captured in a list."""
    kb = kb or Substrate()
    lines: list[str] = []
    return kb, Console(kb, out=lines.append), lines


# ---- rendering -------------------------------------------------------------------------------

def _esc(text: str, quote: str) -> str:
    out = []
    for ch in text:
        if ch == quote or ch == "\\":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch < " " or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def sym_text(name: str) -> str:
    """A symbol as source text: bare when it can be, else single-quoted with escapes."""
    return name if BARE.match(name) else "'" + _esc(name, "'") + "'"


def str_text(s: str) -> str:
    """A string literal."""
    return '"' + _esc(s, '"') + '"'


# ---- strategies ----------------------------------------------------------------------------------

_chars = st.characters(blacklist_categories=("Cs",))
symbols = st.one_of(
    st.sampled_from(["a", "b", "nil", "true", "Hello", "gene.find", "x_1", "A.b.c"]),
    st.text(_chars, max_size=6),
).map(sym_text)
strings = st.text(_chars, max_size=8).map(str_text)
ints = st.integers(min_value=-(10 ** 30), max_value=10 ** 30).map(str)
floats = st.floats(allow_nan=False, allow_infinity=False).map(repr)
atoms = st.one_of(ints, floats, strings, symbols)


def _extend(children):
    lists = st.lists(children, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
    tails = st.tuples(st.lists(children, min_size=1, max_size=2), children).map(
        lambda p: "[" + ", ".join(p[0]) + " | " + p[1] + "]")
    compounds = st.tuples(st.sampled_from(["f", "g.h", "'odd name'", "pair"]),
                          st.lists(children, min_size=1, max_size=3)).map(
        lambda p: p[0] + "(" + ", ".join(p[1]) + ")")
    return st.one_of(lists, tails, compounds)


ground_terms = st.recursive(atoms, _extend, max_leaves=6)
variables = st.sampled_from([":x", ":y", ":long.name", "_"])
terms = st.recursive(st.one_of(atoms, variables), _extend, max_leaves=6)

truths = st.sampled_from([None, None, None, "0.5", "0.25", "1", "0.0", "0.8"])


@st.composite
def fact_definitions(draw, label: str):
    """One factual definition of ``label``: (text, [(arity, [arg texts])])."""
    arity = draw(st.integers(0, 3))
    n = draw(st.integers(0, 5))
    stmts = []
    lines = []
    for _ in range(n):
        ground = draw(st.booleans()) or arity == 0
        args = [draw(ground_terms if ground else terms) for _ in range(arity)]
        truth = draw(truths)
        stmts.append((arity, args, ground))
        lines.append("(" + ", ".join(args) + ")" + (f" := {truth}" if truth else "") + ";")
    props = []
    if arity and draw(st.booleans()):
        props.append("index = " + draw(st.sampled_from(["0", "[0]", f"[{arity - 1}, 0]"])))
    if draw(st.booleans()):
        props.append("tag = " + draw(ground_terms))
    head = label + (" { " + ", ".join(props) + " }" if props else "")
    return head + " { " + " ".join(lines) + " }", stmts


RULES = [
    "(:x)^ :- #{L}(:x, _), !;",
    "(:x, :y) :- #{L}(:x, :y), ~#{L}(:y, :x);",
    "(:n) :- count(#{L}(_, _), :n);",
    "(:l) :- all([:x, :y], #{L}(:x, :y), :l);",
    "(:x, :s) :- #{L}(:x, :y), str.tostr(:y, :s);",
    "(a, :x) :- (#{L}(:x, _), true);",
]


@st.composite
def knowledge_bases(draw):
    """A knowledge base as text, plus the queries that exercise it."""
    labels = ["p", "q", "r.s"]
    defs, queries = [], []
    shapes: dict[tuple[str, int], list] = {}
    for _ in range(draw(st.integers(1, 5))):
        label = draw(st.sampled_from(labels))
        text, stmts = draw(fact_definitions(label))
        defs.append(text)
        for arity, args, ground in stmts:
            shapes.setdefault((label, arity), []).append((args, ground))
    if draw(st.booleans()):
        target = draw(st.sampled_from(labels))
        chosen = draw(st.lists(st.sampled_from(RULES), min_size=1, max_size=4))
        defs.append("rule { " + " ".join(r.replace("{L}", target) for r in chosen) + " }")
        queries += ["#rule(:a)", "#rule(:a, :b)", "#rule"]
    for (label, arity), rows in shapes.items():
        vs = [f":v{i}" for i in range(arity)]
        queries.append(f"#{label}" + (f"({', '.join(vs)})" if arity else ""))
        for args, ground in rows[:3]:
            if arity and ground:
                pos = draw(st.integers(0, arity - 1))
                bound = list(vs)
                bound[pos] = args[pos]
                queries.append(f"#{label}({', '.join(bound)})")
    return "\n".join(defs) + "\n", queries


# ---- answers -------------------------------------------------------------------------------------

def answers(kb: Substrate, query: str) -> list:
    """Every solution of ``query`` as (printed bindings, truth), order kept, variables numbered."""
    out = []
    for answer, truth in kb.solve(query):
        names: dict = {}
        out.append(([(k, show(v, names)) for k, v in answer.items()], truth))
    return out


def shape(kb: Substrate) -> list:
    """The elementals of a substrate without GUIDs: class, label, properties, entries (printed)."""
    out = []
    for e in kb.elementals.values():
        entries = [show_any(x) for x in e.entries()] if hasattr(e, "entries") else []
        out.append((e.cls, e.label, sorted((k, show(v)) for k, v in e.properties.items()),
                    e.count(), entries))
    return out


def show_any(entry) -> str:
    """A stored entry (ground tuple or Clause) as text."""
    if type(entry) is tuple:
        return "(" + ", ".join(show(a) for a in entry) + ")"
    from lang.printer import show_entry
    return show_entry(entry.source)
