"""Session fixtures shared by the test modules.

``ray_cluster`` starts one local Ray instance (2 CPUs, no dashboard, a small object store,
logs in a temporary folder) the first time a test asks for it and stops it when the session
ends, so no Ray process outlives the tests. It skips, saying why, where ray cannot be imported.
"""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ray_cluster():
    """A :class:`substrate.cluster.Cluster` with two host actors on a local Ray instance."""
    try:
        import ray  # noqa: F401
    except ImportError:
        pytest.skip("ray is not installed (pip install -e '.[ray]'): Ray-hosted runs skipped")
    from substrate.cluster import Cluster
    cluster = Cluster(hosts=2, num_cpus=2)
    yield cluster
    cluster.shutdown()


@pytest.fixture(params=["local", "ray"])
def hosting(request, monkeypatch):
    """Run a test twice: elementals in this process, then fact and store elementals hosted on
    Ray actors (every Substrate() made by the test places them on the session's cluster)."""
    if request.param == "ray":
        from substrate import Substrate
        monkeypatch.setattr(Substrate, "default_cluster", request.getfixturevalue("ray_cluster"))
    return request.param
