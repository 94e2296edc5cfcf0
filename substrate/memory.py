"""Memory around large loads: the cyclic collector paused while building, and freed memory
given back to the operating system afterwards.

Parsing or decoding a big file makes millions of terms, all alive until the load ends; each
collection the allocations trigger scans every one of them (the terms are trees: there are no
cycles to find), which made building 10**6 cells twice as slow. :func:`paused_gc` stops the
collector for the duration.

Loading ten million statements parses text into short-lived Python objects and grows
arrays; once they are freed, glibc's allocator keeps most of that memory in its heap for
reuse (large blocks freed early raise its mmap threshold, so later ones land in the heap),
and the process stays hundreds of megabytes bigger than the data it holds: at 10^6 facts,
107 MiB resident where the columns and indexes need 40. ``malloc_trim`` returns the free
heap pages. Elsewhere (musl, macOS, Windows) there is no such call and nothing is done.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
from contextlib import contextmanager
from typing import Iterator

__all__ = ["give_back", "paused_gc"]

_trim = None
try:
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    _trim = getattr(_libc, "malloc_trim", None)
except OSError:
    pass


def give_back() -> None:
    """Return free heap memory to the operating system, where the C library allows it."""
    if _trim is not None:
        _trim(0)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the body with the cyclic garbage collector off (restored as it was)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
