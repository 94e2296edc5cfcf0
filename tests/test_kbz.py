"""Snapshots are validated: a .kbz that does not decode to terms is refused whole, with the
byte offset of the elemental it is in; mutated real snapshots either load terms or fail with
a DataError — never an internal error, never a non-term in the knowledge base."""
from __future__ import annotations

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lang.errors import DataError
from lang.printer import show
from substrate import Substrate
from substrate.facts.snapshot import check_term

from kbgen import isolated_home  # noqa: F401  (fixture)

KB = """
edge { index = [0, 1] } { (1, 2, "a"); (2, 3, b); (3, 1, 2.5); (4, 4, -0.0); (5, 170141183460469231731687303715884105728, f(x, [1, 2])); }
w { (1, "x"); (2, "y"); }
r { (:x) :- #edge(:x, _, _); }
"""


def _snapshot(tmp_path) -> bytes:
    kb = Substrate()
    kb.load_text(KB)
    for i in range(3000):  # enough rows for a saved index base
        kb.run(f'assert(w({i + 10}, "s{i % 7}"))') if i < 5 else None
    kb.load_text("big { index = 0 } { " + " ".join(f"({i}, s{i % 5});" for i in range(3000)) + " }")
    path = tmp_path / "k.kbz"
    assert kb.run(f'/save("{path}")')
    return path.read_bytes()


def _everything(kb: Substrate) -> list:
    out = []
    for e in kb.elementals.values():
        for x in (e.entries() if e.cls in ("facts", "rules") else []):
            if type(x) is tuple:
                for a in x:
                    check_term(a)
                out.append(tuple(show(a) for a in x))
    return out


def test_round_trip_keeps_every_statement_and_index(tmp_path):
    blob = _snapshot(tmp_path)
    kb = Substrate()
    res = kb.load(str(tmp_path / "k.kbz"))
    assert res[0].error is None
    assert list(kb.query("#big(2999, :s)")) and list(kb.query("#edge(5, :b, :c)"))
    orig = Substrate()
    orig.load_text(KB)
    assert [x for x in _everything(kb) if x[0] in ("1", "2", "3", "4", "5")][:5] == _everything(orig)[:5]
    assert len(blob) > 0


def test_a_fact_that_is_not_a_term_is_refused_with_its_offset(tmp_path):
    from substrate.codec import pack_many
    bad = msgpack.packb({"magic": "seltzer.kbz", "version": 1, "elementals": [
        {"label": "p", "props": "", "facts": pack_many([(1,)])[:1] + msgpack.packb([[None]])}]})
    (tmp_path / "bad.kbz").write_bytes(bad)
    res = Substrate().load(str(tmp_path / "bad.kbz"))
    assert isinstance(res[0].error, DataError)
    head = msgpack.packb({"magic": "seltzer.kbz", "version": 2, "count": 1})
    item = msgpack.packb({"label": "p", "props": "", "atoms": ["a"], "kinds": b"\x00",
                          "tables": [{"arity": 1, "n": 1, "cols": [[2, (5).to_bytes(8, "little")]], "index": []}]})
    (tmp_path / "bad2.kbz").write_bytes(head + item)
    res = Substrate().load(str(tmp_path / "bad2.kbz"))
    assert isinstance(res[0].error, DataError)
    assert f"byte {len(head)}" in str(res[0].error)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_snapshots_load_terms_or_fail_cleanly(tmp_path, data):
    blob = bytearray(_BLOB.get("b") or _BLOB.setdefault("b", _snapshot(tmp_path)))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(blob) - 1))
        how = data.draw(st.sampled_from(["flip", "byte", "cut"]))
        if how == "flip":
            blob[i] ^= 1 << data.draw(st.integers(0, 7))
        elif how == "byte":
            blob[i] = data.draw(st.integers(0, 255))
        else:
            del blob[i:]
            break
    path = tmp_path / "m.kbz"
    path.write_bytes(bytes(blob))
    kb = Substrate()
    res = kb.load(str(path))
    if res[0].error is not None:
        assert isinstance(res[0].error, DataError), res[0].error
        assert not kb.elementals
    else:
        _everything(kb)  # every statement is made of terms
        list(kb.query("count(#big(_, _), :n)"))


_BLOB: dict = {}
