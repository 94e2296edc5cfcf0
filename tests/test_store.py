"""The msgpack term codec and the LMDB statement store (substrate/codec.py, substrate/store.py).

Real LMDB environments in temporary directories; the store is checked against a plain Python list
(with a small unifier as the oracle), across processes, and under kill -9.
"""
from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from lang.errors import StoreError
from lang.terms import NIL, Compound, Cons, Var, deref, make_list, sym
from substrate.codec import (
    MAX_KEY_SIZE, WILDCARD_KEY, CodecError, decode_term, encode_term, index_key, iter_statements,
    pack_many, pack_statement, term_key, unpack_many, unpack_statement,
)
from substrate.store import StatementStore

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- helpers

def unifiable(a, b) -> bool:
    """Could terms ``a`` and ``b`` unify? (the test oracle; bindings kept aside, no occurs check)"""
    bound: dict = {}

    def walk(t):
        t = deref(t)
        while type(t) is Var and id(t) in bound:
            t = deref(bound[id(t)])
        return t

    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        x, y = walk(x), walk(y)
        if x is y:
            continue
        if type(x) is Var:
            bound[id(x)] = y
        elif type(y) is Var:
            bound[id(y)] = x
        elif type(x) is not type(y):
            return False
        elif type(x) is Cons:
            stack += [(x.head, y.head), (x.tail, y.tail)]
        elif type(x) is Compound:
            if x.name != y.name or len(x.args) != len(y.args):
                return False
            stack += list(zip(x.args, y.args))
        elif x != y:            # symbols are interned: `is` above already matched equal ones
            return False
    return True


def same(a: tuple, b: tuple) -> bool:
    """Statements equal up to variable renaming (canonical encodings number variables)."""
    return pack_statement(a) == pack_statement(b)


def run_python(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture
def store_path(tmp_path: Path) -> str:
    return str(tmp_path / "store.lmdb")


# ---------------------------------------------------------------- term strategies

VARS = [Var(f"v{i}") for i in range(4)]     # never bound: shared pool so terms can share vars
names = st.sampled_from(["f", "g", "h", "a.b", "it's", "\u00e9"])
atoms = st.one_of(
    st.integers(),                                       # arbitrary precision
    st.integers(min_value=2**63 - 2, max_value=2**64 + 2),
    st.integers(min_value=-2**63 - 2, max_value=-2**63 + 2),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.text(max_size=4).map(sym),
    st.just(NIL),
)


def terms(leaves):
    return st.recursive(leaves, lambda kids: st.one_of(
        st.builds(lambda xs, tail: make_list(xs, tail), st.lists(kids, max_size=4),
                  st.one_of(st.just(NIL), kids)),
        st.builds(lambda n, xs: Compound(n, tuple(xs)), names, st.lists(kids, min_size=1, max_size=3)),
    ), max_leaves=12)


ground_terms = terms(atoms)
any_terms = terms(st.one_of(atoms, st.sampled_from(VARS)))


# ---------------------------------------------------------------- codec

@settings(max_examples=300, deadline=None)
@given(ground_terms)
def test_ground_terms_round_trip_and_are_canonical(t):
    b = encode_term(t)
    back = decode_term(b)
    assert back == t
    assert encode_term(back) == b


@settings(max_examples=200, deadline=None)
@given(any_terms)
def test_non_ground_terms_keep_variable_sharing(t):
    b = encode_term(t)
    assert encode_term(decode_term(b)) == b      # numbering by first occurrence = sharing pattern


@settings(max_examples=200, deadline=None)
@given(st.lists(any_terms, max_size=4), st.sampled_from([1.0, 0.5, 0.0, 1]))
def test_statements_round_trip(args, truth):
    b = pack_statement(tuple(args), truth)
    back, t = unpack_statement(b)
    assert t == truth and type(back) is tuple and len(back) == len(args)
    assert pack_statement(back, truth) == b


def test_statement_variables_shared_across_arguments():
    x, y = Var(), Var()
    back, truth = unpack_statement(pack_statement((x, Compound("g", (x, y)), make_list([y, x])), 0.25))
    assert truth == 0.25
    assert back[0] is back[1].args[0] is back[2].tail.head
    assert back[1].args[1] is back[2].head and back[0] is not back[1].args[1]


def test_encoding_distinguishes_what_differs_and_folds_what_is_equal():
    assert encode_term(1) != encode_term(1.0)
    assert encode_term("a") != encode_term(sym("a"))
    assert encode_term(NIL) != encode_term("[]")
    assert decode_term(encode_term(2**200)) == 2**200 and decode_term(encode_term(-2**200)) == -2**200
    assert decode_term(encode_term(2**64 - 1)) == 2**64 - 1
    # the same term reached through bound variables and through different list spellings
    v = Var()
    v.ref = make_list([2, 3])
    assert encode_term(Cons(1, v)) == encode_term(make_list([1, 2, 3]))
    assert encode_term(Compound("f", (v,))) == encode_term(Compound("f", (make_list([2, 3]),)))
    assert encode_term(make_list([1, Compound("f", (2,))])) != encode_term(make_list([1, 2]))
    # index keys: -0.0 and 0.0 unify, so they share a key; values keep the sign
    assert index_key(-0.0) == index_key(0.0) and encode_term(-0.0) != encode_term(0.0)
    assert str(decode_term(encode_term(-0.0))) == "-0.0"
    assert index_key(Compound("f", (Var(),))) == WILDCARD_KEY and term_key(Var()) is None
    long = "x" * 600
    assert len(index_key(long)) < MAX_KEY_SIZE and index_key(long) != index_key(long + "y")
    nan = decode_term(encode_term(float("nan")))
    assert nan != nan
    s = "lone \ud800 surrogate"
    assert decode_term(encode_term(s)) == s and decode_term(encode_term(sym(s))) is sym(s)


def test_deep_and_long_terms_do_not_recurse():
    depth = sys.getrecursionlimit() * 3
    deep = 0
    for _ in range(depth):
        deep = Compound("s", (deep,))
    assert decode_term(encode_term(deep)) == deep
    nested = NIL
    for _ in range(depth):
        nested = make_list([nested, 1])
    assert decode_term(encode_term(nested)) == nested
    long = make_list(list(range(10**6)))
    back = decode_term(encode_term(long))
    assert back == long
    mixed = make_list([Compound("p", (i,)) for i in range(10**5)], Var())
    assert encode_term(decode_term(encode_term(mixed))) == encode_term(mixed)


def test_pack_many_and_stream():
    x = Var()
    rows = [(1, "a"), (sym("b"), make_list([1, 2])), (x, Compound("f", (x,)))]
    truths = [1.0, 0.5, 0.75]
    back = unpack_many(pack_many(rows, truths))
    assert [t for _, t in back] == truths
    assert all(same(a, b) for (a, _), b in zip(back, rows))
    assert [s for s, _ in unpack_many(pack_many(rows))][:2] == rows[:2]
    stream = io.BytesIO(b"".join(pack_statement(r, t) for r, t in zip(rows, truths)))
    assert [t for _, t in iter_statements(stream)] == truths
    assert unpack_many(pack_many([(i,) for i in range(70000)]))[69999] == ((69999,), 1.0)


def test_bad_input_is_refused():
    for junk in (b"", b"\xc1", b"\xc7\x01\x63x", b"\xd4\x03\x00"):
        with pytest.raises(CodecError):
            decode_term(junk)
        with pytest.raises(CodecError):
            unpack_statement(junk)
    with pytest.raises(TypeError):
        pack_statement((True,))
    with pytest.raises(TypeError):
        encode_term(None)
    with pytest.raises(ValueError):
        pack_statement((1,), truth=1.5)


# ---------------------------------------------------------------- store against a list

small_atoms = st.one_of(st.integers(0, 4), st.sampled_from([0.0, -0.0, 1.0, "a", "b", sym("a"), NIL]),
                        st.just("L" * 600))       # over-long: a hashed index key
small_terms = st.recursive(small_atoms, lambda kids: st.one_of(
    st.builds(lambda xs: make_list(xs), st.lists(kids, max_size=2)),
    st.builds(lambda xs: Compound("f", tuple(xs)), st.lists(kids, min_size=1, max_size=2))),
    max_leaves=3)
stored_args = st.one_of(small_terms, small_terms, small_terms, st.builds(Var),
                        st.builds(lambda v: Compound("f", (v,)), st.builds(Var)))
statements = st.integers(1, 3).flatmap(lambda n: st.tuples(*[stored_args] * n))
query_args = st.one_of(small_terms, st.builds(Var), st.builds(lambda v: Compound("f", (v,)), st.builds(Var)))
queries = st.integers(1, 3).flatmap(lambda n: st.tuples(*[query_args] * n))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(statements, max_size=8), min_size=1, max_size=4),
       st.sets(st.integers(0, 2), max_size=2), st.lists(queries, min_size=1, max_size=6),
       st.lists(st.integers(0, 30), max_size=3), st.booleans())
def test_store_answers_like_a_list(batches, index, qs, retracts, reindex):
    path = tempfile.mkdtemp(prefix="seltzer-store-")
    try:
        model: list[tuple] = []
        with StatementStore(os.path.join(path, "s"), index=tuple(index), map_size=1 << 16) as store:
            for batch in batches:
                store.add_many(batch)
                model += batch
            for r in retracts:
                if r < len(model):
                    target = model[r]
                    assert store.retract(target)
                    del model[next(i for i, m in enumerate(model) if same(m, target))]
            if reindex:
                store.set_index(tuple(sorted({0, 1} - index)))
            assert store.count() == len(model)
            assert len(list(store.scan())) == len(model)
            assert all(same(a, b) for (a, _), b in zip(store.scan(), model))
            for q in qs:
                got = [s for s, _ in store.lookup(q)]
                want = [m for m in model if len(m) == len(q) and unifiable(Compound("q", m), Compound("q", q))]
                # never fewer: every unifiable statement comes, in insertion order
                it = iter(got)
                assert all(any(same(w, g) for g in it) for w in want), (q, want, got)
                assert all(len(g) == len(q) for g in got)
                usable = [p for p in store.index() if p < len(q) and term_key(q[p]) is not None]
                if usable:                              # the index in use yields only its bucket
                    assert any(all(term_key(g[p]) in (term_key(q[p]), None) for g in got) for p in usable)
    finally:
        shutil.rmtree(path)


def test_lookup_uses_the_index_and_resumes_across_chunks(store_path):
    with StatementStore(store_path, index=(0, 1)) as store:
        store.add_many([(i % 3, i, "x") for i in range(10000)])
        store.add((Var(), -1, "wild"))                          # matches every first argument
        store.add_many([(i % 3, i, "y") for i in range(10000, 12000)])
        got = [s for s, _ in store.lookup((1, Var(), Var()))]
        assert len(got) == 4000 + 1
        assert [s[1] for s in got] == [i for i in range(10000) if i % 3 == 1] + [-1] + \
            [i for i in range(10000, 12000) if i % 3 == 1]
        assert [s for s, _ in store.lookup((Var(), 7, Var()))] == [(1, 7, "x")]  # most selective
        assert sum(1 for _ in store.lookup((Var(), Var(), "y"))) == 2000       # a scan
        assert sum(1 for _ in store.lookup((Var(), Var(), Var()))) == 12001
        assert store.count() == 12001


@pytest.mark.parametrize("n", [80, 5000])    # 80: both buckets under one chunk, together over it
def test_lookup_merges_the_wildcard_bucket_in_order(store_path, n):
    with StatementStore(store_path, index=(0,)) as store:
        rows = [(Var(), i) if i % 2 else ("k", i) for i in range(n)]
        store.add_many(rows)
        store.add_many([("other", -1), (Compound("f", (Var(),)), -2)])
        got = [s[1] for s, _ in store.lookup(("k", Var()))]
        assert got == list(range(n))
        assert [s[1] for s, _ in store.lookup(("other", Var()))] == list(range(1, n, 2)) + [-1]
        assert [s[1] for s, _ in store.lookup((Compound("f", (1,)), Var()))][-1] == -2


def test_lookup_sees_the_store_as_it_was_when_it_began(store_path):
    with StatementStore(store_path, index=(0,)) as store:
        store.add_many([(1, i) for i in range(100)])
        seen = 0
        for s, _ in store.lookup((1, Var())):
            seen += 1
            store.add((1, 1000 + seen))                     # assert while iterating
        assert seen == 100 and store.count() == 200


def test_truth_values_are_kept(store_path):
    with StatementStore(store_path, index=(0,)) as store:
        store.add_many([("a", 1), ("b", 2)], truth=0.8)
        store.add(("a", 3))
        assert list(store.lookup(("a", Var()))) == [(("a", 1), 0.8), (("a", 3), 1.0)]


def test_retract_removes_the_first_equal_statement(store_path):
    with StatementStore(store_path, index=(0,)) as store:
        store.add_many([(1, "a"), (2, "b"), (1, "a"), (1, "c")])
        assert store.retract((1, "a"))
        assert [s for s, _ in store.scan()] == [(2, "b"), (1, "a"), (1, "c")]
        assert not store.retract((9, "z"))
        x = Var()
        store.add((x, x))
        assert not store.retract((Var(), Var()))            # not a variant of (X, X)
        assert store.retract((Var("y"),) * 2)
        ids = [sid for sid, s, _ in store.find((1, Var()))]
        assert store.delete(ids[-1]) and not store.delete(ids[-1])
        assert [s for s, _ in store.scan()] == [(2, "b"), (1, "a")]


# ---------------------------------------------------------------- persistence and maintenance

REOPEN = """
import json, sys
from lang.terms import Var
from substrate.store import StatementStore
s = StatementStore(sys.argv[1], create=False)
print(json.dumps({"count": s.count(), "index": list(s.index()),
                  "hit": [list(x) for x, _ in s.lookup((Var(), "k17"))],
                  "last": list(list(s.scan())[-1][0])}))
"""


def test_a_new_process_sees_every_committed_statement(store_path):
    store = StatementStore(store_path, index=(1,))
    for b in range(5):
        store.add_many([(b * 100 + i, f"k{i}") for i in range(100)])
    out = run_python(REOPEN, store_path)
    store.close()
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"count": 500, "index": [1],
                                      "hit": [[b * 100 + 17, "k17"] for b in range(5)],
                                      "last": [499, "k99"]}


def test_opening_loads_nothing(store_path, monkeypatch):
    """Opening reads no statement (its cost does not grow with the store; bench/store.py
    times it): no record is decoded or checked until a query asks."""
    with StatementStore(store_path, index=(0,)) as store:
        store.add_many([(i, "x" * 70) for i in range(50000)])
    from substrate.store import store as store_module
    decoded = []
    real = store_module.unpack_statement
    monkeypatch.setattr(store_module, "unpack_statement", lambda raw: decoded.append(1) or real(raw))
    store = StatementStore(store_path)
    assert store.count() == 50000 and store.index() == (0,)
    assert decoded == []
    assert [s for s, _ in store.lookup((7, Var()))] == [(7, "x" * 70)] and decoded  # the probe counts
    store.close()


def test_set_index_builds_and_drops_in_place(store_path):
    with StatementStore(store_path) as store:
        store.add_many([(i, i % 10, f"s{i}") for i in range(3000)])
        assert store.index() == ()
        store.set_index((1, 2))
        assert store.index() == (1, 2)
        assert [s[0] for s, _ in store.lookup((Var(), 3, Var()))] == list(range(3, 3000, 10))
        store.add((5000, 3, "new"))
        assert sum(1 for _ in store.lookup((Var(), 3, Var()))) == 301
        store.set_index((2,))
    with StatementStore(store_path) as store:              # kept across reopening
        assert store.index() == (2,)
        assert [s for s, _ in store.lookup((Var(), Var(), "s42"))] == [(42, 2, "s42")]
    with StatementStore(store_path, index=(0,)) as store:  # the definition's index wins
        assert store.index() == (0,)
        assert [s for s, _ in store.lookup((42, Var(), Var()))] == [(42, 2, "s42")]
        with pytest.raises(ValueError):
            store.set_index((-1,))


def test_optimize_compacts_and_keeps_data(store_path):
    reports: list[str] = []
    with StatementStore(store_path, index=(0,), verbose=True, on_report=reports.append) as store:
        store.add_many([(i, "x" * 200) for i in range(5000)])
        for i in range(0, 5000, 2):
            assert store.delete(i)
        before, after = store.optimize()
        assert after < before
        assert store.count() == 2500
        assert [s for s, _ in store.lookup((4999, Var()))] == [(4999, "x" * 200)]
        store.add((1, "again"))
        assert not os.path.exists(os.path.join(store_path, "compact.tmp"))
    assert any("stored 5000 statements" in r and "µs/statement" in r for r in reports)
    assert any("optimized" in r for r in reports)
    out = run_python(REOPEN, store_path)
    assert json.loads(out.stdout)["count"] == 2501


def test_optimize_refuses_while_another_process_has_the_store_open(store_path):
    store = StatementStore(store_path)
    store.add_many([(i,) for i in range(100)])
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom substrate.store import StatementStore\n"
         "s = StatementStore(sys.argv[1]); print('open', flush=True); time.sleep(30)", store_path],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match="open in another process"):
            store.optimize()
        assert store.count() == 100                     # still usable
    finally:
        holder.kill()
        holder.wait()
        store.close()


def test_the_map_grows_as_needed(store_path):
    reports: list[str] = []
    with StatementStore(store_path, index=(0, 1), map_size=32 << 10, verbose=True,
                        on_report=reports.append) as store:
        for b in range(10):
            store.add_many([(b, i, "y" * 100) for i in range(2000)])
        assert store.count() == 20000
        assert store.stats()["map_size"] > 32 << 10
        assert sum(1 for _ in store.lookup((7, Var(), Var()))) == 2000
    assert any("map grown" in r for r in reports)


def test_concurrent_readers_while_the_map_grows(store_path):
    with StatementStore(store_path, index=(0,), map_size=32 << 10) as store:
        store.add_many([(i % 10, i) for i in range(1000)])
        errors: list[BaseException] = []
        stop = threading.Event()

        def read() -> None:
            try:
                while not stop.is_set():
                    n = sum(1 for _ in store.lookup((3, Var())))
                    assert n >= 100
                    assert store.count() >= 1000
            except BaseException as e:          # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=read) for _ in range(4)]
        for t in threads:
            t.start()
        for b in range(20):
            store.add_many([(i % 10, 1000 + b * 1000 + i, "z" * 50) for i in range(1000)])
        stop.set()
        for t in threads:
            t.join()
        assert not errors, errors
        assert store.count() == 21000


def test_a_forked_child_is_refused(store_path):
    store = StatementStore(store_path)
    store.add((1,))
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                    # child: report and leave without cleanup
        try:
            store.count()
            msg = b"used"
        except StoreError as e:
            msg = str(e).encode()
        os.write(w, msg)
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    msg = os.read(r, 1000).decode()
    os.close(r)
    assert "after fork" in msg
    assert store.count() == 1                       # the parent is unaffected
    store.close()


# ---------------------------------------------------------------- errors

def test_a_plain_file_is_not_a_store(tmp_path):
    f = tmp_path / "file"
    f.write_text("hello")
    with pytest.raises(StoreError, match="is a file"):
        StatementStore(str(f))
    with pytest.raises(StoreError, match="cannot create") as e:
        StatementStore(str(f / "sub"))
    assert isinstance(e.value.__cause__, OSError)


def test_other_directories_are_not_stores(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("x")
    with pytest.raises(StoreError, match="holds other files"):
        StatementStore(str(tmp_path / "docs"))
    with pytest.raises(StoreError, match="no store here"):
        StatementStore(str(tmp_path / "missing"), create=False)
    import lmdb
    env = lmdb.open(str(tmp_path / "foreign"))
    with env.begin(write=True) as txn:
        txn.put(b"some", b"thing")
    env.close()
    with pytest.raises(StoreError, match="not a seltzer store"):
        StatementStore(str(tmp_path / "foreign"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_an_unwritable_directory(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(StoreError) as e:
            StatementStore(str(ro / "store"))
        assert e.value.__cause__ is not None
    finally:
        ro.chmod(0o700)


def test_an_unwritable_location(tmp_path):
    with pytest.raises(StoreError) as e:
        StatementStore("/proc/seltzer-store-test")
    assert isinstance(e.value.__cause__, OSError)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "page"])
def test_a_corrupt_data_file_is_a_store_error(store_path, damage):
    with StatementStore(store_path, index=(0,)) as store:
        store.add_many([(i, "x" * 40) for i in range(20000)])
    data = os.path.join(store_path, "data.mdb")
    size = os.path.getsize(data)
    with open(data, "r+b") as f:
        if damage == "garbage":
            f.write(os.urandom(8192))
        elif damage == "truncated":
            f.truncate(size // 2)
        else:
            f.seek(size // 2)
            f.write(b"\xff" * 16384)
    # in a child process: whatever LMDB does with a damaged file must not take the tests down
    out = run_python("import sys\nfrom substrate.store import StatementStore\nfrom lang.errors import StoreError\n"
                     "try:\n s = StatementStore(sys.argv[1]); print(sum(1 for _ in s.scan()))\n"
                     "except StoreError as e:\n print('StoreError', type(e.__cause__).__name__, e)",
                     store_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("StoreError"), out.stdout
    assert "Traceback" not in out.stdout + out.stderr


# ---------------------------------------------------------------- kill -9

CHILD = """
import sys
from substrate.store import StatementStore
def size(k): return 1 + (k * 37) % 150
s = StatementStore(sys.argv[1], map_size=64 << 10)
n, k = s.count(), 0
while n > 0:
    n -= size(k); k += 1
assert n == 0, "store holds a partial batch"
print("ready", flush=True)
while True:
    s.add_many([(k, j, "p" * (k % 50)) for j in range(size(k))])
    print(k, flush=True)            # batch k is committed
    k += 1
"""


def batch_size(k: int) -> int:
    return 1 + (k * 37) % 150


def check_prefix(path: str) -> int:
    """Open the store and check it holds exactly batches 0..K-1, complete and in order; return K."""
    with StatementStore(path, create=False) as store:
        rows = [s for s, _ in store.scan()]
        assert store.count() == len(rows)
        k = j = 0
        for row in rows:
            assert row == (k, j, "p" * (k % 50)), (row, k, j)
            j += 1
            if j == batch_size(k):
                k, j = k + 1, 0
        assert j == 0, f"partial batch {k}: {j} of {batch_size(k)}"
        if k:
            last = k - 1
            assert sum(1 for _ in store.lookup((last, Var(), Var()))) == batch_size(last)
        return k


def crash_trials(path: str, trials: int, rng: random.Random) -> list[int]:
    """Run ``trials`` children that ingest until SIGKILLed at a random moment; check after each."""
    StatementStore(path, index=(0,)).close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    counts = []
    for _ in range(trials):
        child = subprocess.Popen([sys.executable, "-c", CHILD, path], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = child.stdout.readline()
        assert line.strip() == "ready", child.stderr.read()
        time.sleep(rng.uniform(0, 0.08))
        child.send_signal(signal.SIGKILL)
        child.wait()
        reported = [int(x) for x in child.stdout.read().split()]
        child.stdout.close()
        child.stderr.close()
        k = check_prefix(path)
        if reported:        # every batch reported committed is there; at most one more
            assert reported[-1] + 1 <= k <= reported[-1] + 2, (reported[-1], k)
        counts.append(k)
    return counts


def test_kill_9_leaves_exactly_the_committed_batches(tmp_path):
    counts = crash_trials(str(tmp_path / "crash"), 20, random.Random(20))
    assert counts == sorted(counts) and counts[-1] > counts[0]
