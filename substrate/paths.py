"""Which paths knowledge may touch (docs/security.md).

A ``.kb`` file is data, but it can name paths: a store or tome definition's ``path``, and the
commands its rules run through ``console.exec`` (``/load``, ``/save``, ``/import.*``). Unless the
user trusts it (``seltzer --trust``, ``Substrate(trust=True)``):

* a definition loaded from a file may use paths under that file's directory or under the
  current directory (relative paths are taken from the current directory, SPEC §8 examples);
* a line run from knowledge (``console.exec``) may use paths under the current directory.

Lines the user runs (typed, ``-e``, ``--script``, the Python API) are the user's own and are
not confined. Paths are compared after resolving symbolic links, so a link inside an allowed
directory that points outside it is refused too. Every path is also refused, with a clear
error, when it holds a NUL byte or is empty (the OS would raise an internal ValueError).
"""
from __future__ import annotations

import os
import stat
from typing import Sequence

from lang.errors import CommandError, DataError, Location

__all__ = ["plain_path", "regular_file", "allowed", "confine_definitions"]

_HOW = "start seltzer with --trust (or Substrate(trust=True)) to allow it"


def plain_path(path: str, what: str, where: Location | str | None = None) -> str:
    """``path`` unless it is empty or holds a NUL byte (refused with a :class:`CommandError`)."""
    if not path:
        raise CommandError(f"{what}: the path is empty", where)
    if "\0" in path:
        raise CommandError(f"{what}: the path {path!r} contains a NUL byte", where)
    return path


def regular_file(path: str) -> None:
    """Refuse a data source that is missing or not a regular file (a FIFO would block,
    ``/dev/zero`` never ends) with a :class:`DataError` naming it."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise DataError("no such file", path) from None
    except (OSError, ValueError) as e:
        raise DataError(f"cannot read: {getattr(e, 'strerror', None) or e}", path) from None
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file (a device, FIFO or socket)"
        raise DataError(f"is {kind}; expected a data file", path)


def _inside(path: str, roots: Sequence[str]) -> bool:
    real = os.path.realpath(path)
    for root in roots:
        root = os.path.realpath(root)
        if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False


def allowed(sub, path: str, what: str, where: Location | str | None = None,
            roots: Sequence[str] | None = None) -> str:
    """``path`` if the knowledge running now may touch it, else a :class:`CommandError` naming it.

    ``roots`` None: confined to the current directory while a line runs from knowledge
    (``console.exec``), not confined otherwise; given: confined to those directories."""
    plain_path(path, what, where)
    if getattr(sub, "trust", False):
        return path
    if roots is None:
        if not getattr(sub, "from_knowledge", 0):
            return path
        roots = [os.getcwd()]
    if not _inside(path, roots):
        dirs = " or ".join(os.path.realpath(r) for r in roots)
        raise CommandError(f"{what}: access to {os.path.abspath(path)} refused: knowledge may only touch "
                           f"paths under {dirs}; {_HOW}", where)
    return path


def confine_definitions(sub, definitions: Sequence, file: str | None = None) -> None:
    """Check the ``path`` of each store and tome definition: under ``file``'s directory or the
    current directory when it comes from a loaded file, under the current directory when it
    comes from a line run from knowledge; raises :class:`CommandError` at the definition."""
    roots = None if file is None else [os.path.dirname(os.path.abspath(file)), os.getcwd()]
    for cd in definitions:
        props = getattr(cd, "properties", None) or {}
        path = props.get("path")
        if type(path) is str:
            allowed(sub, path, f"{cd.label}: path", getattr(cd, "where", None), roots)
