"""A fact table: the statements of one arity of a fact elemental, stored column-wise.

Rows are numbered in creation order. A row is a ground statement held in the columns, or a
*clause* (a statement with variables or a truth value, compiled as data by
:func:`lang.clauses.compile_entry`) held in ``clauses`` with placeholder cells. A statement
becomes a tuple of terms only when it is answered.

Retract marks a row dead instead of moving anything: ``dead[row]`` is the table's generation
when it died. A call remembers the row count and generation it started with, so it keeps
enumerating exactly the statements that existed then (the logical update view) while later
asserts append and later retracts mark. Dead rows are dropped by :meth:`Table.compacted`,
which makes a new table (calls still running keep reading the old one).
"""
from __future__ import annotations

from array import array
from itertools import count
from typing import Any, Iterable, Iterator

import numpy as np

from lang.terms import Symbol, Var

from .columns import ATOM, FLOAT, INT, OBJ, Atoms, Column, kind_of, row_getter, view
from .index import NOKEY, PosIndex, goal_key

__all__ = ["Table", "Batch", "EAGER"]

EAGER = 64        # answers up to this many are made at once; more are made as they are tried
SCAN_MIN = 256    # below this many rows a bound unindexed argument is left to the solver
_PROBE = 32       # retract: rows tried one by one before a vectorised scan
_SERIALS = count(1)


class Table:
    """Statements of one arity in columns, with indexes on ``positions``."""

    __slots__ = ("arity", "atoms", "cols", "n", "clauses", "wild", "dead", "gen", "live",
                 "first_live", "indexes", "solo", "get", "_wild_arr", "serial")

    def __init__(self, arity: int, atoms: Atoms, positions: Iterable[int] = ()) -> None:
        self.arity = arity
        self.atoms = atoms
        self.cols: list[Column | None] = [None] * arity
        self.n = 0
        self.clauses: dict[int, Any] = {}
        self.wild: list[int] = []          # rows holding clauses, ascending
        self.dead: dict[int, int] = {}     # row -> generation it was retracted in
        self.gen = 0
        self.live = 0
        self.first_live = 0
        self.indexes: dict[int, PosIndex] = {p: PosIndex(p) for p in positions if p < arity}
        self.solo = self._solo()
        self._wild_arr = None
        self.serial = next(_SERIALS)   # names this table in undo tokens (plain data)
        self._regetter()

    # -- writing ---------------------------------------------------------------------------
    def _regetter(self) -> None:
        if all(c is not None for c in self.cols):
            self.get = row_getter(self.cols, self.atoms)
        else:  # a column not typed yet (only clauses so far): no ground row to read
            self.get = _no_row

    def _column(self, i: int, x: Any) -> Column:
        """Column ``i`` able to hold ``x`` (created, or widened to OBJ)."""
        col = self.cols[i]
        if col is None:
            col = Column.of_dummies(kind_of(x), self.n)
            self.cols[i] = col
            self._regetter()
            ix = self.indexes.get(i)
            if ix is not None:
                ix.kind = col.kind
        elif not col.fits(x):
            col.to_objects(self.atoms, self.n)
            self._regetter()
            ix = self.indexes.get(i)
            if ix is not None:
                ix.build(col, self.n, self._skip())
        return col

    def _skip(self) -> set:
        if not self.clauses and not self.dead:
            return set()
        return set(self.clauses) | set(self.dead)

    def append(self, entry: Any) -> int:
        """Add one statement (a tuple of terms, or a clause); return its row."""
        r = self.n
        atoms = self.atoms
        if type(entry) is tuple:
            cells = []
            for i, x in enumerate(entry):
                col = self.cols[i]
                if col is None or not col.fits(x):
                    col = self._column(i, x)
                cell = atoms.id(x) if col.kind == ATOM else x
                col.data.append(cell)
                cells.append(cell)
        else:
            cells = None
            for col in self.cols:
                if col is not None:
                    col.data.append(col.dummy())
            self.clauses[r] = entry
            self.wild.append(r)
            self._wild_arr = None
        self.n = r + 1
        self.live += 1
        if cells is not None:
            for pos, ix in self.indexes.items():
                if ix.add(r, cells[pos]):
                    ix.build(self.cols[pos], self.n, self._skip())
        return r

    def extend(self, entries: list) -> None:
        """Add many statements at once: whole columns at a time when they are all ground."""
        if not entries:
            return
        if self.n or any(type(e) is not tuple for e in entries):
            for e in entries:
                self.append(e)
            return
        self.set_columns(list(zip(*entries)) if self.arity else [], len(entries))

    def set_columns(self, columns: list, n: int) -> None:
        """Fill this empty table with ``n`` ground statements given column-wise (one
        sequence of atomic terms per argument position), without making a tuple per row."""
        for i, values in enumerate(columns):
            self.cols[i] = _column_of(values, self.atoms)
        self.n = self.live = n
        self._regetter()
        self.reindex()

    def reindex(self, positions: Iterable[int] | None = None) -> None:
        """Build the indexes (of ``positions``, or the current ones) from the rows."""
        if positions is not None:
            self.indexes = {p: PosIndex(p) for p in positions if p < self.arity}
        self.solo = self._solo()
        skip = self._skip()
        for pos, ix in self.indexes.items():
            col = self.cols[pos]
            if col is not None:
                ix.build(col, self.n, skip)

    def _solo(self) -> PosIndex | None:
        """The index, when there is exactly one (the common case :meth:`ask` takes first)."""
        return next(iter(self.indexes.values())) if len(self.indexes) == 1 else None

    # -- reading ---------------------------------------------------------------------------
    def entry(self, r: int) -> Any:
        """Row ``r`` as the solver takes it: a tuple of terms or a clause."""
        if self.clauses:
            c = self.clauses.get(r)
            if c is not None:
                return c
        return self.get(r)

    def entries(self) -> list:
        """Every live statement in order."""
        dead = self.dead
        return [self.entry(r) for r in range(self.first_live, self.n) if not dead or r not in dead]

    def rows_for(self, args: list, scan: bool = True) -> Any:
        """Candidate rows for a goal (ascending), or None for "every row".

        An index of a bound position gives its rows; else, on a large table, a bound
        argument at typed columns is matched by numpy over the whole column. Rows holding
        clauses are always candidates (they may match anything).
        """
        best = None
        if self.indexes:
            atoms = self.atoms
            for pos, ix in self.indexes.items():
                x = args[pos]
                while type(x) is Var:
                    r = x.ref
                    if r is None:
                        break
                    x = r
                if type(x) is Var or self.cols[pos] is None:
                    continue
                found = ix.find(x, atoms)
                if best is None or len(found) < len(best):
                    best = found
                    if not found:
                        break
        if best is None:
            if not scan or self.n < SCAN_MIN:
                return None
            best = self.scan(args)
            if best is None:
                return None
        return self._with_wild(best) if self.wild else best

    def _with_wild(self, rows: Any) -> Any:
        """``rows`` with the clause rows added (ascending, no duplicates)."""
        if not self.wild:
            return rows
        if type(rows) is list:
            return sorted(set(rows).union(self.wild)) if rows else self.wild[:]
        if self._wild_arr is None:
            self._wild_arr = np.array(self.wild, dtype=np.int64)
        return np.union1d(rows, self._wild_arr)

    def scan(self, args: list) -> np.ndarray | None:
        """Rows whose typed cells equal every bound atomic argument (numpy), or None when no
        argument can be compared that way."""
        mask = None
        atoms = self.atoms
        n = self.n
        for i, x in enumerate(args):
            while type(x) is Var:
                r = x.ref
                if r is None:
                    break
                x = r
            col = self.cols[i]
            if type(x) is Var or col is None or col.kind == OBJ:
                continue
            key = goal_key(col.kind, x, atoms)
            if key is NOKEY:
                return np.zeros(0, np.int64)
            v = view(col, n)
            m = v == key
            del v
            mask = m if mask is None else (mask & m)
        if mask is None:
            return None
        return np.flatnonzero(mask)

    def ask(self, args: list) -> Any:
        """The alternatives for a goal: a list when few, else made lazily (see module doc)."""
        rows = None
        ix = self.solo
        if ix is not None and not self.wild:        # one index, no clause rows: the fast path
            x = args[ix.pos]
            while type(x) is Var:
                r = x.ref
                if r is None:
                    break
                x = r
            if type(x) is not Var:
                rows = ix.find(x, self.atoms)
        if rows is None:
            rows = self.rows_for(args)
            if rows is None:
                if self.live <= EAGER:
                    return self.entries()
                return self._lazy(range(self.first_live, self.n), self.gen)
        dead = self.dead
        if len(rows) <= EAGER:
            if type(rows) is not list:
                rows = rows.tolist()
            get = self.get
            if self.clauses:
                entry = self.entry
                return [entry(r) for r in rows if not dead or r not in dead]
            if dead:
                return [get(r) for r in rows if r not in dead]
            return [get(r) for r in rows]
        return self._lazy(rows, self.gen)

    def _lazy(self, rows: Iterable[int], gen: int) -> Iterator:
        """Statements of ``rows`` as they are tried; rows retracted after ``gen`` still count."""
        get = self.get
        dead = self.dead
        clauses = self.clauses
        for r in rows:
            if dead:
                d = dead.get(r)
                if d is not None and d <= gen:
                    continue
            if clauses:
                c = clauses.get(r)
                if c is not None:
                    yield c
                    continue
            yield get(r)

    # -- removing --------------------------------------------------------------------------
    def find(self, args: list, matches) -> tuple[int, Any] | None:
        """The first live row whose statement satisfies ``matches``: (row, statement).

        A bound indexed argument gives the candidates; otherwise the oldest rows are tried
        one by one first (a retract loop usually removes the oldest statement) and only then
        are the columns scanned, so retracting N statements in order costs O(N)."""
        dead = self.dead
        rows = self.rows_for(args, scan=False)
        if rows is None:
            n = self.n
            end = n if n < SCAN_MIN else min(n, self.first_live + _PROBE)
            for r in range(self.first_live, end):
                if dead and r in dead:
                    continue
                e = self.entry(r)
                if matches(e):
                    return r, e
            if end >= n:
                return None
            found = self.scan(args)
            if found is None:
                rows = range(end, n)
            else:
                rows = [r for r in self._with_wild(found).tolist() if r >= end]
        for r in rows:
            if dead and r in dead:
                continue
            e = self.entry(r)
            if matches(e):
                return r, e
        return None

    def kill(self, r: int) -> None:
        """Retract row ``r`` (it stays readable by calls that started before)."""
        self.gen += 1
        self.dead[r] = self.gen
        self.live -= 1
        self._unfile(r)
        if r == self.first_live:
            dead, n = self.dead, self.n
            r += 1
            while r < n and r in dead:
                r += 1
            self.first_live = r

    def _unfile(self, r: int) -> None:
        """Take live row ``r`` out of the clause rows or the indexes."""
        if r in self.clauses:
            self.wild.remove(r)
            self._wild_arr = None
        else:
            for pos, ix in self.indexes.items():
                ix.remove(r, self.cols[pos].data[r])

    def revive(self, r: int) -> None:
        """Undo :meth:`kill` of row ``r``."""
        if self.dead.pop(r, None) is None:
            return
        self.live += 1
        if r < self.first_live:
            self.first_live = r
        if r in self.clauses:
            self.wild.append(r)
            self.wild.sort()
            self._wild_arr = None
        else:
            for pos, ix in self.indexes.items():
                ix.put_back(r, self.cols[pos].data[r])

    def drop_last(self, r: int) -> None:
        """Undo the append of row ``r`` (called in reverse order of appending)."""
        if r != self.n - 1 or any(ix.base_n > r for ix in self.indexes.values()):
            self.kill(r)
            return
        if r in self.dead:
            del self.dead[r]
        else:
            self.live -= 1
            self._unfile(r)
        self.clauses.pop(r, None)
        for col in self.cols:
            if col is not None:
                col.truncate(r)
        self.n = r
        if self.first_live > r:
            self.first_live = r

    def compacted(self) -> "Table":
        """A new table of the live rows only (same order, same indexes)."""
        t = Table(self.arity, self.atoms, ())
        keep = np.array([r for r in range(self.first_live, self.n) if r not in self.dead], dtype=np.int64) \
            if len(self.dead) < self.n else np.zeros(0, np.int64)
        if self.clauses:
            for r in keep.tolist():
                t.append(self.entry(r))
        else:
            for i, col in enumerate(self.cols):
                if col is None:
                    continue
                if col.kind == OBJ:
                    data = col.data
                    t.cols[i] = Column(OBJ, [data[r] for r in keep.tolist()])
                else:
                    c = Column(col.kind)
                    c.data.frombytes(view(col, self.n)[keep].tobytes())
                    t.cols[i] = c
            t.n = t.live = len(keep)
            t._regetter()
        t.indexes = {p: PosIndex(p) for p in self.indexes}
        t.reindex()
        return t


class Batch:
    """Ground atomic statements of one arity given column-wise, as an import makes them: a
    fact elemental made of a batch fills its table from the columns, with no tuple per row.
    A column is a list of terms or a numpy ``int64`` array (integers never boxed)."""

    __slots__ = ("columns", "n")

    def __init__(self, columns: list, n: int) -> None:
        self.columns = columns
        self.n = n

    def __len__(self) -> int:
        return self.n

    def rows(self) -> list[tuple]:
        return list(zip(*[c.tolist() if type(c) is np.ndarray else c for c in self.columns]))

    def cut(self, i: int, j: int) -> "Batch":
        """Rows ``i..j-1``."""
        return Batch([c[i:j] for c in self.columns], j - i)

    @staticmethod
    def join(batches: list) -> "Batch":
        """One batch of these batches' rows, in order (all of one arity)."""
        if len(batches) == 1:
            return batches[0]
        cols = []
        for parts in zip(*[b.columns for b in batches]):
            if all(type(p) is np.ndarray for p in parts):
                cols.append(np.concatenate(parts))
            else:
                col: list = []
                for p in parts:
                    col += p.tolist() if type(p) is np.ndarray else p
                cols.append(col)
        return Batch(cols, sum(b.n for b in batches))

    def install(self, e: Any) -> None:
        """Fill the empty fact elemental ``e``."""
        if self.n:
            e.table(len(self.columns)).set_columns(self.columns, self.n)


def _no_row(r: int) -> tuple:
    raise AssertionError("internal: a row without columns is a clause")


def _column_of(values: tuple | list, atoms: Atoms) -> Column:
    """A column holding ``values`` (all ground terms, or an int64 array), of the narrowest
    kind that fits."""
    if type(values) is np.ndarray:
        c = Column(INT)
        c.data.frombytes(values.astype(np.int64, copy=False).tobytes())
        return c
    kind = kind_of(values[0])
    types = set(map(type, values))
    if kind == INT:
        if types == {int}:
            try:
                return Column(INT, array("q", values))
            except OverflowError:
                pass
    elif kind == ATOM:
        if types <= {str, Symbol}:
            for v in dict.fromkeys(values):
                atoms.id(v)
            return Column(ATOM, array("q", map(atoms.ids.__getitem__, values)))
    elif kind == FLOAT:
        if types == {float}:
            return Column(FLOAT, array("d", values))
    return Column(OBJ, list(values))
