"""Fact elementals in ``.kbz`` snapshots: the column arrays and the atom table as they are.

An elemental is a msgpack map ``{"label", "props", "atoms", "kinds", "tables"}``: ``atoms`` is
the list of atom names with ``kinds`` (one byte each: 0 string, 1 symbol); each table is
``{"arity", "n", "cols": [[kind, bytes]], "index": [[pos, keys bytes, rows bytes]]}``, typed
columns as raw little-endian arrays and OBJ columns as a :func:`substrate.codec.pack_many`
blob. Loading is copying arrays (no object per statement), and everything read is checked
before it is used: a snapshot that does not decode to terms is refused whole (the caller adds
the offset). The saved index bases are checked too (sorted, and equal to the column's values
at their rows), so a damaged index can never give a wrong answer.
"""
from __future__ import annotations

import sys
from array import array
from typing import Any, Iterator

import numpy as np

from lang.terms import Compound, Cons, Symbol

from .columns import ATOM, FLOAT, INT, OBJ, Atoms, Column
from .table import Table

__all__ = ["encode_facts", "FactColumns", "check_term", "SnapshotError"]

_TC = {INT: "q", FLOAT: "d", ATOM: "q"}
_LITTLE = sys.byteorder == "little"


class SnapshotError(ValueError):
    """A snapshot's content is not what a fact elemental can hold."""


def _raw(a: array) -> bytes:
    if not _LITTLE:
        a = array(a.typecode, a)
        a.byteswap()
    return a.tobytes()


def _array(tc: str, b: Any, n: int, what: str) -> array:
    if type(b) is not bytes or len(b) != n * array(tc).itemsize:
        raise SnapshotError(f"{what}: expected {n} cells")
    a = array(tc)
    a.frombytes(b)
    if not _LITTLE:
        a.byteswap()
    return a


def encode_facts(e: Any, props_text: str) -> dict | None:
    """The snapshot map of a fact elemental, or None if it holds clauses (saved as text)."""
    from ..codec import pack_many
    tables = []
    for arity, t in e.tables.items():
        if t.clauses:
            return None
        if not t.live:
            continue
        if t.dead:
            t = t.compacted()
        cols = []
        for col in t.cols:
            if col.kind == OBJ:
                cols.append([OBJ, pack_many([(v,) for v in col.data[:t.n]])])
            else:
                cols.append([col.kind, _raw(col.data[:t.n])])
        index = []
        for pos, ix in t.indexes.items():
            if ix.keys is not None and not ix.delta and ix.base_n == t.n:
                index.append([pos, _raw(ix.keys), _raw(array("q", ix.rows))])
        tables.append({"arity": arity, "n": t.n, "cols": cols, "index": index})
    vals = e.atoms.values
    return {"label": e.label, "props": props_text, "atoms": [v if type(v) is str else v.name for v in vals],
            "kinds": bytes(0 if type(v) is str else 1 for v in vals), "tables": tables}


class FactColumns:
    """A decoded, checked fact elemental from a snapshot: what :class:`FactElemental` is
    built from without a statement object in between. Iterating it yields the statements
    (for consumers that want entries, e.g. placing it on another host)."""

    __slots__ = ("atoms", "tables")

    def __init__(self, item: dict) -> None:
        names, kinds = item.get("atoms"), item.get("kinds")
        if type(names) is not list or type(kinds) is not bytes or len(kinds) != len(names):
            raise SnapshotError("atom table is malformed")
        values = []
        for name, k in zip(names, kinds):
            if type(name) is not str or k > 1:
                raise SnapshotError("atom table holds a non-atom")
            values.append(Symbol(name) if k else name)
        if len(set(map(_atom_key, values))) != len(values):
            raise SnapshotError("atom table holds duplicates")
        self.atoms = values
        tables = item.get("tables")
        if type(tables) is not list:
            raise SnapshotError("tables are malformed")
        self.tables = [self._table(t, len(values)) for t in tables]

    @staticmethod
    def _table(t: Any, natoms: int) -> tuple:
        from ..codec import CodecError, unpack_many
        if type(t) is not dict:
            raise SnapshotError("a table is malformed")
        arity, n, cols, index = t.get("arity"), t.get("n"), t.get("cols"), t.get("index", [])
        if type(arity) is not int or type(n) is not int or arity < 0 or n < 0 or type(cols) is not list \
                or len(cols) != arity or type(index) is not list:
            raise SnapshotError("a table header is malformed")
        out = []
        for i, c in enumerate(cols):
            if type(c) is not list or len(c) != 2 or c[0] not in (INT, FLOAT, ATOM, OBJ):
                raise SnapshotError(f"column {i} is malformed")
            kind, data = c
            if kind == OBJ:
                try:
                    vals = [args for args, _ in unpack_many(data)] if type(data) is bytes else None
                except CodecError as e:
                    raise SnapshotError(f"column {i}: {e}") from None
                if vals is None or len(vals) != n or any(len(a) != 1 for a in vals):
                    raise SnapshotError(f"column {i}: expected {n} terms")
                vals = [a[0] for a in vals]
                for v in vals:
                    check_term(v)
                out.append(Column(OBJ, vals))
                continue
            a = _array(_TC[kind], data, n, f"column {i}")
            if kind == ATOM and n:
                v = np.frombuffer(a, dtype=np.int64)
                if int(v.min()) < 0 or int(v.max()) >= natoms:
                    raise SnapshotError(f"column {i}: atom id out of range")
                del v
            out.append(Column(kind, a))
        bases = []
        for ent in index:
            if type(ent) is not list or len(ent) != 3 or type(ent[0]) is not int or not 0 <= ent[0] < arity \
                    or out[ent[0]].kind == OBJ:
                raise SnapshotError("an index is malformed")
            pos = ent[0]
            kind = out[pos].kind
            if type(ent[1]) is not bytes or type(ent[2]) is not bytes or len(ent[1]) % 8 or len(ent[1]) != len(ent[2]):
                raise SnapshotError(f"index {pos} is malformed")
            m = len(ent[1]) // 8
            keys = _array(_TC[kind], ent[1], m, f"index {pos}")
            rows = _array("q", ent[2], m, f"index {pos}")
            k = np.frombuffer(keys, dtype=np.float64 if kind == FLOAT else np.int64)
            r = np.frombuffer(rows, dtype=np.int64)
            col = np.frombuffer(out[pos].data, dtype=k.dtype, count=n)
            if m and (int(r.min()) < 0 or int(r.max()) >= n or np.any(k[1:] < k[:-1])
                      or not np.array_equal(col[r] + (0.0 if kind == FLOAT else 0), k)
                      or int(np.count_nonzero(np.bincount(r, minlength=n))) != m):
                raise SnapshotError(f"index {pos} does not match its column")
            del k, r, col
            bases.append((pos, keys, rows, m))
        return arity, n, out, bases

    def __iter__(self) -> Iterator[tuple]:
        vals = self.atoms
        for _arity, n, cols, _ in self.tables:
            get = [(lambda d: (lambda r: vals[d[r]]))(c.data) if c.kind == ATOM else c.data.__getitem__
                   for c in cols]
            for r in range(n):
                yield tuple(g(r) for g in get)

    def __len__(self) -> int:
        return sum(t[1] for t in self.tables)

    def install(self, e: Any) -> None:
        """Fill the empty fact elemental ``e`` with these tables."""
        e.atoms = atoms = Atoms(self.atoms)
        for arity, n, cols, bases in self.tables:
            t = Table(arity, atoms, e.positions)
            t.cols = cols
            t.n = t.live = n
            t._regetter()
            saved = {pos: (keys, rows, m) for pos, keys, rows, m in bases}
            for pos, ix in t.indexes.items():
                got = saved.get(pos)
                if got is not None and got[2] == n:
                    ix.kind = cols[pos].kind
                    rows = got[1]
                    if n < (1 << 31):
                        rows = array("i")
                        rows.frombytes(np.frombuffer(got[1], dtype=np.int64).astype(np.int32).tobytes())
                    ix.set_base(got[0], rows, n)
                else:
                    ix.build(cols[pos], n, set())
            e.tables[arity] = t


def _atom_key(v: Any) -> Any:
    return (type(v) is Symbol, v.name if type(v) is Symbol else v)


def check_term(t: Any) -> None:
    """Raise SnapshotError unless ``t`` is a ground term (iterative)."""
    stack = [t]
    while stack:
        x = stack.pop()
        tx = type(x)
        if tx is int or tx is str or tx is float or tx is Symbol:
            continue
        if tx is Cons:
            stack.append(x.head)
            stack.append(x.tail)
        elif tx is Compound and type(x.name) is str and type(x.args) is tuple and x.args:
            stack.extend(x.args)
        else:
            raise SnapshotError(f"not a term: {type(x).__name__}")

