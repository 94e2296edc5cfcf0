"""The substrate: assert/retract, bundle, declare/triggers/hush/spy, console-line transactions,
the inspection commands (/peek /list /stats /drop /ttl) and the Python API (SPEC §5, §7, §11)."""
from __future__ import annotations

import re

import pytest

from lang.printer import show

from lang.errors import SeltzerError
from lang.terms import Compound, Symbol, Var
from substrate import Substrate

from kbgen import answers, console, isolated_home, shape  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("hosting")  # every test twice: in-process, then on Ray (conftest)

GUID = r"[0-9a-f]{32}"


def _lines(path, n: int) -> str:
    path.write_text("".join(f"L{i}\n" for i in range(n)))
    return str(path)


# ---- assert / retract ---------------------------------------------------------------------------

def test_assert_goes_to_the_newest_writable_elemental_of_label_and_arity():
    kb = Substrate()
    kb.load_text("p { (1, a); }\np { (2, b); }\np { (1, 2, 3); }\np { (:x, c) :- eq(:x, 9); }")
    old, new, three, rules = kb.with_label("p")
    assert kb.run("assert(p(5, e))")
    assert old.count() == 1 and new.count() == 2 and three.count() == 1 and rules.count() == 1
    assert [a["y"] for a in kb.query("#p(:x, :y)")] == [Symbol(s) for s in "abec"]


def test_assert_creates_a_fact_elemental_when_there_is_none():
    kb = Substrate()
    kb.load_text("q { (:x) :- eq(:x, 1); }")
    assert kb.run("assert(q(2)), assert(q(3)), assert(fresh(1, 2))")
    made = [e for e in kb.elementals.values() if e.cls == "facts"]
    assert [(e.label, e.count()) for e in made] == [("q", 2), ("fresh", 1)]
    assert [a["x"] for a in kb.query("#q(:x)")] == [1, 2, 3]


def test_assert_of_non_ground_statements():
    kb = Substrate()
    assert kb.run("assert(p(:x, :x)), assert(p(f(:y), 1))")
    assert list(kb.query("#p(3, :z)")) == [{"z": 3}]
    assert list(kb.query("#p(1, 2)")) == []
    # p(:x, :x) matches too (as in SWI-Prolog: Z = f(7) ; Z = 1)
    assert [show(a["z"]) if not isinstance(a["z"], int) else a["z"] for a in kb.query("#p(f(7), :z)")] == ["f(7)", 1]


def test_assert_non_ground_statement_keeps_distinct_variables_apart(tmp_path):
    """Two different variables that happen to share a name stay different (also after a save)."""
    kb = Substrate()
    kb.load_text("mk { (:a) :- assert(p(:a, :x)); }")
    assert kb.run("#mk(:x)")
    assert list(kb.query("#p(1, 2)")) == [{}]
    path = str(tmp_path / "nv.kb")
    assert kb.run(f'/save("{path}", p)')
    again = Substrate()
    again.load(path)
    assert list(again.query("#p(1, 2)")) == [{}]


def test_retract_removes_the_first_match_only():
    kb = Substrate()
    kb.load_text("p { (1, a); (2, b); (1, c); }\np { (1, d); }")
    assert kb.run("retract(p(1, _))")
    assert [a["y"].name for a in kb.query("#p(:x, :y)")] == ["b", "c", "d"]
    assert kb.run("retract(p(1, _))")
    assert kb.run("retract(p(1, _))")
    assert [a["y"].name for a in kb.query("#p(:x, :y)")] == ["b"]
    kb2, c, out = console()
    kb2.load_text("p { (1, a); }")
    assert c.run_line("retract(p(2, _))")
    assert out[-1].startswith("% 0 solutions")


def test_retract_binds_like_prolog():
    kb = Substrate()
    kb.load_text("p { (1, a); (1, b); }")
    assert list(kb.query("retract(p(1, :y))")) == [{"y": Symbol("a")}]


def test_assert_during_iteration_is_not_seen_by_the_running_goal():
    kb = Substrate(ttl=2)
    kb.load_text("p { (1); (2); (3); }")
    assert len(list(kb.query("#p(:x), sum(:x, 10, :y), assert(p(:y))"))) == 3
    assert [a["x"] for a in kb.query("#p(:x)")] == [1, 2, 3, 11, 12, 13]


def test_retract_during_iteration_does_not_skip_statements():
    kb = Substrate()
    kb.load_text("p { (1); (2); (3); (4); }")
    assert [a["x"] for a in kb.query("#p(:x), retract(p(:x))")] == [1, 2, 3, 4]
    assert list(kb.query("#p(:x)")) == []


# ---- bundle ------------------------------------------------------------------------------------------

BUNDLER = 'frag { index = 0 } { (-1, "seed"); }\nline { (:n, :s) :- bundle(frag(:n, :s), 1024), hush; }'


@pytest.mark.parametrize("n, sizes", [(2048, [1024, 1024]), (2500, [1024, 1024, 452]), (1000, [1000])])
def test_bundle_through_a_declared_import(tmp_path, n, sizes):
    kb, c, out = console()
    kb.load_text(BUNDLER)
    assert c.run_line(f'/import.txt("{_lines(tmp_path / "l.txt", n)}", line)'), out
    made = kb.with_label("frag")[1:]
    assert [e.count() for e in made] == sizes
    assert all(e.cls == "facts" and e.properties == {"index": 0} for e in made)
    assert list(kb.query("#frag(1500, :s)")) == ([{"s": "L1500"}] if n > 1500 else [])
    assert len(_asked(kb, 77)) == 1


def _asked(kb, key) -> list:
    return list(kb.ask("frag", [key, Var()]) or ())


def test_bundle_remainder_is_flushed_at_the_end_of_the_line():
    kb = Substrate()
    assert kb.run("bundle(b(1), 2), bundle(b(2), 2), bundle(b(3), 2)")
    assert [e.count() for e in kb.with_label("b")] == [2, 1]
    assert kb.run("bundle(b(4), 2)")
    assert [e.count() for e in kb.with_label("b")] == [2, 1, 1]


def test_bundle_without_existing_elementals_has_no_index():
    kb = Substrate()
    assert kb.run("bundle(b(1, x), 1)")
    assert kb.with_label("b")[0].properties == {}


def test_import_flags_bundle_and_assert(tmp_path):
    kb, c, out = console()
    path = _lines(tmp_path / "l.txt", 2500)
    assert c.run_line(f'/import.txt("{path}", a, -1, [bundle(1024)])')
    assert [e.count() for e in kb.with_label("a")] == [1024, 1024, 452]
    assert c.run_line(f'/import.txt("{path}", b, 10, [assert])')
    assert [e.count() for e in kb.with_label("b")] == [10]
    assert list(kb.query("#b(9, :s)")) == [{"s": "L9"}]
    assert kb.stats()["triggers"] == 0


# ---- declare / triggers / hush / spy -------------------------------------------------------------

def test_declared_statements_trigger_rules_and_are_not_stored(tmp_path):
    kb, c, out = console()
    kb.load_text("line { (:n, :s) :- lt(:n, 3), assert(seen(:n)); }")
    assert c.run_line(f'/import.txt("{_lines(tmp_path / "l.txt", 5)}", line)')
    assert out[-1].startswith("% imported 5 lines as line/2, declared")
    assert [a["n"] for a in kb.query("#seen(:n)")] == [0, 1, 2]
    assert [e.cls for e in kb.with_label("line")] == ["rules"]
    assert kb.stats()["triggers"] == 5
    c.run_line("/stats")
    assert "% triggers: 5" in out


def test_triggers_count_only_rules_whose_heads_unify(tmp_path):
    kb = Substrate()
    kb.load_text('line { (:n, "L3") :- true; }')
    assert kb.run(f'/import.txt("{_lines(tmp_path / "l.txt", 5)}", line)')
    assert kb.stats()["triggers"] == 1


def test_spy_shows_declarations_and_published_heads_unless_hushed(tmp_path):
    kb, c, out = console()
    kb.load_text("line { (:n, :s) :- lt(:n, 2); }\nquiet { (:n, :s) :- hush; }")
    path = _lines(tmp_path / "l.txt", 3)
    assert c.run_line("/spy(line)") and c.run_line("/spy(quiet)")
    out.clear()
    assert c.run_line(f'/import.txt("{path}", line)')
    spied = [x for x in out if x.startswith("spy: ")]
    assert spied.count('spy: line(0, "L0")') == 2       # declared, then published by the rule
    assert spied.count('spy: line(1, "L1")') == 2
    assert spied.count('spy: line(2, "L2")') == 1       # the rule failed: not published
    out.clear()
    assert c.run_line(f'/import.txt("{path}", quiet)')
    assert [x for x in out if x.startswith("spy: ")] == [f'spy: quiet({i}, "L{i}")' for i in range(3)]
    assert c.run_line("/spy(off)")
    assert out[-1] == "% spying stopped"
    out.clear()
    assert c.run_line(f'/import.txt("{path}", line)')
    assert not [x for x in out if x.startswith("spy: ")]


def test_declare_primitive_runs_its_triggers_before_the_line_ends():
    kb, c, out = console()
    kb.load_text('t { (:x) :- sum(:x, 1, :y), assert(done(:y)); }')
    assert c.run_line("declare(t(1)), declare(t(2))")
    assert [a["y"] for a in kb.query("#done(:y)")] == [2, 3]
    assert kb.stats()["triggers"] == 2


def test_a_failing_trigger_undoes_the_whole_import(tmp_path):
    kb, c, out = console()
    kb.load_text('t { (:n, :s) :- assert(seen(:n)), lt(:n, 3); (4, :s) :- sum("a", 1, :x); }')
    assert not c.run_line(f'/import.txt("{_lines(tmp_path / "l.txt", 6)}", t)')
    assert out[-1].startswith("error: ") and "sum" in out[-1]
    assert kb.with_label("seen") == []


# ---- console-line transactions -------------------------------------------------------------------

def test_a_query_that_fails_with_an_error_changes_nothing():
    kb, c, out = console()
    kb.load_text("g { index = 0 } { (1); (2); }\nh { (1); }")
    before = shape(kb)
    assert not c.run_line('assert(g(5)), retract(g(1)), assert(new(1)), bundle(b(1), 1), '
                          'bundle(b(2), 5), sum("a", 1, :x)')
    assert "sum: argument 1" in out[-1]
    assert shape(kb) == before
    assert not c.run_line('console.exec("/drop(h)"), console.exec("/poke(g, index, [])"), '
                          'console.exec("/poke(g, tag, x)"), sum("a", 1, :x)')
    assert shape(kb) == before
    assert len(list(kb.ask("g", [1]))) == 1


def test_an_error_in_the_last_definition_of_a_file_loads_nothing(tmp_path):
    kb = Substrate()
    good = tmp_path / "good.kb"
    bad = tmp_path / "bad.kb"
    good.write_text("g { (1); }\n")
    bad.write_text("a { (1); }\nb { (2); }\nc { (3); ( }\n")
    res = kb.load(str(bad), str(good))
    assert res[0].error is not None and res[0].elementals == []
    assert str(res[0].error).startswith(f"{bad}:3:12:")
    assert res[1].error is None and kb.labels() == ["g"]


def test_an_unknown_primitive_loads_nothing(tmp_path):
    kb, c, out = console()
    bad = tmp_path / "bad.kb"
    bad.write_text("a { (1); }\nb { (:x) :- nosuch(:x); }\n")
    assert not c.run_line(f'/load("{bad}")')
    assert out[-1].startswith(f"error: {bad}:2:13: unknown primitive nosuch/1")
    assert kb.labels() == []
    with pytest.raises(SeltzerError):
        kb.load_text(bad.read_text(), "t.kb")
    assert kb.labels() == []


# ---- commands ------------------------------------------------------------------------------------

def test_peek_list_stats_drop_ttl_outputs(hosting):
    kb, c, out = console()
    kb.load_text("p { index = [0], tag = \"hi\" } { (1, a); (2, b); }\np { (3, c); }\nr { (:x) :- #p(:x, _); }")
    p1, p2 = kb.elemental_ids("p")
    (r,) = kb.elemental_ids("r")
    assert c.run_line("/peek(p)")
    assert out[-2] == f'% {p1} facts p {{ index = [0], tag = "hi" }}'
    assert out[-1] == f"% {p2} facts p"  # no properties: no braces
    out.clear()
    assert c.run_line("/list")
    if hosting == "ray":  # hosted fact elementals say where they live; the rule stays here
        assert all(re.search(r"  @ ray:\d+@\S+$", x) for x in out[:2]) and "@" not in out[2]
        out[:] = [re.sub(r"  @ ray:\d+@\S+$", "", x) for x in out]
    assert out[0] == f'% {p1}  facts  p  2  {{ index = [0], tag = "hi" }}'
    assert out[1] == f"% {p2}  facts  p  1"
    assert out[2] == f"% {r}  rules  r  1"
    assert out[3] == "% 3 elementals"
    out.clear()
    assert c.run_line("/list(r)") and out == [f"% {r}  rules  r  1", "% 1 elemental"]
    out.clear()
    assert len(list(kb.query("#r(:x)"))) == 3
    assert c.run_line("/stats")
    assert out[:4] == ["% elementals: 3 (facts 2, rules 1)", "% statements: 3", "% prototypes: 1",
                       "% queries: 1"]
    assert re.fullmatch(r"% inferences: [1-9]\d*", out[4]) and out[5] == "% triggers: 0"
    assert re.fullmatch(r"% memory: \d+\.\d MiB", out[6])
    out.clear()
    assert c.run_line(f"/drop({p1})".replace(f"({p1})", f'("{p1}")'))
    assert out == ["% dropped 1 elemental"]
    assert kb.elemental_ids("p") == [p2]
    assert c.run_line("/drop(p)") and kb.elemental_ids("p") == []
    assert not c.run_line("/drop(p)") and out[-1] == "error: /drop: no elemental holds p"
    assert c.run_line("/ttl(2.5)") and kb.ttl == 2.5 and out[-1] == "% time to live: 2.5 s"
    assert not c.run_line("/ttl(0)") and kb.ttl == 2.5
    assert not c.run_line("/peek(nosuch)") and out[-1] == "error: /peek: no elemental holds nosuch"


def test_unknown_command_and_wrong_arity():
    kb, c, out = console()
    assert not c.run_line("/lod(x)")
    assert out[-1] == "error: unknown command /lod (did you mean /load?)"
    assert not c.run_line("/frobnicate")
    assert out[-1] == "error: unknown command /frobnicate (try /help)"
    assert not c.run_line("/peek(a, b)")
    assert out[-1].startswith("error: /peek takes 1 argument(s), found 2")


def test_ttl_stops_a_runaway_query():
    kb, c, out = console()
    kb.load_text("loop { () :- #loop; }")
    assert c.run_line("/ttl(0.2)")
    assert c.run_line("#loop")
    assert "time to live ran out" in out[-1]


def test_unknown_label_warns():
    kb, c, out = console()
    assert c.run_line("#nosuch(1)")
    assert out[-1].startswith("% 0 solutions") and "no elemental holds nosuch/1" in out[-1]


def test_sub_elementals_lists_guids():
    kb = Substrate()
    kb.load_text("p { (1); }\np { (2); }")
    (ans,) = kb.query("sub.elementals(p, :g)")
    assert [str(g) for g in ans["g"]] == kb.elemental_ids("p")


# ---- Python API (§11) ------------------------------------------------------------------------------

def test_python_api(tmp_path):
    f = tmp_path / "family.kb"
    f.write_text("parent { (tom, bob); (bob, ann); (bob, pat); }\n"
                 "grandparent { (:x, :z) :- #parent(:x, :y), #parent(:y, :z); }\n"
                 "misc { (1, 2.5, \"s\", [1, [2]], f(a, [b])); }\n")
    kb = Substrate()
    (res,) = kb.load(str(f))
    assert res.error is None and res.file == str(f) and len(res.elementals) == 3 and res.statements == 5
    got = [(a["x"], a["y"]) for a in kb.query("#grandparent(:x, :y)")]
    assert got == [(Symbol("tom"), Symbol("ann")), (Symbol("tom"), Symbol("pat"))]
    (m,) = kb.query("#misc(:i, :f, :s, :l, :c)")
    assert m["i"] == 1 and type(m["i"]) is int
    assert m["f"] == 2.5 and m["s"] == "s" and m["l"] == [1, [2]]
    assert type(m["c"]) is Compound and m["c"].name == "f" and m["c"].args[0] is Symbol("a")
    (v,) = kb.query("eq(:u, :u)")
    assert type(v["u"]) is Var
    assert kb.run("/stats") is True
    assert kb.run("/nosuch") is False
    assert kb.run("sum(1, 2, :x)") is True
    missing = kb.load(str(tmp_path / "nope.kb"))[0]
    assert missing.error is not None and "no such file" in str(missing.error)


def test_run_output_goes_to_the_output_callback():
    lines: list[str] = []
    kb = Substrate(output=lines.append)
    kb.load_text("p { (1); }")
    assert kb.run("#p(:x)")
    assert lines[:1] == [":x = 1"]
