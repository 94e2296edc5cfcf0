"""The ``class = tome`` elemental and the ``tome.*`` primitives over :mod:`substrate.tome`.

``frag.tome { class = tome, path = "data/tome" } {}`` answers

* ``#label(seqid, xmin, xmax, :plus, :minus)`` — per-tissue means of each strand over [xmin, xmax);
* ``#label(seqid, xmin, xmax, tissue, :plus, :minus)`` — the two means of one tissue (0-based).

An empty range has no solution (not NaN). A window mean takes microseconds (binary search on
in-memory positions, then a memory-mapped slice), so it is answered inline: handing it to the
executor would cost more than the work.
"""
from __future__ import annotations

import os
import threading
from typing import Any

from lang.errors import ArgumentError, StoreError
from lang.primitives import primitive
from lang.printer import show
from lang.terms import NIL, Symbol, deref, make_list

from ..elemental import new_guid

__all__ = ["TomeElemental", "import_tome_command", "open_tome"]

_folders: dict = {}
_folders_lock = threading.Lock()


def open_tome(folder: str):
    """A shared :class:`~substrate.tome.Tome` per folder (positions are loaded once per process).

    numpy is imported here, on first use, so that starting seltzer does not pay for it.
    """
    from .tome import Tome
    key = os.path.abspath(folder)
    with _folders_lock:
        t = _folders.get(key)
        if t is None:
            t = _folders[key] = Tome(folder)
        return t


def _seqid(x: Any, who: str, i: int) -> int | str:
    x = deref(x)
    if type(x) is int or type(x) is str:
        return x
    if type(x) is Symbol and x is not NIL:
        return x.name
    raise ArgumentError(who, i, "the seqid must be bound to an integer, string or symbol")


def _number(x: Any, who: str, i: int, what: str) -> int | float:
    x = deref(x)
    if type(x) not in (int, float):
        raise ArgumentError(who, i, f"{what} must be bound to a number, found {show(x)}")
    return x


class TomeElemental:
    """Answers range means over a tome folder; holds no statements of its own."""

    cls = "tome"
    writable = False

    def __init__(self, label: str, folder: str, properties: dict, guid: str | None = None) -> None:
        self.guid = guid or new_guid()
        self.label = label
        self.properties = dict(properties)
        self.folder = folder

    @property
    def tome(self):
        """The folder's data, opened when first asked for (and again after /import.tome), so
        an elemental defined before its folder holds data answers once the data arrives."""
        return open_tome(self.folder)

    @classmethod
    def from_definition(cls, cd) -> "TomeElemental":
        """Build from a compiled ``class = tome`` definition (path = the folder)."""
        try:
            return cls(cd.label, cd.properties["path"], cd.properties)
        except StoreError as e:
            if e.where is None:
                e.where = cd.where
            raise

    def arities(self):
        return (5, 6)

    def asker(self, arity: int):
        return self.ask

    def ask(self, args: list):
        who = "#" + self.label
        seqid = _seqid(args[0], who, 1)
        xmin = _number(args[1], who, 2, "xmin")
        xmax = _number(args[2], who, 3, "xmax")
        tissue = None
        if len(args) == 6:
            t = deref(args[3])
            if type(t) is not int:
                raise ArgumentError(who, 4, f"the tissue must be bound to an integer, found {show(t)}")
            tissue = t
        means = self.tome.mean(seqid, xmin, xmax, tissue)
        if means is None:
            return ()
        plus, minus = means
        if tissue is None:
            plus, minus = make_list(plus), make_list(minus)
        head = tuple(deref(a) for a in args[:len(args) - 2])
        return (head + (plus, minus),)

    def tell(self, statements):
        raise StoreError(f"{self.label}: a tome elemental holds no statements")

    def retract(self, args, matches) -> bool:
        return False

    def count(self) -> int:
        if not os.path.isdir(self.folder):
            return 0  # no data yet
        return len(self.tome.seqids())

    def entries(self) -> list:
        return []

    def set_property(self, name: str, value: Any) -> None:
        self.properties[name] = value

    def close(self) -> None:
        pass


def _tome_for(m, name: str, who: str):
    """A tome by elemental label (if one holds it) or by folder path."""
    for e in m.kb.with_label(name) if hasattr(m.kb, "with_label") else ():
        if e.cls == "tome":
            return e.tome
    return open_tome(name)


@primitive("tome.mean", "text", "any", "num", "num", "any", "out", "out", group="tome")
def _tome_mean(m, where, seqid, xmin, xmax, tissue, plus, minus):
    """tome.mean(folder_or_label, seqid, xmin, xmax, tissue_or_all, :plus, :minus): strand means
    over [xmin, xmax) for one tissue (numbers) or `all` (lists); fails on an empty range."""
    t = _tome_for(m, where, "tome.mean")
    seq = _seqid(seqid, "tome.mean", 2)
    if tissue is Symbol("all"):
        tissue = None
    elif type(tissue) is not int:
        raise ArgumentError("tome.mean", 5, f"expected a tissue number or all, found {show(tissue)}")
    means = t.mean(seq, xmin, xmax, tissue)
    if means is None:
        return False
    p, q = means
    if tissue is None:
        p, q = make_list(p), make_list(q)
    return m.unify(plus, p) and m.unify(minus, q)


@primitive("tome.rows", "text", "any", "num", "num", "out", group="tome")
def _tome_rows(m, where, seqid, xmin, xmax, rows):
    """tome.rows(folder_or_label, seqid, xmin, xmax, :rows): [[position, [plus...], [minus...]], ...]."""
    t = _tome_for(m, where, "tome.rows")
    seq = _seqid(seqid, "tome.rows", 2)
    out = [make_list([p, make_list(a), make_list(b)]) for p, a, b in t.rows(seq, xmin, xmax)]
    return m.unify(rows, make_list(out))


def import_tome_command(path: str, folder: str, seqid: int | str, progress=None) -> int:
    """/import.tome: convert a text file; drops the cached arrays of that folder's seqid."""
    import shutil
    from ..paths import plain_path, regular_file
    from .tome import import_tome
    plain_path(path, "/import.tome: argument 1")
    plain_path(folder, "/import.tome: argument 2")
    regular_file(path)
    if os.path.lexists(folder) and not os.path.isdir(folder):
        raise StoreError("is a file, not a folder; choose a folder for the tome", where=folder)
    created = not os.path.lexists(folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise StoreError(f"cannot create the tome folder: {e.strerror}", where=folder) from None
    bar = progress("import.tome", 100) if progress else None

    def on_progress(rows: int, done: int, total: int) -> None:
        if bar and total:
            bar(int(100 * done / total))
    try:
        rows = import_tome(path, folder, seqid, on_progress)
    except BaseException:
        if created:                   # a failed import leaves no folder behind
            shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        if bar:
            bar(None)
    with _folders_lock:
        _folders.pop(os.path.abspath(folder), None)
    return rows
