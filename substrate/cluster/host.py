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
        self.replicas: dict[str, Any] = {}   # copies of what rules run here need (near.py)
        self.copies = Substrate(workers=1)

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
              procedural: bool = False, where: Any = None) -> tuple:
        """Make an elemental from a compiled definition (a store opens its path on this node)."""
        from ..loader import CompiledDefinition, build_elemental
        cd = CompiledDefinition(label, props, decode_entries(blob, special), procedural, where)
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
            mark = m.mark()  # every binding trailed until undone
            if type(alt) is tuple:
                ok = True
                for x, y in zip(args, alt):
                    if not unify(x, y):
                        ok = False
                        break
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
        e.forget(entry)
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

    def begin_line(self) -> None:
        """A console line of the substrate writes to a store here: journal it (see end_line)."""
        if not self.sub.in_transaction():
            self.sub.begin()

    def end_line(self, ok: bool) -> None:
        """The line finished: keep its store writes, or undo them (a failing line)."""
        if self.sub.in_transaction():
            self.sub.commit() if ok else self.sub.rollback()

    def discard(self, guid: str) -> None:
        """Undo an elemental's creation (its line or file failed): a new store is removed."""
        e = self.sub.elementals.pop(guid, None)
        self.sub.changed()
        if e is not None:
            getattr(e, "discard", e.close)()

    def holds(self) -> list:
        """GUIDs of the elementals placed here."""
        return list(self.sub.elementals)

    # -- running rules near the data (near.py) --------------------------------------------------
    def mirror(self, order: list, items: list) -> None:
        """Update the copies of the elementals that rules run here need: ``items`` are object
        refs of (guid, label, props, blob, clauses, rule entries or None); ``order`` is every copy's GUID
        in creation order (copies not listed are dropped)."""
        import ray
        from ..loader import CompiledDefinition, build_elemental
        for guid, label, props, blob, special, rules in (ray.get(items) if items else ()):
            old = self.replicas.pop(guid, None)
            if old is not None:
                old.close()
            entries = rules if rules is not None else decode_entries(blob, special)
            e = build_elemental(CompiledDefinition(label, props, entries, rules is not None, None))
            e.guid = guid
            self.replicas[guid] = e
        for guid in [g for g in self.replicas if g not in set(order)]:
            self.replicas.pop(guid).close()
        self.copies.elementals = {g: self.replicas[g] for g in order if g in self.replicas}
        self.copies.changed()

    def near(self, label: str, goal: bytes, guids: list, ttl: float) -> dict:
        """Run ``#label(goal)`` once per prototype and per shard (one of ``guids``, hosted
        here): ({(prototype index, guid): answers} (see wire.encode_answers), CPU seconds)."""
        import time
        cpu = time.process_time()
        from lang.clauses import Clause
        from lang.terms import resolve
        from .wire import encode_answers
        args0 = decode_goal(goal)
        protos = [x for e in self.copies.with_label(label) if e.cls == "rules"
                  for x in e.entries() if type(x) is Clause and len(x.head) == len(args0)]
        view = _Shard(self.copies)
        out = {}
        for i, proto in enumerate(protos):
            for g in guids:
                view.use(self.sub.elementals[g])
                args = decode_goal(goal)
                m = Machine(view, ttl)
                rows, truths = [], []
                for truth in m.solve((), [], first=(args, [proto])):
                    rows.append(tuple(resolve(a) for a in args))
                    truths.append(truth)
                out[(i, g)] = encode_answers(rows, truths)
        return out, time.process_time() - cpu

    def open_scans(self) -> int:
        """How many scans are open (paged, not finished nor cancelled)."""
        return len(self.cursors)

    def ping(self) -> int:
        return self.slot


class _Shard:
    """The knowledge a rule sees on a host: one shard of the walked label, copies of the rest.

    Implements the solver's Knowledge interface; what near.py checked away (changing
    knowledge, printing) is refused here too, should it be reached anyway."""

    def __init__(self, mirror) -> None:
        self.mirror = mirror
        self.shard = None
        self.near = ""
        self.epoch = 0

    def use(self, shard) -> None:
        """Answer the walked label from ``shard`` from now on."""
        self.shard = shard
        self.near = shard.label
        self.epoch += 1

    @property
    def generation(self) -> tuple:  # the solver's call-site caches check it
        return (self.mirror.generation, self.epoch)

    def asker(self, label: str, arity: int):
        if label == self.near:
            return self.shard.asker(arity)
        return self.mirror.asker(label, arity)

    def ask(self, label: str, args: list):
        asker = self.asker(label, len(args))
        return asker(args) if asker is not None else None

    def _refuse(self, what: str):
        from lang.errors import EvaluationError
        raise EvaluationError(f"{what} is not available to a rule running near the data")

    def assert_statement(self, label, args):
        self._refuse("assert")

    def retract_statement(self, label, args):
        self._refuse("retract")

    def bundle_statement(self, label, args, n):
        self._refuse("bundle")

    def declare_statement(self, label, args):
        self._refuse("declare")

    def elemental_ids(self, label):
        self._refuse("sub.elementals")

    def emit(self, text):
        self._refuse("console output")

    def exec_line(self, line):
        self._refuse("console.exec")
