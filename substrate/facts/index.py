"""Hash indexes over a column: value -> the rows holding it, kept up to date incrementally.

An index has two parts. The *base* covers the rows that existed when it was last built: the
column's keys sorted (by numpy) with the row number of each, kept in plain arrays and looked
up with :mod:`bisect` (a C loop; a numpy call costs more than the whole search) — 12 bytes a
row instead of a dict entry, a boxed key and a list. Integer keys (INT cells, atom ids) also
get a *directory*: the start of every bucket of ``2**shift`` consecutive key values, about one
entry per four rows, so a search bisects a handful of keys instead of the whole base (each
bisect step boxes an integer; the directory makes a lookup one or two of them). The *delta* is a dict from key
to the list of rows appended since. When the delta outgrows the base it is folded into a new
base (amortised O(log n) per statement, like a dict's resizing), so no query ever pays for
rebuilding a label that just changed. Retracted rows stay in the base and are filtered by
the table (which knows when each row died); they leave the delta at once.

Keys are the column's cell values: integers for INT columns, atom ids for ATOM, floats with
``-0.0`` folded into ``0.0`` for FLOAT (they unify; NaN unifies with nothing and is never
indexed), and :func:`lang.clauses.index_key` of the term for OBJ columns.
"""
from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right, insort
from typing import Any

import numpy as np

from lang.clauses import index_key
from lang.terms import Symbol

from .columns import ATOM, FLOAT, INT, INT_MAX, INT_MIN, OBJ, Atoms, Column, view

__all__ = ["PosIndex", "NOKEY", "goal_key", "BASE_MIN"]

BASE_MIN = 2048   # below this many rows an index is a dict only
NOKEY = object()  # a goal value no cell of the column can equal


def goal_key(kind: int, x: Any, atoms: Atoms) -> Any:
    """The index key of a bound goal value ``x`` in a column of ``kind``, or NOKEY."""
    tx = type(x)
    if kind == INT:
        return x if tx is int and INT_MIN <= x <= INT_MAX else NOKEY
    if kind == ATOM:
        if tx is str or tx is Symbol:
            i = atoms.ids.get(x)
            return NOKEY if i is None else i
        return NOKEY
    if kind == FLOAT:
        return x + 0.0 if tx is float and x == x else NOKEY
    k = index_key(x)
    return NOKEY if k is None else k


def cell_key(kind: int, v: Any) -> Any:
    """The index key of a stored cell value (None: not indexed, a NaN)."""
    if kind == FLOAT:
        return v + 0.0 if v == v else None
    if kind == OBJ:
        return index_key(v)
    return v


class PosIndex:
    """The index of one argument position of a table."""

    __slots__ = ("pos", "kind", "keys", "rows", "base_n", "delta", "pending", "unsorted",
                 "dir", "kmin", "shift", "nb")

    def __init__(self, pos: int) -> None:
        self.pos = pos
        self.kind = OBJ
        self.keys: array | None = None
        self.rows: array | None = None
        self.base_n = 0
        self.delta: dict = {}
        self.pending = 0
        self.unsorted = False
        self.dir: array | None = None
        self.kmin = self.shift = self.nb = 0

    def build(self, col: Column, n: int, skip: set) -> None:
        """Index rows ``0..n-1`` of ``col`` except those in ``skip`` (clauses, dead rows)."""
        self.kind = col.kind
        self.delta = {}
        self.keys = self.rows = self.dir = None
        self.base_n = 0
        self.pending = 0
        self.unsorted = False
        if col.kind != OBJ and n >= BASE_MIN:
            v = view(col, n)
            ok = None
            if col.kind == FLOAT:
                v = v + 0.0
                ok = ~np.isnan(v)
            if skip:
                if ok is None:
                    ok = np.ones(n, bool)
                ok[np.fromiter(skip, np.int64, len(skip))] = False
            if ok is None:
                order = np.argsort(v, kind="stable")
                keys = v[order]
            else:
                kept = np.flatnonzero(ok)
                sub = v[kept]
                order = np.argsort(sub, kind="stable")
                keys = sub[order]
                order = kept[order]
            del v
            ka = array("d" if col.kind == FLOAT else "q")
            ka.frombytes(keys.tobytes())
            ra = array("i" if n < (1 << 31) else "q")
            ra.frombytes(order.astype(np.int32 if n < (1 << 31) else np.int64).tobytes())
            self.set_base(ka, ra, n)
            return
        data, delta = col.data, self.delta
        kind = col.kind
        for r in range(n):
            if skip and r in skip:
                continue
            k = cell_key(kind, data[r])
            if k is None:
                continue
            lst = delta.get(k)
            if lst is None:
                delta[k] = [r]
            else:
                lst.append(r)

    def set_base(self, keys: array, rows: array, n: int) -> None:
        """Take sorted ``keys`` with the row of each as the base covering rows ``0..n-1``."""
        self.keys, self.rows, self.base_n = keys, rows, n
        self.dir = None
        m = len(keys)
        if self.kind == FLOAT or m < BASE_MIN:
            return
        k = np.frombuffer(keys, dtype=np.int64)
        lo, hi = int(k[0]), int(k[-1])
        shift = max(0, ((hi - lo) // max(1, m >> 2)).bit_length())
        nb = ((hi - lo) >> shift) + 1
        buckets = (k - lo) >> shift if hi - lo < (1 << 62) else None
        if buckets is None:
            return  # a span numpy cannot subtract in 64 bits: plain bisect
        starts = np.searchsorted(buckets, np.arange(nb + 1, dtype=np.int64), side="left")
        d = array("q")
        d.frombytes(starts.astype(np.int64).tobytes())
        self.dir, self.kmin, self.shift, self.nb = d, lo, shift, nb

    def add(self, r: int, cell: Any) -> bool:
        """File a new row; True when the delta has outgrown the base (rebuild wanted)."""
        k = cell_key(self.kind, cell)
        if k is None:
            return False
        lst = self.delta.get(k)
        if lst is None:
            self.delta[k] = [r]
        else:
            lst.append(r)
        self.pending += 1
        return self.kind != OBJ and self.pending >= BASE_MIN and self.pending > self.base_n

    def put_back(self, r: int, cell: Any) -> None:
        """File a row again (a retract undone): it may be older than rows in the delta."""
        k = cell_key(self.kind, cell)
        if k is None:
            return
        if r < self.base_n:
            if r in self.base_rows(k):
                return  # killing a row leaves it in the base
            self.unsorted = True
        lst = self.delta.get(k)
        if lst is None:
            self.delta[k] = [r]
        else:
            insort(lst, r)

    def remove(self, r: int, cell: Any) -> None:
        """Take a row out of the delta (base rows are filtered by the table instead)."""
        k = cell_key(self.kind, cell)
        lst = self.delta.get(k)
        if lst is not None:
            if lst[-1] == r:
                lst.pop()
            elif r in lst:
                lst.remove(r)
            if not lst:
                del self.delta[k]

    def base_rows(self, key: Any) -> list:
        """The rows the base files under ``key`` (an index key), ascending."""
        keys = self.keys
        if keys is not None:
            d = self.dir
            if d is not None:
                b = (key - self.kmin) >> self.shift
                if b < 0 or b >= self.nb:
                    return []
                lo = bisect_left(keys, key, d[b], d[b + 1])
            else:
                lo = bisect_left(keys, key)
            if lo < len(keys) and keys[lo] == key:
                hi = lo + 1
                if hi < len(keys) and keys[hi] == key:
                    return self.rows[lo:bisect_right(keys, key, lo)].tolist()
                return [self.rows[lo]]
        return []

    def find(self, x: Any, atoms: Atoms) -> list:
        """The rows holding the bound goal value ``x``, ascending (base, then delta). The key
        is made inline for integer and atom columns: this is every indexed lookup's path."""
        kind = self.kind
        tx = type(x)
        if kind == INT:
            if tx is not int:
                return []
            key = x  # beyond 64 bits it equals no key: bisect compares Python ints
        elif kind == ATOM:
            if tx is not str and tx is not Symbol:
                return []
            key = atoms.ids.get(x)
            if key is None:
                return []
        else:
            key = goal_key(kind, x, atoms)
            if key is NOKEY:
                return []
        out = self.base_rows(key) if self.keys is not None else []
        d = self.delta.get(key)
        if d:
            if not out:
                return d[:]
            out += d
            if self.unsorted:
                out.sort()
        return out

    def int_keys(self) -> np.ndarray | None:
        """The distinct keys of an INT index as an int64 array (None for other kinds)."""
        if self.kind != INT:
            return None
        base = np.frombuffer(self.keys, dtype=np.int64) if self.keys is not None else np.zeros(0, np.int64)
        if self.delta:
            more = [k for k in self.delta if type(k) is int and INT_MIN <= k <= INT_MAX]
            base = np.concatenate([base, np.array(more, dtype=np.int64)])
        return np.unique(base)

    def keys_held(self, atoms: Atoms) -> list:
        """Every key this index holds, as :func:`lang.clauses.index_key` values (for merging
        the indexes of several elementals); may include keys of retracted rows."""
        kind = self.kind
        out: list = []
        if self.keys is not None:
            out = np.unique(np.frombuffer(self.keys, dtype=np.float64 if kind == FLOAT else np.int64)).tolist()
        out += self.delta.keys()
        if kind == ATOM:
            vals = atoms.values
            return [vals[i] for i in out]
        if kind == FLOAT:
            return [(float, x) for x in out]
        return out
