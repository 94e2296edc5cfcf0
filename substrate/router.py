"""Routing: the function that answers ``#label(args)`` goals of one arity.

The elementals holding a label/arity are taken in creation order and cut into runs: each run
of consecutive fact elementals is answered through their indexes merged into one
(:class:`MergedFacts`), every other elemental (rules, stores, tomes) by its own asker. One
part is the route itself; several in-memory parts are asked in turn and their answers
concatenated; parts that include a store or tome are asked lazily, in order.

A route is built from the elementals of its own label only, and grows in place when a fact
elemental is installed after it (:meth:`MergedFacts.add`), so the cost of a query or an
installation never depends on how many elementals other labels have.
"""
from __future__ import annotations

from array import array
from bisect import insort
from itertools import chain
from typing import Any

import numpy as np

from lang.clauses import index_key
from lang.terms import Var

from .elemental import FactElemental, MemoryElemental
from .facts import INT, PosIndex

__all__ = ["MergedFacts", "IntKeyMap", "make_route", "MERGE_MAX", "SORTED_MIN"]

MERGE_MAX = 4_000_000  # a merged dict over more rows than this is not built: each is asked
SORTED_MIN = 50_000   # from this many keys, integer keys are merged into sorted arrays


class IntKeyMap:
    """key -> the ordinals of the elementals holding it (ascending), for the integer keys of
    many large fact elementals: the distinct (key, ordinal) pairs sorted into two arrays and
    searched like a :class:`~substrate.facts.PosIndex` base (12 bytes a key, where a dict of
    lists costs over 100), plus a dict of keys filed later. Ten million keys over a hundred
    CSV bundles fit in 120 MB and are found with one short bisect."""

    __slots__ = ("base", "delta", "size")

    def __init__(self, parts: list) -> None:
        keys = np.concatenate([k for _, k in parts]) if parts else np.zeros(0, np.int64)
        ords = np.concatenate([np.full(len(k), j, np.int32) for j, k in parts]) if parts \
            else np.zeros(0, np.int32)
        order = np.lexsort((ords, keys))
        keys, ords = keys[order], ords[order]
        self.base = PosIndex(0)           # its "rows" are elemental ordinals
        self.base.kind = INT
        ka, oa = array("q"), array("i")
        ka.frombytes(keys.tobytes())
        oa.frombytes(ords.tobytes())
        self.base.set_base(ka, oa, len(ka))
        self.delta: dict = {}
        self.size = len(ka)

    def get(self, key, default=()):
        got = self.base.base_rows(key) if type(key) is int else []
        more = self.delta.get(key)
        if more:
            got = sorted(set(got).union(more)) if got else more
        return got or default

    def file(self, key, j: int) -> None:
        """Note that elemental ``j`` holds ``key`` (a later statement or elemental)."""
        lst = self.delta.get(key)
        if lst is None:
            self.delta[key] = [j]
        elif j not in lst:
            insort(lst, j)


class MergedFacts:
    """The route of a run of fact elementals: which of them hold each key, per position.

    A goal with a bound indexed argument asks only the elementals that hold its key (one
    dict lookup, then each such elemental's own index), so 22 or 20,000 bundles of one
    label answer like one elemental. Keys may outlive retracted statements (an elemental
    asked for nothing answers nothing). Built per position on first use; kept up to date
    by :meth:`add` (a new elemental) and :meth:`appended` (a new statement).
    """

    __slots__ = ("els", "arity", "askers", "ordinal", "positions", "merged", "always")

    def __init__(self, els: list, arity: int) -> None:
        self.els: list = []
        self.arity = arity
        self.askers: list = []
        self.ordinal: dict[str, int] = {}
        common = None
        for e in els:
            ps = {p for p in e.positions if p < arity}
            common = ps if common is None else common & ps
        self.positions = sorted(common or ())
        self.merged: dict[int, dict | None] = {}
        self.always: list[int] = []   # elementals holding clauses: asked for every key
        for e in els:
            self.add(e)

    def add(self, e: FactElemental) -> None:
        """Take in an elemental installed after the others."""
        j = len(self.els)
        self.els.append(e)
        self.askers.append(e.asker(self.arity))
        self.ordinal[e.guid] = j
        self.positions = [p for p in self.positions if p in e.positions]
        t = e.tables.get(self.arity)
        if t is not None and t.wild:
            self.always.append(j)
        for pos in list(self.merged):
            if pos not in self.positions:
                del self.merged[pos]
                continue
            index = self.merged[pos]
            if index is None:
                continue
            keys = e.index_keys(self.arity, pos)
            if keys is None:
                self.merged[pos] = None
                continue
            if type(index) is IntKeyMap:
                if len(index.delta) + len(keys) > index.size:
                    del self.merged[pos]          # outgrown: sorted again on the next query
                    continue
                for k in keys:
                    index.file(k, j)
                continue
            _file_keys(index, keys, j)

    def appended(self, e: FactElemental, entry) -> None:
        """Note a statement just added to elemental ``e`` of this run."""
        j = self.ordinal.get(e.guid)
        if j is None:
            return
        if type(entry) is not tuple:
            if j not in self.always:
                insort(self.always, j)
            return
        for pos, index in self.merged.items():
            if index is None:
                continue
            k = index_key(entry[pos])
            if type(index) is IntKeyMap:
                index.file(k, j)
                continue
            lst = index.get(k)
            if lst is None:
                index[k] = [j]
            elif lst[-1] != j:
                if j not in lst:
                    insort(lst, j)

    def build(self, pos: int) -> Any:
        """The merged index of ``pos``: sorted arrays for many integer keys, else a dict
        (None when too large to be worth it)."""
        total = sum(e.count() for e in self.els)
        if total >= SORTED_MIN:
            parts = []
            for j, e in enumerate(self.els):
                keys = e.int_index_keys(self.arity, pos)
                if keys is None:
                    break
                parts.append((j, keys))
            else:
                index = self.merged[pos] = IntKeyMap(parts)
                return index
        if total > MERGE_MAX:
            self.merged[pos] = None
            return None
        index: dict = {}
        for j, e in enumerate(self.els):
            keys = e.index_keys(self.arity, pos)
            if keys is None:
                index = None
                break
            _file_keys(index, keys, j)
        self.merged[pos] = index
        return index

    def __call__(self, args: list):
        askers = self.askers
        for pos in self.positions:
            x = args[pos]
            while type(x) is Var:
                r = x.ref
                if r is None:
                    break
                x = r
            if type(x) is Var:
                continue
            index = self.merged.get(pos, False)
            if index is False:
                index = self.build(pos)
            if index is None:
                break
            js = index.get(index_key(x), ())
            if self.always:
                js = sorted(set(js).union(self.always))
            if len(js) == 1:
                return askers[js[0]](args)
            out: list = []
            for j in js:
                found = askers[j](args)
                if found:
                    out += found
            return out
        return chain.from_iterable([a(args) for a in askers])


def _file_keys(index: dict, keys, j: int) -> None:
    """File elemental ``j`` (the newest so far) under each of ``keys`` in a merged dict."""
    for k in keys:
        lst = index.get(k)
        if lst is None:
            index[k] = [j]
        elif lst[-1] != j:
            lst.append(j)


def make_route(els: list, arity: int):
    """The function answering ``label/arity`` goals from these elementals, in order, and
    the MergedFacts among its parts (which the substrate keeps up to date)."""
    if any(getattr(e, "remote", False) for e in els):  # hosted on Ray (substrate/cluster/)
        from .cluster.remote import remote_route
        return remote_route(els, arity), []
    parts: list = []
    merges: list = []
    run: list = []

    def flush() -> None:
        if len(run) == 1:
            parts.append(run[0].asker(arity))
        elif run:
            m = MergedFacts(run, arity)
            merges.append(m)
            parts.append(m)
        run.clear()

    for e in els:
        if type(e) is FactElemental:
            run.append(e)
            continue
        flush()
        parts.append(e.asker(arity) if hasattr(e, "asker") else e.ask)
    flush()
    if len(parts) == 1:
        return parts[0], merges
    if all(type(e) is FactElemental or isinstance(e, MemoryElemental) for e in els):
        return _gather(parts), merges
    return _fan_out(parts), merges


def _gather(askers: list):
    """Ask in-memory elementals in turn and concatenate: their answers are lists already,
    and one C-level ``extend`` per elemental beats a generator step per alternative."""
    def ask(args):
        out = []
        for asker in askers:
            found = asker(args)
            if found:
                out += found
        return out
    return ask


def _fan_out(askers: list):
    """Ask several elementals in turn (creation order), lazily."""
    def ask(args):
        for asker in askers:
            yield from asker(args)
    return ask
