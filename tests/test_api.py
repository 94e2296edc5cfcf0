"""The Python API says what happened (issue 10 §4, issue 16 §1): errors raise the project's
classes with ``.where``; ``kb.run`` returns a result; output is visible with ``output=print``;
one substrate shared by several threads loses no acknowledged change."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from lang.errors import ArgumentError, DataError, ParseError, SeltzerError
from lang.terms import Symbol
from substrate import Substrate


def test_run_returns_what_the_line_did():
    kb = Substrate()
    r = kb.run("p { (1, a); (2, b); }")
    assert r.ok and r and r.error is None and r.output[0].startswith("% defined p (facts, 2) in ")
    r = kb.run("#p(:n, :s)")
    assert r.ok and r.solutions == [{"n": 1, "s": Symbol("a")}, {"n": 2, "s": Symbol("b")}]
    assert r.output[:2] == [":n = 1, :s = a", ":n = 2, :s = b"] and r.output[2].startswith("% 2 solutions")
    r = kb.run("/stats")
    assert r.ok and r.output[0] == "% elementals: 1 (facts 1)" and r.solutions == []
    r = kb.run("assert(p(3, c)), sum(a, 1, :x)")
    assert not r.ok and not r and isinstance(r.error, ArgumentError)
    assert str(r.error.where) == "<query>:1:18" and r.output == ["error: " + r.error.message()]
    assert len(kb.run("#p(:n, _)").solutions) == 2  # the failing line's assert was undone
    with pytest.raises(ArgumentError):
        r.raise_for_error()
    r = kb.run("#p(1")
    assert isinstance(r.error, ParseError) and str(r.error.where) == "<query>:1:5"


def test_output_print_makes_console_output_visible(capsys):
    kb = Substrate(output=print)
    kb.run("sum(1, 2, :x)")
    kb.run('console.puts("hello")')
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ":x = 3" and out[1].startswith("% 1 solution") and "hello" in out


def test_load_and_query_raise_the_projects_errors(tmp_path):
    kb = Substrate()
    with pytest.raises(DataError) as err:
        kb.load(str(tmp_path / "nofile.kb"))
    assert err.value.where is not None and "no such file" in str(err.value)
    bad = tmp_path / "bad.kb"
    bad.write_text("a { (1); }\nb { (1, ; }\n")
    with pytest.raises(ParseError) as err:
        kb.load(str(bad))
    assert (err.value.where.file, err.value.where.line, err.value.where.col) == (str(bad), 2, 9)
    with pytest.raises(ParseError) as err:
        list(kb.query("#a(:x"))
    assert str(err.value.where) == "<query>:1:6"
    kb.run("n { (1); (2); }")
    with pytest.raises(ArgumentError) as err:
        list(kb.query("#n(:x), assert(seen(:x)), sum(:x, b, :y)"))
    assert err.value.where is not None
    assert list(kb.query("#seen(:x)")) == []  # the query's asserts were undone
    assert [a["x"] for a in kb.query("#n(:x), assert(kept(:x))")] == [1, 2]
    assert [a["x"] for a in kb.query("#kept(:x)")] == [1, 2]


def test_a_failing_line_in_one_thread_does_not_undo_another_threads_line():
    kb = Substrate()
    kb.run("p { (0); }")
    results: list = []
    start = threading.Barrier(2)

    def asserter():
        start.wait()
        for i in range(300):
            results.append(("a", i, kb.run(f"assert(p({i + 1}))").ok))

    def failer():
        start.wait()
        for i in range(300):
            r = kb.run(f"assert(q({i})), sum(a, 1, :x)")
            results.append(("f", i, r.ok, type(r.error)))

    threads = [threading.Thread(target=asserter), threading.Thread(target=failer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r[2] for r in results if r[0] == "a")
    assert all(r[2] is False and r[3] is ArgumentError for r in results if r[0] == "f")
    assert sorted(a["x"] for a in kb.query("#p(:x)")) == list(range(301))
    assert list(kb.query("#q(:x)")) == []


# ---- stateful: rounds of concurrent lines against a serial model ---------------------------------

OPS = st.lists(st.tuples(st.sampled_from(["assert", "retract", "query", "count", "fail", "api"]),
                         st.integers(0, 4)), max_size=12)


class SharedSubstrate(RuleBasedStateMachine):
    """Each round runs a few threads at once; thread t only touches ``f(t, _)`` so the serial
    model of each thread is exact whatever the interleaving; failing lines must leave nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.kb = Substrate()
        self.kb.run("f { (-1, -1); }")
        self.model: Counter = Counter()

    @rule(programs=st.lists(OPS, min_size=2, max_size=3))
    def round(self, programs):
        errors: list = []
        start = threading.Barrier(len(programs))

        def run(t: int, ops) -> None:
            kb = self.kb
            mine = Counter({k: v for k, v in self.model.items() if k[0] == t})
            start.wait()
            try:
                for op, i in ops:
                    if op == "assert":
                        assert kb.run(f"assert(f({t}, {i}))").ok
                        mine[(t, i)] += 1
                    elif op == "retract":
                        r = kb.run(f"retract(f({t}, {i}))")
                        assert r.ok and len(r.solutions) == (1 if mine[(t, i)] else 0), (r.output, mine)
                        if mine[(t, i)]:
                            mine[(t, i)] -= 1
                    elif op == "query":
                        got = sorted(a["i"] for a in kb.query(f"#f({t}, :i)"))
                        assert got == sorted(i for (_, i) in mine.elements()), (got, mine)
                    elif op == "count":
                        (a,) = kb.run(f"count(#f({t}, _), :n)").solutions
                        assert a["n"] == sum(mine.values())
                    elif op == "fail":
                        r = kb.run(f"assert(f({t}, {i})), retract(f(-1, -1)), div(1, 0, :z)")
                        assert not r.ok and isinstance(r.error, SeltzerError)
                    else:
                        with pytest.raises(SeltzerError):
                            list(kb.query(f"assert(f({t}, {i})), sum(x, 1, :y)"))
            except BaseException as e:  # reported by the main thread
                errors.append(e)
            self.model.update({k: v - self.model[k] for k, v in mine.items()})

        threads = [threading.Thread(target=run, args=(t, ops)) for t, ops in enumerate(programs)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        if errors:
            raise errors[0]

    @invariant()
    def knowledge_matches_the_model(self):
        got = Counter((a["t"], a["i"]) for a in self.kb.query("#f(:t, :i)"))
        want = +self.model
        want[(-1, -1)] = 1
        assert got == want

    def teardown(self):
        self.kb.close()


SharedSubstrate.TestCase.settings = settings(max_examples=25, stateful_step_count=6, deadline=None)
test_shared_substrate_between_threads = SharedSubstrate.TestCase
