"""Elementals: fan-out over many elementals of one label, hash indexes (on/off, /poke rebuild,
kept up to date on assert/retract), first-argument indexing of rules, the Elemental protocol."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lang.terms import Symbol, Var
from substrate import Substrate
from substrate.elemental import Elemental, FactElemental, RuleElemental

from kbgen import answers, console, isolated_home  # noqa: F401  (fixture)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# values that look alike but must not unify: index keys must keep them apart
DOMAIN = ["0", "1", "1.0", "-0.0", "0.0", '"1"', "'1'", "a", '"a"', "[1]", "[]", "f(1)", "f(1, 2)", "2"]


def _stmt(args) -> str:
    return "(" + ", ".join(args) + ");"


def _definition(label: str, stmts, index: str | None) -> str:
    props = f"{{ index = {index} }} " if index else ""
    return f"{label} {props}{{ " + " ".join(_stmt(s) for s in stmts) + " }"


statements = st.lists(st.lists(st.sampled_from(DOMAIN), min_size=2, max_size=2), min_size=1, max_size=40)


@st.composite
def goals(draw):
    """Goals on p/2 with some arguments bound (drawn from the same domain)."""
    a = draw(st.sampled_from(DOMAIN + [":x"]))
    b = draw(st.sampled_from(DOMAIN + [":y"]))
    return f"#p({a}, {b})"


@st.composite
def splits(draw, n: int):
    """Cut points splitting n statements into 1..n contiguous chunks."""
    cuts = draw(st.lists(st.integers(1, max(1, n - 1)), max_size=min(n, 21), unique=True)) if n > 1 else []
    return sorted(cuts)


def _chunks(stmts, cuts):
    bounds = [0] + cuts + [len(stmts)]
    return [stmts[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


@SETTINGS
@given(st.data(), statements, st.lists(goals(), min_size=1, max_size=6),
       st.sampled_from([None, "0", "1", "[0, 1]"]))
def test_fan_out_equals_one_elemental(data, stmts, qs, index):
    """Many elementals of one label answer exactly like one elemental holding everything."""
    cuts = data.draw(splits(len(stmts)))
    one, many = Substrate(), Substrate()
    one.load_text(_definition("p", stmts, index), "one.kb")
    many.load_text("\n".join(_definition("p", c, index) for c in _chunks(stmts, cuts)), "many.kb")
    assert len(many.with_label("p")) == len(_chunks(stmts, cuts))
    for q in qs + ["#p(:x, :y)"]:
        assert answers(many, q) == answers(one, q), q


@SETTINGS
@given(statements, st.lists(goals(), min_size=1, max_size=6), st.sampled_from(["0", "1", "[0, 1]", "[1, 0]"]))
def test_index_on_and_off_give_the_same_answers(stmts, qs, index):
    """An indexed elemental answers like an unindexed one, before and after /poke changes it."""
    plain, indexed = Substrate(), Substrate()
    plain.load_text(_definition("p", stmts, None))
    indexed.load_text(_definition("p", stmts, index))
    for q in qs:
        assert answers(indexed, q) == answers(plain, q), q
    assert plain.run("/poke(p, index, [0, 1])")
    assert indexed.run("/poke(p, index, [])")
    for q in qs:
        assert answers(indexed, q) == answers(plain, q), q


def _frag(n: int, index: str | None = "0") -> str:
    props = f"{{ index = {index} }} " if index else ""
    return f"frag {props}{{ " + " ".join(f'({i}, "s{i}");' for i in range(n)) + " }"


def _looked_up(e, *args) -> list:
    """What an elemental hands the solver for a goal (the bucket it would try)."""
    asker = e.asker(len(args)) if hasattr(e, "asker") else None
    return list(asker(list(args)) if asker else e.ask(list(args)))


def test_indexed_lookup_reads_one_bucket():
    kb = Substrate()
    kb.load_text(_frag(1000))
    e = kb.with_label("frag")[0]
    assert len(_looked_up(e, 500, Var())) == 1
    assert len(_looked_up(e, 5000, Var())) == 0
    assert list(e.tables[2].indexes) == [0]
    assert len(_looked_up(e, Var(), "s500")) == 1  # position 1 is not indexed: a column scan
    assert list(kb.query("#frag(500, :s)")) == [{"s": "s500"}]


def test_poke_builds_and_removes_the_index():
    kb, c, out = console()
    kb.load_text(_frag(1000, None))
    e = kb.with_label("frag")[0]
    assert list(e.tables[2].indexes) == []
    assert len(_looked_up(e, 7, Var())) == 1  # a column scan
    assert c.run_line("/poke(frag, index, 0)")
    assert out[-1] == "% index = 0 on 1 elemental of frag"
    assert e.properties["index"] == 0
    assert list(e.tables[2].indexes) == [0]
    assert len(_looked_up(e, 7, Var())) == 1
    assert c.run_line("/poke(frag, index, [1])")
    assert list(e.tables[2].indexes) == [1]
    assert len(_looked_up(e, 7, Var())) == 1
    assert len(_looked_up(e, Var(), "s7")) == 1
    assert list(kb.query('#frag(:n, "s7")')) == [{"n": 7}]
    assert not c.run_line("/poke(frag, index, x)")
    assert not c.run_line("/poke(frag, index, [-1])")
    assert e.properties["index"] == [1] or len(_looked_up(e, Var(), "s7")) == 1


def test_index_follows_assert_and_retract():
    kb = Substrate()
    kb.load_text(_frag(100))
    e = kb.with_label("frag")[0]
    assert kb.run('assert(frag(5000, "new"))')
    assert _looked_up(e, 5000, Var()) == [(5000, "new")]
    assert kb.run('retract(frag(5000, _))')
    assert _looked_up(e, 5000, Var()) == []
    assert kb.run("retract(frag(3, _))")
    assert list(kb.query("#frag(3, :s)")) == []
    assert len(list(kb.query("#frag(:n, :s)"))) == 99


def test_non_ground_statement_in_an_indexed_elemental_is_still_found():
    kb = Substrate()
    kb.load_text(_frag(10))
    assert kb.run('assert(frag(:any, "wild"))')
    assert kb.run('assert(frag(99, "late"))')
    assert [a["s"] for a in kb.query("#frag(3, :s)")] == ["s3", "wild"]
    assert [a["s"] for a in kb.query("#frag(99, :s)")] == ["wild", "late"]


def test_fan_out_of_indexed_elementals_reads_one_bucket_each():
    kb = Substrate()
    kb.load_text("\n".join(
        "frag { index = 0 } { " + " ".join(f'({i}, "e{k}");' for i in range(k * 50, k * 50 + 50)) + " }"
        for k in range(22)))
    assert len(kb.holders("frag", 2)) == 22
    assert len(list(kb.ask("frag", [75, Var()]))) == 1
    assert list(kb.query("#frag(75, :s)")) == [{"s": "e1"}]


def test_rule_elemental_indexes_first_argument():
    kb = Substrate()
    kb.load_text("r { (a, 1) :- true; (b, 2) :- true; (:x, 3) :- true; (a, 4) :- true; }")
    e = kb.with_label("r")[0]
    assert isinstance(e, RuleElemental)
    assert len(_looked_up(e, Symbol("a"), Var())) == 3
    assert len(_looked_up(e, Symbol("c"), Var())) == 1
    assert len(_looked_up(e, Var(), Var())) == 4
    assert [a["n"] for a in kb.query("#r(a, :n)")] == [1, 3, 4]
    assert [a["n"] for a in kb.query("#r(:k, :n)")] == [1, 2, 3, 4]
    assert [a["n"] for a in kb.query("#r(z, :n)")] == [3]


def test_elementals_follow_the_protocol():
    f = FactElemental("p", [(1, 2)], {"index": 0})
    r = RuleElemental("q", [])
    for e in (f, r):
        assert isinstance(e, Elemental)
        assert len(e.guid) == 32 and int(e.guid, 16) >= 0
    assert f.cls == "facts" and r.cls == "rules"
    assert f.count() == 1 and list(f.arities()) == [2]
    f.tell([(3, 4), (1, 5)])
    assert list(f.ask([1, Var()])) == [(1, 2), (1, 5)]
    f.set_property("tag", Symbol("x"))
    assert f.properties == {"index": 0, "tag": Symbol("x")}


def test_mixed_arities_in_one_elemental():
    kb = Substrate()
    kb.load_text("p { (1); (1, 2); (2); () ; }")
    assert [a["x"] for a in kb.query("#p(:x)")] == [1, 2]
    assert list(kb.query("#p(:x, :y)")) == [{"x": 1, "y": 2}]
    assert list(kb.query("#p")) == [{}]
