"""Columns: one argument position of a fact table, held as a typed array rather than objects.

A column has one *kind*, chosen by the first value written to it:

* ``INT``   - ``array('q')`` of integers that fit in 64 bits;
* ``FLOAT`` - ``array('d')``;
* ``ATOM``  - ``array('q')`` of ids into the elemental's :class:`Atoms` (strings and symbols);
* ``OBJ``   - a Python list of terms: the fallback for a column mixing kinds, holding
  integers beyond 64 bits, or compounds and lists.

A value that does not fit the column's kind turns the column into ``OBJ`` (once). Arrays are
what makes ten million facts fit: 8 bytes a cell instead of a tuple slot plus a boxed object,
and numpy can compare a whole column (:func:`view`) without a Python loop.
"""
from __future__ import annotations

from array import array
from typing import Any, Callable

import numpy as np

from lang.terms import Symbol

__all__ = ["INT", "FLOAT", "ATOM", "OBJ", "Atoms", "Column", "kind_of", "view", "row_getter",
           "INT_MIN", "INT_MAX"]

INT, FLOAT, ATOM, OBJ = 0, 1, 2, 3
INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1
_DTYPES = {INT: np.int64, FLOAT: np.float64, ATOM: np.int64}
_TYPECODE = {INT: "q", FLOAT: "d", ATOM: "q"}
_DUMMY = {INT: 0, FLOAT: 0.0, ATOM: -1, OBJ: None}  # the cell of a row held elsewhere (a clause)


class Atoms:
    """Strings and symbols interned to dense integer ids (one table per fact elemental).

    ``"a"`` and the symbol ``a`` are different keys (a Symbol hashes by identity), so
    they get different ids, as they must: they do not unify.
    """

    __slots__ = ("ids", "values")

    def __init__(self, values: list | None = None) -> None:
        self.values: list = values if values is not None else []
        self.ids: dict = {v: i for i, v in enumerate(self.values)}

    def id(self, x: Any) -> int:
        """The id of ``x``, adding it if new."""
        i = self.ids.get(x)
        if i is None:
            i = self.ids[x] = len(self.values)
            self.values.append(x)
        return i

    def __len__(self) -> int:
        return len(self.values)


def kind_of(x: Any) -> int:
    """The column kind a first value ``x`` starts."""
    tx = type(x)
    if tx is int:
        return INT if INT_MIN <= x <= INT_MAX else OBJ
    if tx is str or tx is Symbol:
        return ATOM
    if tx is float:
        return FLOAT
    return OBJ


class Column:
    """One argument position: ``kind`` and ``data`` (an array, or a list for OBJ)."""

    __slots__ = ("kind", "data")

    def __init__(self, kind: int, data: Any = None) -> None:
        self.kind = kind
        if data is None:
            data = [] if kind == OBJ else array(_TYPECODE[kind])
        self.data = data

    @classmethod
    def of_dummies(cls, kind: int, n: int) -> "Column":
        """A column of ``n`` placeholder cells (rows held as clauses)."""
        c = cls(kind)
        d = _DUMMY[kind]
        if kind == OBJ:
            c.data = [d] * n
        else:
            c.data = array(_TYPECODE[kind], [d]) * n
        return c

    def fits(self, x: Any) -> bool:
        """Whether ``x`` can be written to this column as it is."""
        k = self.kind
        tx = type(x)
        if k == INT:
            return tx is int and INT_MIN <= x <= INT_MAX
        if k == ATOM:
            return tx is str or tx is Symbol
        if k == FLOAT:
            return tx is float
        return True

    def encode(self, x: Any, atoms: Atoms) -> Any:
        """The cell value of a fitting ``x``."""
        return atoms.id(x) if self.kind == ATOM else x

    def dummy(self) -> Any:
        return _DUMMY[self.kind]

    def value(self, r: int, atoms: Atoms) -> Any:
        """The term in row ``r``."""
        v = self.data[r]
        return atoms.values[v] if self.kind == ATOM else v

    def to_objects(self, atoms: Atoms, n: int) -> None:
        """Turn this column into an OBJ column (a value of another kind arrived)."""
        if self.kind == OBJ:
            return
        if self.kind == ATOM:
            vals = atoms.values
            self.data = [vals[i] if i >= 0 else None for i in self.data[:n]]
        else:
            self.data = self.data[:n].tolist()
        self.kind = OBJ

    def truncate(self, n: int) -> None:
        del self.data[n:]


def view(col: Column, n: int) -> np.ndarray:
    """The first ``n`` cells of a typed column as a numpy array sharing its memory.

    While the view lives the array cannot grow (Python forbids resizing an exported
    buffer), so callers compute what they need and drop it before returning."""
    if not n:
        return np.zeros(0, _DTYPES[col.kind])
    return np.frombuffer(col.data, dtype=_DTYPES[col.kind], count=n)


_FACTORIES: dict[tuple, Callable] = {}


def row_getter(cols: list[Column], atoms: Atoms) -> Callable[[int], tuple]:
    """A function ``row -> tuple of terms`` for these columns.

    The code is made once per tuple of column kinds (a schema, not a fact) and bound to the
    columns' arrays, so answering a row is one expression: ``(c0[r], V[c1[r]], c2[r])``.
    """
    kinds = tuple(c.kind for c in cols)
    factory = _FACTORIES.get(kinds)
    if factory is None:
        parts = [f"V[c{i}[r]]" if k == ATOM else f"c{i}[r]" for i, k in enumerate(kinds)]
        params = ", ".join([f"c{i}" for i in range(len(kinds))] + ["V"])
        body = "(" + "".join(p + ", " for p in parts) + ")"
        factory = _FACTORIES[kinds] = eval(f"lambda {params}: lambda r: {body}")  # noqa: S307
    return factory(*[c.data for c in cols], atoms.values)
