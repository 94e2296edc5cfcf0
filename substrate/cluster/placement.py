"""Where an elemental lives: in this process or on the cluster, and moving it (``/host``).

A fact or store definition goes to the cluster when the substrate uses one, unless it says
``host = local``; with ``host = ray`` it goes to the cluster even when the substrate has none
yet (a local Ray instance is started). Rule and tome elementals stay in this process: rules
run in the solver, which asks the hosted facts.
"""
from __future__ import annotations

from typing import Any

from lang.errors import CommandError
from lang.terms import Symbol

__all__ = ["placement", "move", "HOSTABLE"]

HOSTABLE = ("facts", "store")


def _class_of(cd) -> str:
    cls = cd.properties.get("class")
    return cls.name if type(cls) is Symbol else ("rules" if cd.procedural else "facts")


def placement(sub, cd) -> Any:
    """The cluster a compiled definition is to be built on, or None for this process."""
    host = cd.properties.get("host")
    wants = host.name if type(host) is Symbol else (host if type(host) is str else None)
    if wants is not None and wants not in ("ray", "local"):
        from lang.errors import CompileError
        raise CompileError(f"{cd.label}: host must be ray or local, found {wants}", cd.where)
    if wants == "local" or _class_of(cd) not in HOSTABLE:
        if wants == "ray":
            from lang.errors import CompileError
            raise CompileError(f"{cd.label}: only fact and store elementals can be hosted on ray", cd.where)
        return None
    if sub.cluster is None and wants == "ray":
        sub.use_cluster(True)
    return sub.cluster


def move(sub, label: str, where: str) -> int:
    """Move ``label``'s fact and store elementals to ``ray`` or back to ``local`` (same GUIDs,
    same place in creation order). A dead remote store is reopened from its path; returns how
    many elementals moved."""
    from ..elemental import FactElemental
    from .remote import is_remote
    if where not in ("ray", "local"):
        raise CommandError(f"/host: where must be ray or local, found {where}")
    els = [e for e in sub.with_label(label) if e.cls in HOSTABLE]
    if not els:
        raise CommandError(f"/host: no fact or store elemental holds {label}")
    moved = 0
    for e in els:
        if where == "ray":
            if is_remote(e) and not e.dead:
                continue
            cluster = sub.cluster or sub.use_cluster(True)
            if is_remote(e):  # its host died: a store reopens its path; facts are lost
                if e.cls != "store":
                    raise e.gone_error()
                new = cluster.place(e.label, e.properties, [], False, e.guid).ready()
            else:
                new = cluster.adopt(e)
        else:
            if not is_remote(e):
                continue
            if e.cls == "facts":
                new = FactElemental(e.label, e.entries(), e.properties, guid=e.guid)
            else:
                from ..store.elemental import StoreElemental
                e.close()
                new = StoreElemental(e.label, e.properties, guid=e.guid)
                new.attach(sub)
            if not e.dead:
                e.close()
        sub.elementals[e.guid] = new   # same key: creation order kept
        moved += 1
    sub.changed()
    return moved
