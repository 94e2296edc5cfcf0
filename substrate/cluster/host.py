"""The inside of a Ray actor hosting elementals: :class:`Host`.

A host is a plain class (Ray wraps it in :mod:`substrate.cluster.cluster`, so this module
never imports ray). It owns a private :class:`~substrate.Substrate` holding the elementals
placed on it, keyed by GUID, and answers the proxies' messages: build, ask (a page of
alternatives at a time), tell, retract, set a property, count, entries, close.

Answers cross the process boundary as :mod:`substrate.codec` blobs (msgpack, flat, so a
10**6-element list never meets a recursion limit). Only alternatives that unify with the
goal are sent: the filtering runs here, next to the data, on the host's own core.
"""
from __future__ import annotations

import os
from typing import Any

from lang.solver import Machine
from lang.terms import Compound, Symbol, Var

from .wire import decode_entries, decode_goal, encode_entries, head_args

__all__ = ["Host", "PAGE"]

PAGE = 4096          # alternatives per message: a scan streams in pages, prefetched
_MAX_CURSORS = 256   # open scans kept per host; the oldest is dropped beyond that


class Host:
    """Elementals of one Ray actor, with the message handlers their proxies call."""

    def __init__(self, slot: int) -> None:
        from ..substrate import Substrate
        self.slot = slot
        self.sub = Substrate(workers=1)
        self.machine = Machine(self.sub, None)
        self.cursors: dict[int, Any] = {}
        self.next_cursor = 0

    # -- where and what ------------------------------------------------------------------------
    def where(self) -> dict:
        """The node and process this host runs in (for /list and fault messages)."""
        try:
            import ray
            ctx = ray.get_runtime_context()
            node = ctx.get_node_id()
            ip = ray.util.get_node_ip_address()
        except Exception:  # not inside Ray (the host used in-process by tests)
            node, ip = "local", "127.0.0.1"
        return {"slot": self.slot, "node": node, "ip": ip, "pid": os.getpid()}

    def _info(self, e) -> tuple:
        ar = e.arities()
        return (None if ar is None else sorted(ar), e.count())

    def info(self, guid: str) -> tuple:
        """(arities or None, count) of one elemental."""
        return self._info(self.sub.elementals[guid])

    # -- building ------------------------------------------------------------------------------
    def build(self, guid: str, label: str, props: dict, blob: bytes, special: list,
              procedural: bool = False) -> tuple:
        """Make an elemental from a compiled definition (a store opens its path on this node)."""
        from ..loader import CompiledDefinition, build_elemental
        cd = CompiledDefinition(label, props, decode_entries(blob, special), procedural, None)
        e = build_elemental(cd)
        e.guid = guid
        self.sub.add(e)
        return self._info(e)

    # -- asking --------------------------------------------------------------------------------
    def ask(self, guid: str, goal: bytes, page: int = PAGE) -> tuple:
        """The first page of alternatives for a goal: (blob, clauses, cursor or None)."""
        return self._page(self._matching(guid, decode_goal(goal)), page)

    def ask_many(self, guids: list, goal: bytes, page: int = PAGE) -> list:
        """:meth:`ask` for several elementals of one goal: one message per host, not per elemental."""
        args = decode_goal(goal)
        return [self._page(self._matching(g, args), page) for g in guids]

    def more(self, cursor: int, page: int = PAGE) -> tuple:
        """The next page of an open scan."""
        it = self.cursors.pop(cursor, None)
        if it is None:
            return encode_entries([]) + (None,)
        return self._page(it, page, cursor)

    def cancel(self, cursor: int) -> None:
        """Forget an open scan (the solver stopped consuming it: a cut, a first solution)."""
        it = self.cursors.pop(cursor, None)
        if it is not None and hasattr(it, "close"):
            it.close()

    def _matching(self, guid: str, args: list):
        e = self.sub.elementals[guid]
        asker = e.asker(len(args)) if hasattr(e, "asker") else e.ask
        found = asker(args) if asker is not None else None
        if not found:
            return iter(())
        if all(type(a) is Var for a in args) and len({id(a) for a in args}) == len(args):
            return iter(found)  # nothing bound: every alternative matches
        return self._filter(found, args)

    def _filter(self, found, args: list):
        m = self.machine
        unify = m.unify
        for alt in found:
            mark = m.mark()
            if type(alt) is tuple:
                ok = all(unify(x, y) for x, y in zip(args, alt))
            else:
                ok = m.match(alt, args) is not None
            m.undo(mark)
            if ok:
                yield alt

    def _page(self, it, page: int, cursor: int | None = None) -> tuple:
        out = []
        append = out.append
        for alt in it:
            append(alt)
            if len(out) >= page:
                break
        else:
            return encode_entries(out) + (None,)
        if cursor is None:
            cursor = self.next_cursor
            self.next_cursor += 1
        self.cursors[cursor] = it
        while len(self.cursors) > _MAX_CURSORS:
            self.cancel(next(iter(self.cursors)))
        return encode_entries(out) + (cursor,)

    # -- changing ------------------------------------------------------------------------------
    def tell(self, guid: str, blob: bytes, special: list) -> tuple:
        """Store entries (ground statements, or Clauses given by their source text)."""
        from ..substrate import _tell_any
        e = self.sub.elementals[guid]
        entries = decode_entries(blob, special)
        if not special:
            e.tell(entries)
        else:
            for x in entries:
                if type(x) is tuple:
                    e.tell([x])
                else:
                    _tell_any(e, x)
        return self._info(e)

    def retract(self, guid: str, goal: bytes) -> tuple | None:
        """Remove the first entry unifying with the goal: (position or None, entry blob,
        clauses, info), or None when nothing matched."""
        args = tuple(decode_goal(goal))
        e = self.sub.elementals[guid]
        m = self.machine
        term = Compound("s", args) if args else Symbol("s")

        def matches(entry) -> bool:
            got = head_args(entry)
            return m.unifiable(term, Compound("s", got) if got else Symbol("s"))

        if hasattr(e, "retract_entry"):
            found = e.retract_entry(args, matches)
            if found is None:
                return None
            pos, entry = found
            return (pos,) + encode_entries([entry]) + (self._info(e),)
        removed = e.retract(args, matches)
        if removed is None or removed is False:
            return None
        stmt = removed if type(removed) is tuple else args
        return (None,) + encode_entries([stmt]) + (self._info(e),)

    def restore(self, guid: str, pos: int, blob: bytes, special: list) -> tuple:
        """Put a retracted entry back where it was (undo of a retract)."""
        e = self.sub.elementals[guid]
        (entry,) = decode_entries(blob, special)
        e.restore(pos, entry)
        return self._info(e)

    def forget(self, guid: str, blob: bytes, special: list) -> tuple:
        """Remove the newest entry equal to the given one (undo of an assert)."""
        e = self.sub.elementals[guid]
        (entry,) = decode_entries(blob, special)
        key = encode_entries([entry])
        for b in e.buckets.values():
            for i in range(len(b.entries) - 1, -1, -1):
                x = b.entries[i]
                if x is entry or encode_entries([x]) == key:
                    e.forget(x)
                    return self._info(e)
        return self._info(e)

    def set_property(self, guid: str, name: str, value: Any) -> tuple:
        e = self.sub.elementals[guid]
        e.set_property(name, value)
        return self._info(e)

    def entries(self, guid: str) -> tuple:
        """Every entry of one elemental, in written order: (blob, clauses)."""
        return encode_entries(list(self.sub.elementals[guid].entries()))

    def prototypes(self, guid: str) -> int:
        e = self.sub.elementals[guid]
        return e.prototypes() if hasattr(e, "prototypes") else 0

    def flush(self, guid: str) -> None:
        e = self.sub.elementals.get(guid)
        if e is not None and hasattr(e, "flush"):
            e.flush()

    def optimize(self, guid: str) -> None:
        self.sub.elementals[guid].optimize()

    def close(self, guid: str) -> None:
        """Drop one elemental (a store's data stays on disk)."""
        e = self.sub.elementals.pop(guid, None)
        self.sub.changed()
        if e is not None:
            e.close()

    def holds(self) -> list:
        """GUIDs of the elementals placed here."""
        return list(self.sub.elementals)

    def open_scans(self) -> int:
        """How many scans are open (paged, not finished nor cancelled)."""
        return len(self.cursors)

    def ping(self) -> int:
        return self.slot
