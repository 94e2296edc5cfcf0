"""Work moves to the data: a rule run on the hosts that hold the shards of the label it walks.

A rule definition with the property ``near = gene`` — every prototype's body starting with a
``#gene(...)`` call — is not run by the solver here: each host holding ``gene`` elementals
runs it over its own shards, all hosts at once, and the answers come back as the rule's
instantiated heads (with their truth), in the order the in-process solver would give them:
prototype by prototype, and within one, shard by shard in creation order.

What the rule needs besides the shards (the rules it calls, the facts they read) is copied to
those hosts once and kept, refreshed when it changes. A rule that changes knowledge (assert,
retract, bundle, declare), prints, draws random numbers, reads the walked label again deeper
down, or cuts across the shards (a ``!`` in its own body, a caret) cannot be split this way:
calling it is an error that says why. With the walked label not hosted on Ray, the rule runs
in-process as usual.
"""
from __future__ import annotations

from typing import Any

from lang.clauses import OP_ALL, OP_CALL, OP_COUNT, OP_CUT, OP_NOT, OP_PRIM, Clause
from lang.errors import EvaluationError, SeltzerError
from lang.terms import Symbol

from .remote import is_remote
from .wire import encode_entries, encode_goal

__all__ = ["NearRoute", "near_route", "UNSPLITTABLE"]

UNSPLITTABLE = frozenset({"assert", "retract", "bundle", "declare", "console.puts", "console.exec",
                          "rand", "sub.elementals", "tome.mean", "tome.rows"})


def near_route(sub, label: str, arity: int, els: list, route):
    """``route``, or a :class:`NearRoute` when the label's rule elementals say ``near = L``."""
    near = None
    for e in els:
        v = e.properties.get("near")
        if v is not None:
            near = v.name if type(v) is Symbol else v if type(v) is str else None
    if near is None or any(e.cls != "rules" for e in els):
        return route
    return NearRoute(sub, label, arity, els, near, route)


def _goals(goals, out: list, nested: bool) -> None:
    """Every goal reachable in ``goals`` (through ~, all, count and any nested goal tuples),
    as (goal, nested) pairs; ``nested`` is True under ~/all/count (a cut there is local)."""
    stack = [(g, nested) for g in reversed(goals)]
    while stack:
        g, inner = stack.pop()
        if isinstance(g, tuple):
            stack.extend((x, inner) for x in reversed(g))
            continue
        out.append((g, inner))
        sub = getattr(g, "sub", None)
        if sub:
            stack.extend((x, inner or g.op in (OP_NOT, OP_ALL, OP_COUNT)) for x in reversed(sub))


class NearRoute:
    """The route of ``label/arity`` when it runs near the shards of ``near``."""

    def __init__(self, sub, label: str, arity: int, els: list, near: str, fallback) -> None:
        self.sub = sub
        self.label = label
        self.arity = arity
        self.els = els
        self.near = near
        self.fallback = fallback
        self.plan: tuple | None = None  # (near arity, closure elementals) once checked
        self.cpu: list[float] = []      # CPU seconds each host spent on the last call

    def _refuse(self, why: str) -> EvaluationError:
        return EvaluationError(f"{self.label} {{ near = {self.near} }} cannot run near the data: {why}")

    def _check(self) -> tuple:
        """Validate the rule and collect what the hosts need: (near arity, elementals to copy)."""
        if self.plan is not None:
            return self.plan
        protos = [x for e in self.els for x in e.entries() if type(x) is Clause and len(x.head) == self.arity]
        near_arity = None
        for p in protos:
            first = p.body[0] if p.body else None
            if first is None or first.op != OP_CALL or first.name != self.near:
                raise self._refuse(f"every prototype must start with #{self.near}(...)")
            if near_arity is not None and len(first.args) != near_arity:
                raise self._refuse(f"its prototypes call #{self.near} with different arities")
            near_arity = len(first.args)
            if p.commit:
                raise self._refuse("a caret commits across the shards")
        seen_labels = {self.label}
        todo = [(p.body, True) for p in protos]
        copy: list = list(self.els)
        while todo:
            body, top = todo.pop()
            found: list = []
            _goals(body, found, False)
            for k, (g, nested) in enumerate(found):
                if g.op == OP_CUT and top and not nested:
                    raise self._refuse("a ! in its body cuts across the shards")
                if g.op == OP_PRIM and g.name in UNSPLITTABLE:
                    raise self._refuse(f"it calls {g.name}")
                if g.op != OP_CALL:
                    continue
                if g.name == self.near:
                    if top and k == 0:
                        continue
                    raise self._refuse(f"#{self.near} is called again below the first goal")
                if g.name in seen_labels:
                    continue
                seen_labels.add(g.name)
                for e in self.sub.with_label(g.name):
                    if e.cls == "tome":
                        raise self._refuse(f"it reads the tome {g.name}")
                    copy.append(e)
                    if e.cls == "rules":
                        todo.extend((x.body, False) for x in e.entries() if type(x) is Clause and x.body)
        order = {g: i for i, g in enumerate(self.sub.elementals)}
        copy.sort(key=lambda e: order.get(e.guid, 0))
        self.plan = (near_arity, copy)
        return self.plan

    def __call__(self, args: list):
        if not self.els or not any(type(x) is Clause for e in self.els for x in e.entries()):
            return self.fallback(args)
        near_arity, copy = self._check()
        shards = self.sub.holders(self.near, near_arity)
        if not shards or not all(is_remote(e) and e.cls == "facts" for e in shards):
            return self.fallback(args)
        cluster = shards[0].cluster
        hosts: dict[int, tuple] = {}
        for e in shards:
            e._ensure()
            hosts.setdefault(id(e.actor), (e, []))[1].append(e.guid)
        _mirror(cluster, [h[0] for h in hosts.values()], copy)
        goal = encode_goal(args)
        ttl = self.sub.ttl
        refs = {k: e.actor.near.remote(self.label, goal, guids, ttl) for k, (e, guids) in hosts.items()}
        parts: dict = {}
        self.cpu = []
        failed = None
        for k, (e, guids) in hosts.items():
            # every host's answer is fetched, even after one failed: Ray logs an error that
            # nobody fetched on stderr
            try:
                got, cpu = e.call(refs[k])
            except SeltzerError as err:
                failed = failed or err
                continue
            parts.update(got)
            self.cpu.append(cpu)
        if failed is not None:
            raise failed
        from .wire import decode_answers
        nprotos = sum(1 for e in self.els for x in e.entries() if type(x) is Clause and len(x.head) == self.arity)
        out: list = []
        for i in range(nprotos):
            for e in shards:
                blob = parts.get((i, e.guid))
                if blob is not None:
                    out.extend(decode_answers(blob))
        return out


def _fingerprint(e) -> tuple:
    """What identifies an elemental's current content (a copy is refreshed when it changes)."""
    if is_remote(e):
        return (e.guid, e.version, e.count())
    tables = getattr(e, "tables", None)   # a fact elemental: its column tables
    if tables is not None:
        return (e.guid, tuple((a, id(t), t.n, len(t.dead)) for a, t in tables.items()))
    buckets = getattr(e, "buckets", None)  # a rule elemental: its entry lists (replaced on change)
    lists = tuple((id(b.entries), len(b.entries)) for b in buckets.values()) if buckets else ()
    return (e.guid, e.count(), lists)


def _mirror(cluster, proxies: list, copy: list) -> None:
    """Bring the hosts' copies of ``copy`` up to date (each changed elemental shipped once,
    through the object store, to every host that lacks it)."""
    ray = cluster.ray
    prints = [_fingerprint(e) for e in copy]
    order = [e.guid for e in copy]
    shipped: dict[str, Any] = {}
    calls = []
    for p in proxies:
        have = cluster.mirrors.setdefault(id(p.actor), {})
        send = []
        for e, fp in zip(copy, prints):
            if have.get(e.guid) != fp:
                ref = shipped.get(e.guid)
                if ref is None:
                    if e.cls == "rules":  # pickled: goals keep their source locations for errors
                        blob, special, rules = b"", [], list(e.entries())
                    else:
                        blob, special = encode_entries(list(e.entries()) if e.cls == "facts" else [])
                        rules = None
                    ref = shipped[e.guid] = ray.put((e.guid, e.label, dict(e.properties), blob, special, rules))
                send.append(ref)
        if send or set(have) != set(order):
            calls.append((p, p.actor.mirror.remote(order, send)))
            have.clear()
            have.update(zip(order, prints))
    for p, ref in calls:
        p.call(ref)
