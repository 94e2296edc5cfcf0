"""The column store answers exactly like a plain list of statements.

A Python list is the model: a goal's answers are the statements that unify with it, in
order; ``retract`` removes the first one. Random interleavings of asserts, retracts, bundles
and queries run against a substrate (with and without indexes, with the column store's size
thresholds lowered so that its numpy paths — sorted index bases, column scans, lazy answers,
compaction — are taken with small data) and against the model; every answer list must be
equal, order included.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lang.printer import show
from lang.terms import Compound, Symbol, make_list
from substrate import Substrate, router
from substrate.facts import index as facts_index
from substrate.facts import table as facts_table

from kbgen import isolated_home  # noqa: F401  (fixture)

SETTINGS = settings(max_examples=int(__import__("os").environ.get("FACTS_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

# values that look alike but must not unify (0.0 and -0.0 included, as in SWI-Prolog)
VALUES = [0, 1, 2, -1, 2 ** 70, 1.0, 0.0, -0.0, 2.5, "1", "a", "b", Symbol("a"), Symbol("b"),
          Symbol("[]"), make_list([1]), Compound("f", (1,)), Compound("f", (Symbol("a"), 2))]


@pytest.fixture(autouse=True)
def small_thresholds(monkeypatch):
    monkeypatch.setattr(facts_index, "BASE_MIN", 3)
    monkeypatch.setattr(facts_table, "SCAN_MIN", 2)
    monkeypatch.setattr(facts_table, "EAGER", 2)
    monkeypatch.setattr(facts_table, "_PROBE", 2)
    monkeypatch.setattr(router, "SORTED_MIN", 4)


def _same(a, b) -> bool:
    # 0.0 and -0.0 do not unify (as in SWI-Prolog): floats must print alike too
    return type(a) is type(b) and (a is b if type(a) is Symbol else a == b and (type(a) is not float or str(a) == str(b)))


def _model_answers(model: list, goal: tuple) -> list:
    """Statements of the model unifying with a goal (None = a fresh variable)."""
    return [s for s in model if all(g is None or _same(g, x) for g, x in zip(goal, s))]


def _text(goal: tuple) -> str:
    return "p(" + ", ".join(f":v{i}" if g is None else show(g) for i, g in enumerate(goal)) + ")"


statements = st.tuples(st.sampled_from(VALUES), st.sampled_from(VALUES))
goals = st.tuples(st.sampled_from(VALUES + [None] * 6), st.sampled_from(VALUES + [None] * 6))
ops = st.one_of(
    st.tuples(st.just("assert"), statements),
    st.tuples(st.just("retract"), goals),
    st.tuples(st.just("query"), goals),
    st.tuples(st.just("bundle"), st.lists(statements, min_size=1, max_size=5)),
)


def _rows(answers: list, goal: tuple) -> list:
    return [tuple(show(a[f"v{i}"]) for i, g in enumerate(goal) if g is None) for a in answers]


@SETTINGS
@given(st.lists(statements, max_size=12), st.lists(ops, min_size=1, max_size=25),
       st.sampled_from([None, "0", "1", "[0, 1]"]), st.booleans())
def test_column_store_answers_like_a_list(initial, steps, index, in_lines):
    kb = Substrate()
    props = f"{{ index = {index} }} " if index else ""
    kb.load_text("p " + props + "{ " + " ".join(f"({show(a)}, {show(b)});" for a, b in initial) + " }")
    model = list(initial)
    for op, arg in steps:
        if op == "assert":
            assert kb.run(f"assert({_text(arg)})") if in_lines else list(kb.query(f"assert({_text(arg)})"))
            model.append(arg)
        elif op == "bundle":
            kb.install_bundle("p", list(arg))
            model.extend(arg)
        elif op == "retract":
            found = _model_answers(model, arg)
            got = list(kb.query(f"retract({_text(arg)})"))
            assert len(got) == (1 if found else 0)
            if found:
                assert _rows(got, arg) == _rows([{f"v{i}": x for i, x in enumerate(found[0])}], arg)
                model.remove(found[0]) if False else model.pop(next(i for i, s in enumerate(model) if s is found[0]))
        else:
            got = _rows(list(kb.query("#" + _text(arg))), arg)
            want = _rows([{f"v{i}": x for i, x in enumerate(s)} for s in _model_answers(model, arg)], arg)
            assert got == want, (arg, model)
    everything = (None, None)
    assert _rows(list(kb.query("#" + _text(everything))), everything) == \
        _rows([{"v0": a, "v1": b} for a, b in model], everything)
    assert sum(e.count() for e in kb.with_label("p")) == len(model)


@SETTINGS
@given(st.lists(statements, min_size=1, max_size=15), st.data())
def test_a_call_sees_the_statements_of_its_start(initial, data):
    """The logical update view: a running call ignores asserts and retracts made meanwhile."""
    kb = Substrate()
    kb.load_text("p { index = 0 } { " + " ".join(f"({show(a)}, {show(b)});" for a, b in initial) + " }"
                 "tryr { (:k) :- retract(p(:k, _)), !; (_) :- true; }")
    victim = data.draw(st.sampled_from(initial))
    q = (f"all([:x, :y], (#p(:x, :y), #tryr({show(victim[0])}), assert(p(:x, :y))), :l), "
         "count(#p(_, _), :n)")
    got = list(kb.query(q))
    assert len(got) == 1
    assert len(got[0]["l"]) == len(initial)
    model = list(initial)
    for s in initial:
        hit = next((i for i, m in enumerate(model) if _same(m[0], victim[0])), None)
        if hit is not None:
            del model[hit]
        model.append(s)
    assert got[0]["n"] == len(model)


LOOPS = """
fill { (0) :- !; (:n) :- assert(p(:n, x)), sub(:n, 1, :m), #fill(:m); }
drain { (0) :- !; (:n) :- retract(p(:n, _)), sub(:n, 1, :m), #drain(:m); }
"""


def test_retract_loop_uses_tombstones_and_compacts_after_the_line():
    kb = Substrate()
    kb.load_text(LOOPS + "p { index = 0 } { }")
    assert kb.run("#fill(5000)")
    assert kb.run("#drain(4000)")
    e = kb.with_label("p")[-1]
    assert e.count() == 1000
    t = e.tables[2]
    assert len(t.dead) == 0 and t.n == 1000  # compacted when the line committed
    assert [a["n"] for a in kb.query("#p(:n, x)")][:3] == [5000, 4999, 4998]
    assert list(kb.query("#p(17, :x)")) == []
    assert list(kb.query("#p(4500, :x)")) == [{"x": Symbol("x")}]


def test_a_failing_line_puts_retracted_statements_back_in_place():
    kb = Substrate()
    kb.load_text(LOOPS + "p { index = 0 } { (1, a); (2, b); (3, c); }")
    assert not kb.run("retract(p(2, _)), assert(p(9, z)), retract(p(1, _)), sum(a, 1, :x)")
    assert [(a["n"], a["x"].name) for a in kb.query("#p(:n, :x)")] == [(1, "a"), (2, "b"), (3, "c")]
    assert list(kb.query("#p(2, :x)")) == [{"x": Symbol("b")}]
    assert list(kb.query("#p(9, :x)")) == []


mixed = st.one_of(statements.map(lambda s: "(" + ", ".join(show(x) for x in s) + ");"),
                  st.sampled_from(["(:x, :x);", "(1, :y);", "(:x, f(:x));", "(:a, :b) :- #q(:a, :b);",
                                   "(2, :z) :- #q(2, :z), !;"]))
_goal_arg = st.one_of(st.sampled_from(VALUES), st.sampled_from(["X", "X", "Y"]))
var_goals = st.tuples(_goal_arg, _goal_arg)


@SETTINGS
@given(st.lists(mixed, min_size=1, max_size=10), st.lists(var_goals, min_size=1, max_size=6),
       st.sampled_from([None, "0"]))
def test_a_one_call_query_answers_as_the_solver_does(entries, goals, index):
    """A query of one call takes the direct path for plain facts (lang/solver.py Machine.run);
    ``true, #p(...)`` always goes through the solver's loop: both answer alike, in order,
    with repeated variables, facts with variables and rules (which hand over to the solver)."""
    kb = Substrate()
    props = f"{{ index = {index} }} " if index else ""
    kb.load_text("q { (1, 2); (2, 3); (2, 4); }\np " + props + "{ " + " ".join(entries) + " }")
    for goal in goals:
        text = "#p(" + ", ".join(":" + g if type(g) is str and g in "XY" and len(g) == 1 else show(g)
                                 for g in goal) + ")"
        direct = [{k: show(v) for k, v in a.items()} for a in kb.query(text)]
        looped = [{k: show(v) for k, v in a.items()} for a in kb.query("true, " + text)]
        assert direct == looped, text


@SETTINGS
@given(st.lists(st.lists(st.tuples(st.integers(-5, 30), st.integers(0, 3)), min_size=1, max_size=8),
                min_size=2, max_size=6),
       st.lists(st.one_of(st.tuples(st.just("assert"), st.tuples(st.integers(-5, 30), st.integers(0, 3))),
                          st.tuples(st.just("bundle"), st.lists(st.tuples(st.integers(-5, 30), st.integers(0, 3)),
                                                                min_size=1, max_size=8)),
                          st.tuples(st.just("query"), st.integers(-6, 31))), max_size=20))
def test_bundles_of_integer_keys_route_through_sorted_arrays(bundles, steps):
    """Many bundles with integer keys are routed by an IntKeyMap (sorted key/elemental
    arrays, plus keys filed later by asserts and new bundles): lookups answer like a list."""
    kb = Substrate()
    kb.load_text("r { index = 0 } { (-100, 0); }")
    model = [(-100, 0)]
    for b in bundles:
        kb.install_bundle("r", list(b))
        model.extend(b)

    def check(k):
        got = [(a["y"],) for a in kb.query(f"#r({k}, :y)")]
        assert got == [(y,) for x, y in model if x == k], (k, model)

    check(0)
    for op, arg in steps:
        if op == "assert":
            assert kb.run(f"assert(r({arg[0]}, {arg[1]}))")
            model.append(arg)
        elif op == "bundle":
            kb.install_bundle("r", list(arg))
            model.extend(arg)
        else:
            check(arg)
    for k in range(-6, 32):
        check(k)


@pytest.mark.parametrize("index", [None, "0"])
def test_look_alike_constants_match_only_themselves_on_both_paths(index):
    """Every value of VALUES asked against a label holding all of them (1 and 1.0, 0.0 and
    -0.0, "a" and a, ...): the direct one-call path and the solver's loop answer alike, and
    each constant finds exactly the statements equal to it."""
    kb = Substrate()
    props = f"{{ index = {index} }} " if index else ""
    kb.load_text("p " + props + "{ " + " ".join(f"({show(v)}, {i});" for i, v in enumerate(VALUES)) + " }")
    for i, v in enumerate(VALUES):
        direct = [a["n"] for a in kb.query(f"#p({show(v)}, :n)")]
        looped = [a["n"] for a in kb.query(f"true, #p({show(v)}, :n)")]
        assert direct == looped == [j for j, w in enumerate(VALUES) if _same(v, w)], show(v)


def test_lookups_leave_the_probe_variables_unbound_on_every_kind_of_route(tmp_path):
    """A lookup asks its route with shared unbound probe variables (lang.clauses.FREE): facts,
    merged bundles, rules and an LMDB store answer a repeated variable like the solver does,
    and leave every probe variable unbound."""
    from lang.clauses import FREE
    kb = Substrate(trust=True)
    kb.load_text(f'f {{ (1, 1); (1, 2); }}\nr {{ (:a, :b) :- #f(:a, :b); }}\n'
                 f's {{ class = store, path = "{tmp_path / "s.lmdb"}" }} {{ (3, 3); (3, 4); }}')
    kb.install_bundle("f", [(2, 2)])
    for label in "frs":
        for goal in [f"#{label}(:x, :x)", f"#{label}(:x, :y)", f"#{label}(1, :y)", f"#{label}(3, :y)"]:
            direct = list(kb.query(goal))
            assert direct == list(kb.query("true, " + goal)), goal
            assert all(v.ref is None for v in FREE)
    assert [a["x"] for a in kb.query("#f(:x, :x)")] == [1, 2]
    assert [a["x"] for a in kb.query("#s(:x, :x)")] == [3]


def test_large_fact_definitions_with_variables_are_data_small_ones_compiled():
    """Facts with variables: a small definition (a lexicon a program calls often) gets generated
    head matchers; a large one (loaded data) is matched as data; both answer alike."""
    from substrate.loader import DATA_MIN
    kb = Substrate()
    small = "lex { " + " ".join(f"(w{i}, [w{i} | :s], :s);" for i in range(5)) + " }"
    big = "big { " + " ".join(f"(w{i}, [w{i} | :s], :s);" for i in range(DATA_MIN + 1)) + " }"
    kb.load_text(small + "\n" + big)
    for label, data in (("lex", False), ("big", True)):
        (e,) = kb.with_label(label)
        assert all(c.data is data for c in e.tables[3].clauses.values())
        assert [a["r"] for a in kb.query(f"#{label}(w3, [w3, x, y], :r)")] == [[Symbol("x"), Symbol("y")]]
