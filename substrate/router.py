"""Routing: the function that answers ``#label(args)`` goals of one arity.

A label held by one elemental is answered by that elemental's asker; by several fact
elementals, through their indexes merged into one (:class:`MergedFacts`); by several
in-memory elementals, by concatenating their answers; otherwise (stores, tomes) by asking
each in creation order, lazily.
"""
from __future__ import annotations

from lang.clauses import index_key
from lang.terms import Var

from .elemental import FactElemental, MemoryElemental, index_add, snapshot

__all__ = ["MergedFacts", "make_route"]


class MergedFacts:
    """The route of a label held by several fact elementals: their indexes merged into one.

    A goal with a bound indexed argument costs one dict lookup instead of one per elemental
    (the spec's fan-out bar: 22 elementals within 2x of one). Built lazily on first use;
    the substrate drops it (by rebuilding routes) whenever the elementals change, except
    for statements appended to the newest one, which :meth:`appended` adds in place.
    """

    __slots__ = ("els", "arity", "last", "positions", "merged", "everything")

    def __init__(self, els: list, arity: int) -> None:
        self.els = els
        self.arity = arity
        self.last = els[-1]
        common = None
        for e in els:
            ps = {p for p in e.positions if p < arity}
            common = ps if common is None else common & ps
        self.positions = sorted(common or ())
        self.merged: dict[int, dict] | None = None
        self.everything: list | None = None

    def _build(self) -> None:
        self.everything = [x for e in self.els for x in e.buckets[self.arity].entries]
        merged = {}
        for pos in self.positions:
            index: dict = {}
            for e in self.els:
                part = e.buckets[self.arity].indexes.get(pos)
                if part is None:
                    break
                for k, lst in part.items():
                    have = index.get(k)
                    if have is None:
                        index[k] = list(lst)
                    else:
                        have.extend(lst)
            else:
                merged[pos] = index
        self.merged = merged

    def appended(self, entry: tuple) -> None:
        """Add a statement just appended to the newest elemental."""
        if self.merged is None:
            return
        self.everything.append(entry)
        for pos, index in self.merged.items():
            index_add(index, entry, pos)

    def __call__(self, args: list):
        if self.merged is None:
            self._build()
        for pos, index in self.merged.items():
            x = args[pos]
            while type(x) is Var:
                r = x.ref
                if r is None:
                    break
                x = r
            if type(x) is not Var:
                return snapshot(index.get(index_key(x), ()))
        return snapshot(self.everything)


def make_route(els: list, arity: int):
    """The function answering ``label/arity`` goals from these elementals, in order."""
    if any(getattr(e, "remote", False) for e in els):  # hosted on Ray (substrate/cluster/)
        from .cluster.remote import remote_route
        return remote_route(els, arity)
    askers = [e.asker(arity) if hasattr(e, "asker") else e.ask for e in els]
    if len(askers) == 1:
        return askers[0]
    if all(type(e) is FactElemental for e in els):
        return MergedFacts(els, arity)
    if all(isinstance(e, MemoryElemental) for e in els):
        return _gather(askers)
    return _fan_out(askers)


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
