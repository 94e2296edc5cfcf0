"""The same statements answer the same queries, in the same order, whether a label is held
by an in-memory fact elemental or by an LMDB store elemental, with and without indexes."""
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lang.printer import show
from lang.terms import Compound, Symbol, make_list
from substrate import Substrate

atoms = st.one_of(
    st.integers(-5, 5),
    st.sampled_from(["a", "b", "GATTACA", ""]),
    st.sampled_from([Symbol("x"), Symbol("y"), Symbol("Clockwise")]),
    st.floats(-2, 2, allow_nan=False, allow_infinity=False).map(lambda f: round(f, 1)),
)
terms = st.one_of(atoms, st.lists(atoms, max_size=3).map(make_list),
                  st.tuples(atoms, atoms).map(lambda a: Compound("f", a)))
statements = st.lists(st.tuples(terms, terms, terms), min_size=1, max_size=25)
INDEXES = [None, [0], [0, 2]]
_counter = itertools.count()


def _answers(kb, goal):
    return [tuple(show(a[k]) for k in sorted(a)) for a, _ in kb.solve(goal)]


def _goals(stmts):
    """Goals with some positions bound to values that occur, or do not occur."""
    values = [s[i] for s in stmts for i in range(3)][:6] + [99, "zz", Symbol("nope")]
    yield "#p(:a, :b, :c)"
    for pos, v in itertools.product(range(3), values):
        args = [":a", ":b", ":c"]
        args[pos] = show(v)
        yield f"#p({', '.join(args)})"


@pytest.mark.parametrize("index", INDEXES, ids=lambda i: f"index={i}")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stmts=statements)
def test_store_and_memory_answer_alike(tmp_path, index, stmts):
    props = f"index = {show(make_list(index))}" if index else ""
    memory = Substrate()
    memory.load_text(f"p {{ {props} }} {{ {' '.join('(' + ', '.join(show(a) for a in s) + ');' for s in stmts)} }}"
                     if props else
                     f"p {{ {' '.join('(' + ', '.join(show(a) for a in s) + ');' for s in stmts)} }}")
    path = tmp_path / f"store{next(_counter)}"
    store = Substrate()
    store.load_text(f'p {{ class = store, path = "{path}"{", " + props if props else ""} }} {{}}')
    for s in stmts:
        assert store.run(f"assert(p({', '.join(show(a) for a in s)}))")
    try:
        for goal in _goals(stmts):
            assert _answers(store, goal) == _answers(memory, goal), goal
    finally:
        store.close()
        memory.close()
