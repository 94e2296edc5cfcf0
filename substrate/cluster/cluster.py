"""A Ray cluster seen from the substrate: host actors, placement, start and shutdown.

``Cluster()`` starts a private local Ray instance (or joins the one already running in this
process); ``Cluster("auto")`` or ``Cluster("10.0.0.5:6379")`` connects to a cluster started
with ``ray start --head``. It creates one :class:`~substrate.cluster.host.Host` actor per
CPU of the cluster (or ``hosts``), spread over the nodes, and places each elemental on the
host holding the fewest statements, so a label's shards land on different cores.

ray is imported here, on first use: the core install does not need it.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from typing import Any

from lang.errors import SeltzerError

__all__ = ["Cluster", "ClusterError", "ray_module"]


class ClusterError(SeltzerError):
    """Ray is missing or unreachable, or an elemental's host died."""


def ray_module():
    """The ray package, or a ClusterError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ClusterError("hosting elementals on Ray needs ray: pip install 'seltzer[ray]'") from None
    return ray


def _stay_on_loopback(ray) -> None:
    """Make a local (single-machine) Ray instance address itself as 127.0.0.1.

    On Linux Ray names a node by its routable interface address even when it runs alone, and
    ``_node_ip_address="127.0.0.1"`` is turned back into that address; Ray's own switch for
    single-machine use (the one it sets on macOS and Windows) keeps every connection on the
    loopback interface. Child processes read the variable; this process reads the constant."""
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    from ray._private import ray_constants
    ray_constants.ENABLE_RAY_CLUSTER = False


def _probe(address: str) -> None:
    """Fail fast on a ``host:port`` nobody listens on (Ray itself retries for minutes)."""
    import socket
    if address == "auto":  # what ray.init("auto") would join: RAY_ADDRESS, else the last `ray start`
        address = os.environ.get("RAY_ADDRESS", "")
        if not address:
            try:
                with open(os.path.join(tempfile.gettempdir(), "ray", "ray_current_cluster")) as f:
                    address = f.read().strip()
            except OSError:
                raise ClusterError("no running Ray cluster found: start one with `ray start --head`") from None
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return  # "local" or a ray:// client address: Ray resolves those itself
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except OSError as e:
        raise ClusterError(f"cannot reach a Ray cluster at {address}: {e.strerror or e}") from None


_actor_class = None


def _host_actor(ray):
    """The Host class as a Ray actor class (made once per process)."""
    global _actor_class
    if _actor_class is None:
        from .host import Host
        _actor_class = ray.remote(num_cpus=0)(Host)  # hosts mostly wait: reserve no CPU
    return _actor_class


class HostRef:
    """One host actor as the substrate sees it: the handle, where it runs, what it holds."""

    __slots__ = ("slot", "actor", "where", "load", "dead")

    def __init__(self, slot: int, actor: Any, where: dict) -> None:
        self.slot = slot
        self.actor = actor
        self.where = where
        self.load = 0          # statements placed here (the placement's balance)
        self.dead = False

    def describe(self) -> str:
        """``ray:<host>@<node ip>`` for /list and messages."""
        return f"ray:{self.slot}@{self.where.get('ip', '?')}"


class Cluster:
    """Host actors on a Ray cluster, and the placement of elementals on them."""

    def __init__(self, address: str | None = None, hosts: int | None = None, *,
                 num_cpus: int | None = None, object_store_memory: int = 200 * 1024 * 1024,
                 temp_dir: str | None = None) -> None:
        ray = self.ray = ray_module()
        self.owned = False
        self.temp_dir = None
        if not ray.is_initialized():
            kwargs: dict = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
            if address:
                _probe(address)
                kwargs["address"] = address
            else:
                # Ray's memory monitor kills workers when the machine runs short of memory; a
                # host holds data that cannot be recomputed, so a private instance turns it off
                os.environ.setdefault("RAY_memory_monitor_refresh_ms", "0")
                if temp_dir is None:  # short: Ray's socket paths must fit in 107 bytes
                    temp_dir = self.temp_dir = tempfile.mkdtemp(prefix="seltzer-ray-")
                _stay_on_loopback(ray)
                kwargs.update(num_cpus=num_cpus or os.cpu_count() or 2,
                              object_store_memory=object_store_memory, _temp_dir=temp_dir)
            try:
                ray.init(**kwargs)
            except Exception as e:  # no cluster at that address, bad address
                raise ClusterError(f"cannot start or reach a Ray cluster ({address or 'local'}): {e}") from None
            self.owned = True
        self.address = address or "local"
        count = hosts or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._lock = threading.Lock()
        self.dead: set[int] = set()         # id() of actors known to have died
        self._graveyard: list = []
        self.mirrors: dict[int, dict] = {}  # id(actor) -> {guid: fingerprint} of its copies (near.py)
        self.hosts: list[HostRef] = []
        self._spawn(count)

    def _spawn(self, count: int) -> None:
        actor_cls = _host_actor(self.ray)
        base = len(self.hosts)
        actors = [actor_cls.options(scheduling_strategy="SPREAD").remote(base + k) for k in range(count)]
        wheres = self.ray.get([a.where.remote() for a in actors])
        self.hosts += [HostRef(base + k, a, w) for k, (a, w) in enumerate(zip(actors, wheres))]

    # -- placement -------------------------------------------------------------------------------
    def pick(self, statements: int = 0, slot: int | None = None) -> HostRef:
        """The host for a new elemental: ``slot`` if given, else the least loaded live host
        (a dead one is replaced by a fresh actor first)."""
        with self._lock:
            for h in self.hosts:
                if h.dead:
                    self._replace(h)
            if slot is not None:
                h = self.hosts[slot % len(self.hosts)]
            else:
                h = min(self.hosts, key=lambda x: (x.load, x.slot))
            h.load += max(1, statements)
            return h

    def _replace(self, h: HostRef) -> None:
        self.dead.add(id(h.actor))
        self._graveyard.append(h.actor)   # keep the handle: its id() stays unique
        actor = _host_actor(self.ray).options(scheduling_strategy="SPREAD").remote(h.slot)
        h.where = self.ray.get(actor.where.remote())
        h.actor = actor
        h.load = 0
        h.dead = False

    def place(self, label: str, props: dict, entries: list, procedural: bool = False,
              guid: str | None = None, slot: int | None = None, where: Any = None):
        """Build an elemental from a definition on a host; returns its proxy."""
        from ..elemental import new_guid
        from .remote import RemoteElemental
        from .wire import encode_entries
        guid = guid or new_guid()
        host = self.pick(len(entries), slot)
        blob, special = encode_entries(entries)
        ref = host.actor.build.remote(guid, label, props, blob, special, procedural, where)
        return RemoteElemental.pending(self, host, guid, label, props, ref)

    def adopt(self, e, slot: int | None = None):
        """Move an in-process fact or store elemental onto a host (same GUID, same entries);
        the local one is closed. A store reopens its path on the host's node."""
        entries = e.entries() if e.cls == "facts" else []
        remote = self.place(e.label, dict(e.properties), entries, False, e.guid, slot).ready()
        e.close()
        return remote

    def kill(self, slot: int, wait: float = 30.0) -> None:
        """Kill one host actor (fault drills: tests). Its elementals fail when next used.
        ``ray.kill`` only asks for the kill: wait (up to ``wait`` seconds) until the actor
        stops answering, so that the next use really finds it dead."""
        actor = self.hosts[slot].actor
        self.ray.kill(actor, no_restart=True)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                self.ray.get(actor.where.remote(), timeout=wait)
            except Exception:
                return
            time.sleep(0.02)

    def shutdown(self) -> None:
        """Stop the host actors, and Ray itself if this cluster started it."""
        for h in self.hosts:
            try:
                self.ray.kill(h.actor, no_restart=True)
            except Exception:
                pass
        self.hosts = []
        if self.owned and self.ray.is_initialized():
            self.ray.shutdown()
            self.owned = False
        if self.temp_dir is not None:
            import shutil
            shutil.rmtree(self.temp_dir, ignore_errors=True)
            self.temp_dir = None

    def describe(self) -> str:
        nodes = sorted({h.where.get("ip", "?") for h in self.hosts})
        return f"{len(self.hosts)} hosts on {len(nodes)} node(s) ({', '.join(nodes)})"
