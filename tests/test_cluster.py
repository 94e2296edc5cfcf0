"""Elementals hosted on Ray actors (substrate/cluster/, issue 13): placement, paged answers in
creation order, stores opened on the actor, moving labels with /host, and faults (a dead actor
is named, the rest of the knowledge base works, the elemental comes back from a .kbz snapshot
or its store path). The general behaviour is covered by running the substrate and conformance
suites with every fact and store elemental hosted (the ``hosting`` fixture, conftest.py)."""
from __future__ import annotations

import re

import pytest

from lang.errors import ArgumentError, CompileError, EvaluationError
from lang.terms import Symbol
from substrate import Substrate
from substrate.cluster import ClusterError, is_remote
from substrate.cluster.host import PAGE

from kbgen import console, isolated_home  # noqa: F401  (fixture)


@pytest.fixture
def kb(ray_cluster):
    k = Substrate(cluster=ray_cluster)
    yield k
    k.close()


def _facts(n: int, start: int = 0) -> str:
    return "".join(f"({i}, \"s{i}\", f(x{i % 7}));" for i in range(start, start + n))


def test_a_scan_longer_than_a_page_comes_back_whole_and_in_order(kb, ray_cluster):
    n = PAGE + 1500
    text = f"p {{ {_facts(n)} }}\np {{ {_facts(300, n)} }}\np {{ host = local }} {{ {_facts(5, n + 300)} }}"
    kb.load_text(text)
    here = Substrate()
    here.load_text(text)
    els = list(kb.elementals.values())
    assert [is_remote(e) for e in els] == [True, True, False]
    assert list(kb.query("#p(:i, :s, :t)")) == list(here.query("#p(:i, :s, :t)"))
    assert list(kb.query("#p(:i, :s, f(x3))")) == list(here.query("#p(:i, :s, f(x3))"))
    assert [a["n"] for a in kb.query("count(#p(_, _, _), :n)")] == [n + 305]
    # a first solution stops the scan: the host forgets it
    assert len(list(kb.query("#p(:i, _, _), !"))) == 1
    host = ray_cluster.ray.get([h.actor.open_scans.remote() for h in ray_cluster.hosts])
    assert host == [0, 0]
    here.close()


def test_indexed_lookup_assert_retract_and_rollback_on_a_hosted_elemental(kb):
    kb, c, out = console(kb)
    kb.load_text("p { index = 0 } { (1, a); (2, b); (1, c); }")
    (e,) = kb.elementals.values()
    assert is_remote(e)
    assert [a["y"].name for a in kb.query("#p(1, :y)")] == ["a", "c"]
    assert c.run_line("assert(p(1, d)), retract(p(1, a))")
    assert [a["y"].name for a in kb.query("#p(1, :y)")] == ["c", "d"]
    assert not c.run_line("assert(p(1, e)), retract(p(2, :x)), sum(a, 1, :z)")  # error: undone
    assert [(a["x"], a["y"].name) for a in kb.query("#p(:x, :y)")] == [(2, "b"), (1, "c"), (1, "d")]
    assert e.count() == 3


def test_non_ground_weighted_caret_and_deep_entries_travel_exactly(kb, tmp_path):
    deep = "[" + ", ".join(str(i) for i in range(3000)) + "]"
    text = f"q {{ (:x, :x, g(:y)); (a, b, c) := 0.25; (z, z, z)^; (1, 2, {deep}); }}\n"
    kb.load_text(text)
    here = Substrate()
    here.load_text(text)
    for goal in ["#q(:a, :b, :c)", "#q(k, :b, :c)", "#q(z, :b, :c)"]:
        assert list(kb.solve(goal)) == list(here.solve(goal)) or \
            [str(x) for x in kb.solve(goal)] == [str(x) for x in here.solve(goal)]
    kb.run(f'/save("{tmp_path / "a.kb"}")')
    here.run(f'/save("{tmp_path / "b.kb"}")')
    assert (tmp_path / "a.kb").read_text() == (tmp_path / "b.kb").read_text()
    here.close()


def test_a_store_opens_its_path_on_the_actor_and_keeps_its_data(kb, tmp_path):
    path = tmp_path / "s.lmdb"
    kb, c, out = console(kb)
    kb.load_text(f's {{ class = store, path = "{path}", index = [0] }} {{ (1, one); }}')
    (e,) = kb.elementals.values()
    assert is_remote(e) and e.cls == "store"
    assert c.run_line("assert(s(2, two)), assert(s(3, three))")
    assert [a["y"].name for a in kb.query("#s(2, :y)")] == ["two"]
    assert c.run_line("/list") and re.search(r"store  s  3  \{.*\}  @ ray:\d+@", out[-2])
    kb.close()
    again = Substrate()  # the data is in the LMDB files: reopened here, in this process
    again.load_text(f's {{ class = store, path = "{path}", index = [0] }} {{ }}')
    assert [a["x"] for a in again.query("#s(:x, _)")] == [1, 2, 3]
    again.close()


def test_host_moves_a_label_out_and_back_keeping_order_and_guids(ray_cluster):
    kb, c, out = console(Substrate())
    kb.load_text("p { (1); (2); }\nr { (:x) :- #p(:x); }\np { index = 0 } { (3); }")
    before = list(kb.elementals)
    assert c.run_line("/host(p, ray)") and out[-1] == "% moved 2 elementals of p to ray"
    assert list(kb.elementals) == before
    assert [is_remote(e) for e in kb.elementals.values()] == [True, False, True]
    assert [a["x"] for a in kb.query("#r(:x)")] == [1, 2, 3]
    assert c.run_line("/host(p, local)") and not any(is_remote(e) for e in kb.elementals.values())
    assert len(list(kb.query("#p(3)"))) == 1 and [a["x"] for a in kb.query("#p(:x)")] == [1, 2, 3]
    assert not c.run_line("/host(r, ray)") and "no fact or store elemental holds r" in out[-1]
    assert not c.run_line("/host(p, mars)") and "ray or local" in out[-1]
    kb.close()


def test_host_property_places_a_definition_and_rejects_rules(ray_cluster, monkeypatch):
    monkeypatch.setattr(Substrate, "default_cluster", ray_cluster)
    kb = Substrate()
    kb.load_text("p { host = local } { (1); }\nq { (2); }")
    assert [is_remote(e) for e in kb.elementals.values()] == [False, True]
    with pytest.raises(CompileError, match="only fact and store elementals can be hosted"):
        kb.load_text("r { host = ray } { (:x) :- #p(:x); }")
    with pytest.raises(CompileError, match="host must be ray or local"):
        kb.load_text("s { host = moon } { (1); }")
    assert kb.labels() == ["p", "q"]
    kb.close()


def test_a_dead_actor_is_named_the_rest_works_and_the_data_comes_back(kb, ray_cluster, tmp_path):
    kb, c, out = console(kb)
    snap = tmp_path / "p.kbz"
    path = tmp_path / "s.lmdb"
    kb.load_text(f"p {{ (1); (2); }}\nr {{ (:x) :- #t(:x); }}\nt {{ host = local }} {{ (7); }}\n"
                 f's {{ class = store, path = "{path}" }} {{ (5); }}')
    assert c.run_line(f'/save("{snap}", p)')
    p = kb.elementals[kb.elemental_ids("p")[0]]
    s = kb.elementals[kb.elemental_ids("s")[0]]
    victim = p.host.slot
    ray_cluster.kill(victim)
    for h in ray_cluster.hosts:  # the store shares the host or not; kill both to be sure
        if h.slot != victim and h.actor is s.actor:
            ray_cluster.kill(h.slot)
    assert not c.run_line("#p(:x)")
    assert re.fullmatch(rf"error: elemental {p.guid} of p is unavailable: its host ray:{victim}@\S+ died; "
                        r"/drop\(p\) and /load a \.kbz snapshot saved earlier", out[-1])
    assert c.run_line("#r(:x)") and out[-2] == ":x = 7"  # knowledge elsewhere still answers
    assert not c.run_line("#s(:x)") and "reopen its store with /host(s, ray)" in out[-1]
    assert c.run_line("/list") and "(dead)" in "\n".join(out[-5:])
    assert c.run_line("/drop(p)") and c.run_line(f'/load("{snap}")')
    assert [a["x"] for a in kb.query("#p(:x)")] == [1, 2]
    assert c.run_line("/host(s, ray)")
    assert [a["x"] for a in kb.query("#s(:x)")] == [5]
    with pytest.raises(ClusterError, match="unavailable"):
        p.entries()  # the old proxy stays dead


NEAR_KB = """
frag { index = 0 } { (1, "GATTACAGGA"); (2, "TTTTGATTAC"); (3, "ACCCCCCCCC"); }
seq.get { (:id, :s) :- #frag(:id, :s); }
hit { (:motif, :name, :id) :- #gene(:name, :id), #seq.get(:id, :s), str.find(:s, :motif, _);
      (:motif, :name, :id) :- #gene(:name, :id), ~#seq.get(:id, _), eq(:motif, none); }
"""
GENES_A = "gene { (a, 1); (b, 2); (c, 9); }"
GENES_B = "gene { (d, 3); (e, 1); (f, 2) := 0.5; }"


def test_a_near_rule_runs_on_the_shards_hosts_with_the_in_process_answers(kb, ray_cluster):
    here = Substrate()
    for k in (here, kb):
        k.load_text(NEAR_KB)
    here.load_text(GENES_A + "\n" + GENES_B)
    a = kb.cluster.place("gene", {}, [(Symbol(n), i) for n, i in [("a", 1), ("b", 2), ("c", 9)]], slot=0)
    b = kb.cluster.place("gene", {}, [], slot=1)
    kb.add(a.ready())
    kb.add(b.ready())
    assert kb.run("assert(gene(d, 3)), assert(gene(e, 1))")
    kb.load_text("gene { (f, 2) := 0.5; }")  # a third shard, wherever it lands
    assert [e.host.slot for e in kb.elementals.values() if e.label == "gene"][:2] == [0, 1]
    for goal in ['#hit("GATTAC", :n, :i)', '#hit(none, :n, :i)', '#hit("CCC", e, :i)', "#hit(\"TTT\", :n, 2)"]:
        want = list(here.solve(goal))
        assert kb.run("/poke(hit, near, gene)")
        got = list(kb.solve(goal))
        assert [(str(x), t) for x, t in got] == [(str(x), t) for x, t in want], goal
    with pytest.raises(ArgumentError) as here_err:
        list(here.solve("#hit(:m, :n, 2)"))
    with pytest.raises(ArgumentError) as near_err:  # an error on a host is the same error
        list(kb.solve("#hit(:m, :n, 2)"))
    assert str(near_err.value) == str(here_err.value)
    # a change to what the rule reads is seen (the hosts' copies are refreshed)
    assert kb.run('assert(frag(9, "CCCCGATTAC"))')
    assert [a["n"].name for a in kb.query('#hit("GATTAC", :n, _)')] == ["a", "b", "c", "e", "f"]
    here.close()


@pytest.mark.parametrize("body, why", [
    ("#gene(:n, :i), assert(seen(:n))", "it calls assert"),
    ("#gene(:n, :i), !", "a ! in its body cuts across the shards"),
    ("eq(:x, 1), #gene(:n, :i)", "every prototype must start with #gene(...)"),
    ("#gene(:n, :i), #again(:n)", "#gene is called again below the first goal"),
])
def test_a_rule_that_cannot_be_split_says_why(kb, body, why):
    kb.load_text(GENES_A + "\n again { (:n) :- #gene(:n, _); }\n"
                 f"r {{ near = gene }} {{ (:n) :- {body}; }}")
    with pytest.raises(EvaluationError, match=re.escape(f"r {{ near = gene }} cannot run near the data: {why}")):
        list(kb.query("#r(:n)"))


def _integrity_cases():
    import test_integrity as t
    return [t.test_a_failing_line_discards_its_pending_store_writes,
            t.test_a_failing_line_deletes_the_batches_it_committed,
            t.test_a_failing_line_puts_retracted_statements_back_in_order,
            t.test_a_failed_load_creates_no_store_folder_and_commits_nothing]


@pytest.mark.parametrize("case", _integrity_cases(), ids=lambda f: f.__name__[5:])
def test_a_hosted_store_undoes_a_failing_line_like_an_in_process_one(case, tmp_path, ray_cluster, monkeypatch):
    monkeypatch.setattr(Substrate, "default_cluster", ray_cluster)
    case(tmp_path)


def test_an_unreachable_cluster_is_one_clear_error_not_a_hang():
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    res = subprocess.run([sys.executable, str(root / "repl.py"), "--ray", "127.0.0.1:1", "-e", "sum(1, 2, :x)"],
                         capture_output=True, text=True, timeout=60, cwd=root)
    assert res.returncode == 2
    assert res.stderr.strip().endswith("seltzer: cannot reach a Ray cluster at 127.0.0.1:1: Connection refused")
