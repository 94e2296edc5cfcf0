"""The proxy of an elemental hosted on a Ray actor, and the route that fans goals out to them.

:class:`RemoteElemental` implements the same message-shaped interface as an in-process
elemental (SPEC §5: ask → alternatives, tell, retract, properties, count), so the solver and
the router do not know where an elemental lives. Each message is one actor call; a goal's
alternatives come back filtered (only those that unify) and in pages of
:data:`~substrate.cluster.host.PAGE`, the next page requested before the current one is
consumed. :func:`remote_route` sends a goal to every host holding the label's elementals at
once (one message per host) and yields the answers in creation order, as in-process.

A host that died turns every use of its elementals into a :class:`ClusterError` naming
them; nothing else in the knowledge base is affected.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from lang.errors import SeltzerError
from lang.terms import Symbol

from .cluster import ClusterError
from .wire import decode_entries, encode_entries, encode_goal

__all__ = ["RemoteElemental", "remote_route", "is_remote"]


def is_remote(e: Any) -> bool:
    """True for an elemental hosted on a Ray actor."""
    return type(e) is RemoteElemental


class RemoteElemental:
    """A fact or store elemental living in a host actor; this object is its stand-in."""

    remote = True
    writable = True

    def __init__(self, cluster, host, guid: str, label: str, properties: dict) -> None:
        self.cluster = cluster
        self.host = host
        self.actor = host.actor              # the actor it was placed on (a replacement is another)
        self.place = host.describe()
        self.guid = guid
        self.label = label
        self.properties = dict(properties)
        cls = properties.get("class")
        self.cls = cls.name if type(cls) is Symbol else "facts"
        self._arities: list | None = []
        self._count = 0
        self._pending = None                 # the build call, until ready() collects it
        self._dirty = False                  # told statements a store may still buffer
        self.closed = False
        self.version = 0                     # bumped on every change (near.py refreshes copies)
        self.sub = None                      # the substrate it is installed in (its lines' journal)
        self._enlisted = False

    @classmethod
    def pending(cls, cluster, host, guid, label, properties, ref) -> "RemoteElemental":
        """A proxy whose elemental is still being built (collected by :meth:`ready`)."""
        e = cls(cluster, host, guid, label, properties)
        e._pending = ref
        return e

    def ready(self) -> "RemoteElemental":
        """Wait for the build; raise its error (e.g. a store path that cannot be opened)."""
        if self._pending is not None:
            ref, self._pending = self._pending, None
            self._info(self.call(ref))
        return self

    def _info(self, info) -> None:
        ar, self._count = info
        self._arities = None if ar is None else list(ar)

    # -- calling the host ------------------------------------------------------------------------
    def call(self, ref) -> Any:
        """The result of an actor call, with Ray's failures turned into project errors."""
        ray = self.cluster.ray
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as err:
            cause = getattr(err, "cause", None)
            if isinstance(cause, SeltzerError):
                raise cause from None
            raise ClusterError(f"{self.label} elemental {self.guid} on {self.place} failed: "
                               f"{type(cause).__name__ if cause else 'error'}: {cause}") from None
        except (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError):
            self.gone()
            raise self.gone_error() from None

    @property
    def dead(self) -> bool:
        """True once this elemental's actor is known to have died (or it was closed)."""
        return self.closed or id(self.actor) in self.cluster.dead

    def gone(self) -> None:
        """Mark this elemental's actor dead (every elemental placed on it fails from now on)."""
        self.cluster.dead.add(id(self.actor))
        if self.host.actor is self.actor:
            self.host.dead = True

    def gone_error(self) -> ClusterError:
        how = ("reopen its store with /host(" + self.label + ", ray)" if self.cls == "store"
               else "/drop(" + self.label + ") and /load a .kbz snapshot saved earlier")
        return ClusterError(f"elemental {self.guid} of {self.label} is unavailable: its host "
                            f"{self.place} died; {how}")

    def _ensure(self) -> None:
        if self._pending is not None:
            self.ready()
        if self.dead:
            raise self.gone_error()

    def attach(self, sub) -> None:
        """Called when installed: a store's writes join the substrate's console lines."""
        self.sub = sub

    def _enlist(self) -> None:
        """A store's writes belong to the running console line: the host journals them, and
        the line's commit or failure is passed on (in order: the host runs calls in turn)."""
        sub = self.sub
        if self.cls != "store" or sub is None or self._enlisted or not sub.in_transaction():
            return
        self._enlisted = True
        self.actor.begin_line.remote()
        sub.journal(lambda: self._end(False))
        sub.on_commit(lambda: self._end(True))

    def _end(self, ok: bool) -> None:
        self._enlisted = False
        if self.dead:
            return
        if ok:
            self.actor.end_line.remote(True)
        else:
            self.call(self.actor.end_line.remote(False))

    def discard(self) -> None:
        """Undo this elemental's creation (its line or file failed): a new store is removed."""
        if self.dead:
            return
        self.closed = True
        try:
            self._pending = None
            self.call(self.actor.discard.remote(self.guid))
        except SeltzerError:
            pass

    # -- the elemental interface -----------------------------------------------------------------
    def arities(self) -> Iterable[int] | None:
        if self._pending is not None:
            self.ready()
        return self._arities

    def asker(self, arity: int):
        return self.ask

    def ask(self, args: list) -> Iterator:
        """Alternatives for a goal: one call now, pages read ahead as they are consumed."""
        self._ensure()
        ref = self.actor.ask.remote(self.guid, encode_goal(args))
        return self.pages(ref)

    def start(self, goal: bytes):
        self._ensure()
        return self.actor.ask.remote(self.guid, goal)

    def pages(self, ref, first: tuple | None = None) -> Iterator:
        """Yield the alternatives of a first page (``ref`` or ``first``) and the pages after it."""
        page = self.call(ref) if first is None else first
        cursor = None
        try:
            while True:
                blob, special, cursor = page
                nxt = self.actor.more.remote(cursor) if cursor is not None else None
                yield from decode_entries(blob, special)
                if nxt is None:
                    cursor = None
                    return
                page = self.call(nxt)
        finally:
            if cursor is not None and not self.dead:
                self.actor.cancel.remote(cursor)

    def tell(self, statements: list) -> None:
        self._ensure()
        self._enlist()
        blob, special = encode_entries(list(statements))
        self._info(self.call(self.actor.tell.remote(self.guid, blob, special)))
        self.version += 1
        self._dirty = True

    def retract_entry(self, args: tuple, matches=None) -> tuple | None:
        """Remove the first entry unifying with ``args`` (decided on the host); (position, entry)."""
        self._ensure()
        self._enlist()
        got = self.call(self.actor.retract.remote(self.guid, encode_goal(args)))
        if got is None:
            return None
        pos, blob, special, info = got
        self._info(info)
        self.version += 1
        (entry,) = decode_entries(blob, special)
        return pos, entry

    def retract(self, args: tuple, matches=None):
        found = self.retract_entry(args, matches)
        return None if found is None else found[1]

    def restore(self, pos: int | None, entry: Any) -> None:
        """Undo of a retract (a store's deletes are committed: nothing to undo)."""
        if pos is None or self.dead:
            return
        blob, special = encode_entries([entry])
        self._info(self.call(self.actor.restore.remote(self.guid, pos, blob, special)))
        self.version += 1

    def forget(self, entry: Any) -> None:
        """Undo of an assert (a store's are undone by its host's line journal, see _enlist)."""
        if self.dead or self.cls != "facts":
            return
        blob, special = encode_entries([entry])
        self._info(self.call(self.actor.forget.remote(self.guid, blob, special)))
        self.version += 1

    def count(self) -> int:
        if self._pending is not None:
            self.ready()
        return self._count

    def prototypes(self) -> int:
        return 0

    def entries(self) -> list:
        """Every entry in written order (a store's data stays on its node: none)."""
        self._ensure()
        if self.cls != "facts":
            return []
        return decode_entries(*self.call(self.actor.entries.remote(self.guid)))

    def set_property(self, name: str, value: Any) -> None:
        self._ensure()
        self._info(self.call(self.actor.set_property.remote(self.guid, name, value)))
        self.version += 1
        self.properties[name] = value

    def flush(self) -> None:
        """A store writes what it buffered (sent without waiting: the host runs calls in order)."""
        if self._dirty and not self.dead and self.cls == "store":
            self._dirty = False
            self.actor.flush.remote(self.guid)

    def optimize(self) -> None:
        self._ensure()
        self.call(self.actor.optimize.remote(self.guid))

    def close(self) -> None:
        """Drop the elemental from its host (a store's data stays on disk)."""
        if self.dead:
            return
        self.closed = True
        try:
            if self._pending is not None:
                self._pending = None
            self.actor.close.remote(self.guid)
        except Exception:  # Ray already shut down
            pass

    @property
    def where(self) -> str:
        return self.place + (" (dead)" if self.dead and not self.closed else "")

    def __repr__(self) -> str:
        return f"RemoteElemental({self.label!r}, {self.guid}, {self.place})"


def remote_route(els: list, arity: int):
    """The route of a label whose elementals are (partly) remote: one message per host, all
    sent at once, answers consumed in creation order."""
    if len(els) == 1:
        return els[0].ask
    askers = [None if is_remote(e) else (e.asker(arity) if hasattr(e, "asker") else e.ask) for e in els]
    groups: dict[int, tuple] = {}
    for e in els:
        if is_remote(e):
            groups.setdefault(id(e.actor), (e.actor, []))[1].append(e)

    def ask(args):
        goal = encode_goal(args)
        refs = {}
        for key, (actor, group) in groups.items():
            for e in group:
                e._ensure()
            refs[key] = actor.ask_many.remote([e.guid for e in group], goal)
        return _consume(els, askers, refs, groups, args)
    return ask


def _consume(els, askers, refs, groups, args) -> Iterator:
    got: dict[int, dict] = {}
    for e, asker in zip(els, askers):
        if asker is not None:
            found = asker(args)
            if found:
                yield from found
            continue
        key = id(e.actor)
        pages = got.get(key)
        if pages is None:
            group = groups[key][1]
            pages = got[key] = dict(zip([x.guid for x in group], group[0].call(refs.pop(key))))
        yield from e.pages(None, pages.pop(e.guid))
