"""Elementals: the shards of the substrate, each holding statements or rules for one label.

Every elemental answers the same small, message-shaped interface (:class:`Elemental`):
``ask`` (a goal's arguments -> alternatives for the solver), ``tell`` (store statements),
``retract``, ``set_property``, ``count``. Nothing else of an elemental is used by the
substrate's router, so one could live in another process without the solver changing.

A fact elemental keeps its statements in columns (:mod:`substrate.facts`), indexed on the
positions listed in its ``index`` property. A rule elemental keeps, per arity, its entries in
written order and always indexes the first argument of its prototypes' heads: a goal whose
first argument is bound reads one bucket.
"""
from __future__ import annotations

import uuid
from itertools import islice
from typing import Any, Iterable, Protocol, runtime_checkable

import numpy as np

from lang.clauses import _CONS_KEY, Clause, index_key
from lang.errors import CompileError
from lang.printer import show_entry
from lang.terms import Cons, Symbol, Var, deref

from .facts import Atoms, Batch, Table
from .facts.snapshot import FactColumns

__all__ = ["Elemental", "MemoryElemental", "FactElemental", "RuleElemental", "new_guid", "index_positions",
           "index_add", "snapshot"]

_NOTHING: tuple = ()


def new_guid() -> str:
    """A fresh elemental identifier: 32 hex characters."""
    return uuid.uuid4().hex


def index_positions(value: Any, where=None) -> tuple[int, ...]:
    """Validate an ``index`` property value (int or list of ints) and return the positions."""
    from lang.printer import show
    from lang.terms import list_items, NIL
    if type(value) is int:
        items = [value]
    else:
        items, tail = list_items(value)
        if tail is not NIL:
            raise CompileError(f"index must be an integer or a list of integers, found {show(value)}", where)
        items = [deref(i) for i in items]
    for i in items:
        if type(i) is not int or i < 0:
            raise CompileError(f"index positions must be integers >= 0, found {show(i)}", where)
    return tuple(dict.fromkeys(items))


@runtime_checkable
class Elemental(Protocol):
    """What the substrate asks of every elemental."""

    guid: str
    cls: str
    label: str
    properties: dict

    def arities(self) -> Iterable[int]:
        """The arities this elemental holds entries for (the router's key)."""

    def ask(self, args: list) -> Iterable:
        """Alternatives for a goal ``#label(args)``: plain tuples (ground facts) or Clauses."""

    def tell(self, statements: list[tuple]) -> None:
        """Store ground statements (tuples of terms)."""

    def retract(self, args: tuple, matches) -> bool:
        """Remove the first statement for which ``matches(alternative)`` holds."""

    def count(self) -> int:
        """How many statements or prototypes it holds."""

    def set_property(self, name: str, value: Any) -> None:
        """Change a property; ``index`` rebuilds indexes."""

    def close(self) -> None:
        """Release what the elemental holds open (files, environments)."""


class _Bucket:
    """The entries of one arity: in written order, with hash indexes by position."""

    __slots__ = ("entries", "indexes")

    def __init__(self) -> None:
        self.entries: list = []
        self.indexes: dict[int, dict | None] = {}


def index_add(index: dict, statement: tuple, pos: int) -> None:
    """File a ground statement under its key at ``pos`` (appended: written order is kept)."""
    k = index_key(statement[pos])
    lst = index.get(k)
    if lst is None:
        index[k] = [statement]
    else:
        lst.append(statement)


def _entry_key(entry: Any, pos: int) -> Any:
    """Index key of an entry at a position; None when that position holds a variable."""
    if type(entry) is tuple:
        return index_key(entry[pos])
    from lang.clauses import _template_key
    return _template_key(entry.head[pos])


class MemoryElemental:
    """Shared machinery of fact and rule elementals: per-arity buckets and their indexes."""

    cls = "facts"
    writable = True

    def __init__(self, label: str, entries: Iterable = (), properties: dict | None = None,
                 guid: str | None = None) -> None:
        self.guid = guid or new_guid()
        self.label = label
        self.properties = dict(properties or {})
        self.buckets: dict[int, _Bucket] = {}
        self.positions: tuple[int, ...] = self._positions()
        for e in entries:
            self._bucket(_arity(e)).entries.append(e)
        self.rebuild_indexes()

    # -- indexes -----------------------------------------------------------------------------
    def _positions(self) -> tuple[int, ...]:
        return index_positions(self.properties["index"]) if "index" in self.properties else ()

    def _bucket(self, arity: int) -> _Bucket:
        b = self.buckets.get(arity)
        if b is None:
            b = self.buckets[arity] = _Bucket()
        return b

    def rebuild_indexes(self) -> None:
        """Rebuild every hash index from the entries (after load or a change of ``index``)."""
        for arity, b in self.buckets.items():
            b.indexes = {}
            for pos in self.positions:
                if pos < arity:
                    b.indexes[pos] = self._build_index(b.entries, pos)

    @staticmethod
    def _build_index(entries: list, pos: int) -> dict | None:
        index: dict = {}
        for e in entries:
            k = _entry_key(e, pos)
            if k is None:
                return None  # a variable at this position: this index cannot be used
            lst = index.get(k)
            if lst is None:
                index[k] = [e]
            else:
                lst.append(e)
        return index

    # -- the elemental interface -------------------------------------------------------------
    def arities(self) -> Iterable[int]:
        return [a for a, b in self.buckets.items() if b.entries]

    def ask(self, args: list) -> Iterable:
        asker = self.asker(len(args))
        return asker(args) if asker is not None else _NOTHING

    def asker(self, arity: int):
        """A function ``args -> alternatives`` for goals of this arity (what the router calls)."""
        b = self.buckets.get(arity)
        if b is None:
            return None
        return _fact_asker(b)

    def tell(self, statements: list[tuple]) -> None:
        for s in statements:
            b = self._bucket(len(s))
            b.entries.append(s)
            if not b.indexes and self.positions:
                b.indexes = {pos: {} for pos in self.positions if pos < len(s)}
            for pos, index in b.indexes.items():
                if index is not None:
                    index_add(index, s, pos)

    def retract(self, args: tuple, matches) -> bool:
        return self.retract_entry(args, matches) is not None

    def retract_entry(self, args: tuple, matches) -> tuple[int, Any] | None:
        """Remove the first entry that ``matches``; return (position, entry) or None.

        The entry lists are replaced, not edited, so calls already enumerating them (which
        hold a lazy slice of the old list) are not disturbed.
        """
        b = self.buckets.get(len(args))
        if b is None:
            return None
        for i, e in enumerate(b.entries):
            if matches(e):
                b.entries = b.entries[:i] + b.entries[i + 1:]
                self._unindex(b, e)
                return i, e
        return None

    def restore(self, pos: int, entry: Any) -> None:
        """Put a retracted entry back where it was (undo of a retract)."""
        self._bucket(_arity(entry)).entries.insert(pos, entry)
        self.rebuild_indexes()

    def forget(self, entry: Any) -> None:
        """Remove one entry by identity (undo of an assert)."""
        b = self.buckets.get(_arity(entry))
        if b is None:
            return
        for i in range(len(b.entries) - 1, -1, -1):
            if b.entries[i] is entry:
                del b.entries[i]
                self._unindex(b, entry)
                return

    def _unindex(self, b: _Bucket, e: Any) -> None:
        for pos, index in b.indexes.items():
            if index is None:
                continue
            k = _entry_key(e, pos)
            lst = index.get(k)
            if lst is not None:
                rest = [x for x in lst if x is not e]
                if rest:
                    index[k] = rest
                else:
                    del index[k]

    def count(self) -> int:
        return sum(len(b.entries) for b in self.buckets.values())

    def entries(self) -> list:
        """Every entry, arity by arity, in written order (for saving)."""
        out = []
        for b in self.buckets.values():
            out.extend(b.entries)
        return out

    def set_property(self, name: str, value: Any) -> None:
        if name == "index":
            self.properties[name] = value
            self.positions = self._positions()
            self.rebuild_indexes()
        else:
            self.properties[name] = value

    def close(self) -> None:
        pass


class FactElemental:
    """Factual knowledge, stored column-wise (see :mod:`substrate.facts`): one
    :class:`~substrate.facts.Table` per arity, indexed on the positions of its ``index``
    property, strings and symbols interned in one :class:`~substrate.facts.Atoms` table."""

    cls = "facts"
    writable = True

    def __init__(self, label: str, entries: Iterable = (), properties: dict | None = None,
                 guid: str | None = None) -> None:
        self.guid = guid or new_guid()
        self.label = label
        self.properties = dict(properties or {})
        self.positions: tuple[int, ...] = (index_positions(self.properties["index"])
                                           if "index" in self.properties else ())
        self.atoms = Atoms()
        self.tables: dict[int, Table] = {}
        if type(entries) is FactColumns or type(entries) is Batch:
            entries.install(self)
        elif entries:
            self.load(entries)

    def load(self, entries: Iterable) -> None:
        """Add many statements at once (a definition, a bundle, a snapshot)."""
        by_arity: dict[int, list] = {}
        for e in entries:
            a = len(e) if type(e) is tuple else len(e.head)
            lst = by_arity.get(a)
            if lst is None:
                by_arity[a] = [e]
            else:
                lst.append(e)
        for arity, es in by_arity.items():
            self.table(arity).extend(es)

    def table(self, arity: int) -> Table:
        """The table of ``arity`` (made empty if there is none)."""
        t = self.tables.get(arity)
        if t is None:
            t = self.tables[arity] = Table(arity, self.atoms, self.positions)
        return t

    # -- the elemental interface -------------------------------------------------------------
    def arities(self) -> Iterable[int]:
        return [a for a, t in self.tables.items() if t.live]

    def ask(self, args: list) -> Iterable:
        t = self.tables.get(len(args))
        return t.ask(args) if t is not None else _NOTHING

    def asker(self, arity: int):
        """A function ``args -> alternatives`` for goals of this arity (what the router calls).
        It reads the table afresh each time: :meth:`compact` may replace it."""
        if arity not in self.tables:
            return None
        tables = self.tables

        def ask(args):
            return tables[arity].ask(args)
        return ask

    def tell(self, statements: list[tuple]) -> None:
        for s in statements:
            self.table(len(s)).append(s)

    def tell_entry(self, entry: Any) -> tuple:
        """Add one statement or clause; return the token :meth:`untell` takes."""
        t = self.table(len(entry) if type(entry) is tuple else len(entry.head))
        return t.arity, t.append(entry), t.serial

    def _current(self, token) -> tuple[Table | None, int]:
        """The table and row an undo token names, or (None, -1) if the table was compacted."""
        arity, r, serial = token
        t = self.tables.get(arity)
        return (t, r) if t is not None and t.serial == serial else (None, -1)

    def untell(self, token: tuple) -> None:
        """Undo :meth:`tell_entry` (undos run newest first)."""
        t, r = self._current(token)
        if t is not None:
            t.drop_last(r)

    def retract(self, args: tuple, matches) -> bool:
        return self.retract_entry(args, matches) is not None

    def retract_entry(self, args: tuple, matches) -> tuple[Any, Any] | None:
        """Remove the first statement that ``matches``; return (token, statement) or None.
        The token (plain data: arity, row, table serial) is what :meth:`restore` takes.
        Calls already enumerating the table still see it (the logical update view)."""
        t = self.tables.get(len(args))
        if t is None:
            return None
        found = t.find(list(args), matches)
        if found is None:
            return None
        r, e = found
        t.kill(r)
        return (t.arity, r, t.serial), e

    def restore(self, token: tuple, entry: Any) -> None:
        """Put a retracted statement back where it was (undo of a retract)."""
        t, r = self._current(token)
        if t is not None:
            t.revive(r)
        else:  # compacted since (never inside a transaction): keep the statement at least
            self.table(token[0]).append(entry)

    def forget(self, entry: Any) -> None:
        """Remove the newest statement equal to ``entry`` (undo of an assert by value)."""
        t = self.tables.get(len(entry) if type(entry) is tuple else len(entry.head))
        if t is None:
            return
        dead = t.dead
        for r in range(t.n - 1, t.first_live - 1, -1):
            if r in dead:
                continue
            e = t.entry(r)
            if e is entry or (type(e) is tuple and type(entry) is tuple and e == entry) \
                    or (type(e) is not tuple and type(entry) is not tuple
                        and show_entry(e.source) == show_entry(entry.source)):
                t.drop_last(r)
                return

    def compact(self) -> bool:
        """Drop retracted rows when they outnumber the live ones; True if a table changed.
        Only between transactions: an undo must find rows where it left them."""
        changed = False
        for arity, t in list(self.tables.items()):
            if len(t.dead) > max(1024, t.live):
                self.tables[arity] = t.compacted()
                changed = True
        return changed

    def count(self) -> int:
        return sum(t.live for t in self.tables.values())

    def entries(self) -> list:
        """Every statement, arity by arity, in written order (for saving)."""
        out = []
        for t in self.tables.values():
            out.extend(t.entries())
        return out

    def index_keys(self, arity: int, pos: int) -> list | None:
        """The keys (:func:`lang.clauses.index_key` values) held at an indexed position, for
        merging several elementals' indexes; None if ``pos`` is not indexed."""
        t = self.tables.get(arity)
        if t is None:
            return []
        ix = t.indexes.get(pos)
        if ix is None or t.cols[pos] is None:
            return None if ix is None else []
        return ix.keys_held(self.atoms)

    def int_index_keys(self, arity: int, pos: int) -> np.ndarray | None:
        """The distinct keys at an indexed position whose column holds 64-bit integers, as an
        array (what a merged route over many large elementals sorts); None otherwise."""
        t = self.tables.get(arity)
        if t is None:
            return np.zeros(0, np.int64)
        ix = t.indexes.get(pos)
        if ix is None:
            return None
        return np.zeros(0, np.int64) if t.cols[pos] is None else ix.int_keys()

    def set_property(self, name: str, value: Any) -> None:
        self.properties[name] = value
        if name == "index":
            self.positions = index_positions(value)
            for t in self.tables.values():
                t.reindex(self.positions)

    def close(self) -> None:
        pass


class RuleElemental(MemoryElemental):
    """Procedural knowledge: prototypes (and any statements written among them).

    Every argument position where some head has a constant or functor is indexed, so a call
    only tries the prototypes whose head could match at its most selective bound argument
    (first-argument indexing, and the best other argument when the first does not decide).
    """

    cls = "rules"
    writable = False

    def _positions(self) -> tuple[int, ...]:
        extra = super()._positions()
        return (0,) + tuple(p for p in extra if p != 0)

    def rebuild_indexes(self) -> None:
        for arity, b in self.buckets.items():
            b.indexes = {}
            for pos in range(arity):
                index = _rule_index(b.entries, pos)
                if index is not None:
                    b.indexes[pos] = index

    def asker(self, arity: int):
        b = self.buckets.get(arity)
        if b is None:
            return None
        return _rule_asker(b)

    def prototypes(self) -> int:
        """How many prototypes (entries with a body or variables) it holds."""
        return sum(1 for b in self.buckets.values() for e in b.entries if type(e) is Clause and e.body)


def snapshot(entries: list):
    """What a call enumerates: the entries as they are now (the logical update view). Lists
    are appended to in place, so a short list is copied and a long one read up to its
    current length."""
    return entries[:] if len(entries) < 64 else islice(entries, len(entries))


def _fact_asker(b: _Bucket):
    """Answer from the smallest bucket of a bound indexed position, else every entry.

    Answers are snapshots (the logical update view, as in ISO Prolog): statements asserted
    or retracted while a call is running do not change what that call enumerates. Lists are
    appended to and deleted from in place, so a bucket is copied (small) or sliced lazily
    up to its current length (everything).
    """
    def ask(args):
        best = None
        for pos, index in b.indexes.items():
            if index is None:
                continue
            x = args[pos]
            while type(x) is Var:
                r = x.ref
                if r is None:
                    break
                x = r
            if type(x) is Var:
                continue
            found = index.get(index_key(x), _NOTHING)
            if best is None or len(found) < len(best):
                best = found
                if not found:
                    break
        return snapshot(b.entries if best is None else best)
    return ask


def _rule_asker(b: _Bucket):
    """The prototypes whose head could match: the candidates of the indexed position that
    leaves fewest (the first argument first; one candidate or none ends the search)."""
    def ask(args):
        indexes = b.indexes
        best = None
        index = indexes.get(0)
        if index is not None:  # the first argument: decides most calls on its own
            x = args[0]
            while type(x) is Var:
                r = x.ref
                if r is None:
                    break
                x = r
            tx = type(x)
            if tx is not Var:
                if tx is Cons:
                    best = index.get(_CONS_KEY)
                else:
                    best = index.get(x if (tx is int or tx is str or tx is Symbol) else index_key(x))
                if best is None:
                    best = index[_WILD]
                if len(best) < 2 or len(indexes) == 1:
                    return best
            elif len(indexes) == 1:
                return b.entries
        for pos, index in indexes.items():
            if pos == 0:
                continue
            x = args[pos]
            while type(x) is Var:
                r = x.ref
                if r is None:
                    break
                x = r
            tx = type(x)
            if tx is Var:
                continue
            if tx is Cons:
                found = index.get(_CONS_KEY)
            else:
                found = index.get(x if (tx is int or tx is str or tx is Symbol) else index_key(x))
            if found is None:
                found = index[_WILD]
            if len(found) < 2:
                return found
            if best is None or len(found) < len(best):
                best = found
        return b.entries if best is None else best
    return ask


def _rule_index(entries: list, pos: int) -> dict | None:
    """Index where entries with a variable at ``pos`` appear in every bucket, in order."""
    keys: list = []
    seen = set()
    for e in entries:
        k = _entry_key(e, pos)
        if k is not None and k not in seen:
            seen.add(k)
            keys.append(k)
    if not keys:
        return None
    index: dict = {k: [] for k in keys}
    wild: list = []
    for e in entries:
        k = _entry_key(e, pos)
        if k is None:
            wild.append(e)
            for lst in index.values():
                lst.append(e)
        else:
            index[k].append(e)
    index[_WILD] = wild
    return index


_WILD = object()  # the index key whose bucket holds the entries with a variable there


def _arity(entry: Any) -> int:
    return len(entry) if type(entry) is tuple else len(entry.head)
