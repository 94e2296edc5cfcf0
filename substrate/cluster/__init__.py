"""Elementals hosted on Ray actors: a knowledge base beyond one process (issue 13).

``Substrate(cluster=Cluster())`` (or ``seltzer --ray``) places every fact and store
elemental on host actors; a definition with ``host = ray`` is placed even without it, and
``/host(label, ray | local)`` moves a label's elementals. ray is imported only when a
cluster is made: ``pip install 'seltzer[ray]'``.
"""
from .cluster import Cluster, ClusterError, ray_module
from .remote import RemoteElemental, is_remote, remote_route

__all__ = ["Cluster", "ClusterError", "RemoteElemental", "is_remote", "remote_route", "ray_module"]
