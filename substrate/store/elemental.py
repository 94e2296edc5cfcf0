"""The ``class = store`` elemental: a label's statements in an LMDB store (SPEC §8).

    frag { class = store, path = "data/frag.lmdb", index = [0] } {}

Loading the definition opens the environment and reads nothing else, so a store of any size
is ready in milliseconds. Goals are answered by :meth:`StatementStore.lookup` (one index
sub-database read when an indexed argument is bound, a cursor scan otherwise).

Asserts are buffered and written in batches: one LMDB transaction per :data:`BATCH`
statements, and whatever is pending when the console line (or import) finishes. Until then
the pending statements answer goals from memory, after the stored ones, so a line sees its
own asserts. Committed batches are durable (a kill -9 loses at most the uncommitted batch).

Writes belong to the console line that made them: when the line fails, its pending statements
are dropped, the batches it committed are deleted again (by id: ids are never reused), the
statements it retracted are put back under their old ids, and a store directory the line
created is removed. The statements written by a definition's entries belong to its line too.
"""
from __future__ import annotations

import os
import queue
import shutil
import threading
from typing import Any, Iterable, Iterator

from lang.clauses import compile_entry
from lang.errors import Location, StoreError
from lang.primitives import REGISTRY
from lang.program import Statement
from lang.terms import Symbol, Var, deref

from ..elemental import index_positions, new_guid
from .store import StatementStore

__all__ = ["StoreElemental", "BATCH"]

BATCH = 8192
PREFETCH_MIN = 10_000     # statements; below this a scan is too short to hand to a thread
_CHUNK = 1024


def _prefetch(found: Iterator, executor) -> Iterator:
    """Read ``found`` on the executor, a few chunks ahead of the consumer.

    LMDB reads release the GIL, so the next chunk is fetched while the solver unifies the
    current one (bench/store.py: a 62k-statement scan ~10% faster). Closing the generator
    early (a cut, a first-solution query) stops the reader.
    """
    q: queue.Queue = queue.Queue(maxsize=4)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            chunk = []
            for x in found:
                chunk.append(x)
                if len(chunk) >= _CHUNK:
                    if not put(chunk):
                        return
                    chunk = []
            if chunk:
                put(chunk)
            put(None)
        except BaseException as e:  # hand the error to the consumer
            put(e)

    executor.submit(produce)
    try:
        while True:
            item = q.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield from item
    finally:
        stop.set()


_open: dict[str, list] = {}   # absolute path -> [StatementStore, elementals using it]
_open_lock = threading.Lock()


def _acquire(path: str, index: tuple, verbose: bool, report) -> StatementStore:
    """The process's one StatementStore for ``path`` (LMDB allows one open per process):
    a second elemental on the same path shares it."""
    key = os.path.abspath(path)
    with _open_lock:
        held = _open.get(key)
        if held is None:
            held = _open[key] = [StatementStore(path, index, verbose=verbose, on_report=report,
                                                on_unclean=_check_unclean), 0]
        elif index:
            held[0].set_index(index)
        held[1] += 1
        return held[0]


def _check_unclean(path: str) -> None:
    """A process that had the store open ended without closing it: run the quick check (in a
    child process, so damage cannot abort this one) before opening it here."""
    from .check import check_in_child, format_report
    report = check_in_child(path, quick=True)
    if not report["ok"]:
        raise StoreError("was not closed cleanly and its quick check failed:\n"
                         + format_report(report), where=path)


def _release(store: StatementStore) -> bool:
    """Close the shared store when its last elemental is closed; True when it was closed."""
    with _open_lock:
        for key, held in list(_open.items()):
            if held[0] is store:
                held[1] -= 1
                if held[1] <= 0:
                    del _open[key]
                    store.close()
                    return True
                return False
    store.close()
    return True


def _alternative(args: tuple, truth: float):
    """What the solver unifies: a plain tuple, or a Clause when the truth is below 1."""
    if truth >= 1.0:
        return args
    return compile_entry(Statement(args, truth), REGISTRY, data=True)


class StoreElemental:
    """Statements of one label in an LMDB environment at ``path``."""

    cls = "store"
    writable = True

    def __init__(self, label: str, properties: dict, guid: str | None = None) -> None:
        self.guid = guid or new_guid()
        self.label = label
        self.properties = dict(properties)
        self.report = None
        index = index_positions(properties["index"]) if "index" in properties else ()
        verbose = properties.get("verbose") is Symbol("true")
        path = properties["path"]
        self.created = "\0" not in path and not os.path.lexists(path)   # removed again if its line fails
        self.store = _acquire(path, index, verbose, self._report)
        self.pending: list[tuple] = []
        self.executor = None
        self.sub = None
        self._written: list[tuple[int, int]] = []   # (first id, count) committed by the open line
        self._enlisted = False

    @classmethod
    def from_definition(cls, cd) -> "StoreElemental":
        """Open (or create) the store of a ``class = store`` definition; entries written in
        the definition are added only when the store is new (empty), so reloading the file
        does not add them twice."""
        try:
            e = cls(cd.label, cd.properties)
        except StoreError as err:
            if cd.where is not None and not isinstance(err.where, Location):
                # name the definition's line, and the store path in the text
                err.text = f"{cd.label}: store {err.where}: {err.text}" if err.where else err.text
                err.where = cd.where
            raise
        if cd.entries and e.store.count() == 0:
            ground = [x for x in cd.entries if type(x) is tuple]
            if len(ground) != len(cd.entries):
                e.close()
                raise StoreError(f"{cd.label}: a store holds ground statements only", cd.where)
            e._written.append((e.store.add_many(ground), len(ground)))
        return e

    def _report(self, message: str) -> None:
        if self.report is not None:
            self.report(f"{self.label}: {message}")

    def attach(self, sub) -> None:
        """Called when installed: verbose reports go to the substrate's output, and large
        scans read ahead on the substrate's executor."""
        self.report = sub.emit
        self.executor = sub.executor()
        self.sub = sub
        if not self._owned():
            self._written = []      # made outside a console line: its writes are kept

    def _owned(self) -> bool:
        """Whether writes now belong to an open console line (so its failure must undo them);
        joins that line's journal on first use."""
        sub = self.sub
        if sub is None:
            return True             # being built: the defining line owns it
        if not sub.in_transaction():
            return False
        if not self._enlisted:
            self._enlisted = True
            sub.journal(self._undo_line)
            sub.on_commit(self._line_done)
        return True

    def _line_done(self) -> None:
        """The line committed: what it wrote stays."""
        self._written = []
        self._enlisted = False

    def _undo_line(self) -> None:
        """The line failed: drop its pending statements and delete the batches it committed."""
        self.pending = []
        written, self._written = self._written, []
        self._enlisted = False
        if written and self.store is not None:
            self.store.delete_ids(written)

    def discard(self) -> None:
        """Undo this elemental's creation (its line or file failed): its writes are deleted,
        the store closed, and a store directory it created removed."""
        self._undo_line()
        store, self.store = self.store, None
        if store is not None and _release(store) and self.created:
            shutil.rmtree(store.path, ignore_errors=True)

    def _scans(self, args: list) -> bool:
        """True when no indexed argument is bound and the store is large: a full scan."""
        for pos in self.store.index():
            if pos < len(args) and type(deref(args[pos])) is not Var:
                return False
        return self.store.count() >= PREFETCH_MIN

    # -- the elemental interface -----------------------------------------------------------------
    def arities(self):
        return None  # any: a store learns its arities only by reading, and opening reads nothing

    def asker(self, arity: int):
        return self.ask

    def ask(self, args: list) -> Iterable:
        found = self.store.lookup(args)
        if self.executor is not None and self._scans(args):
            found = _prefetch(found, self.executor)
        for stmt, truth in found:
            if len(stmt) == len(args):
                yield _alternative(stmt, truth)
        if self.pending:
            n = len(args)
            for stmt in list(self.pending):
                if len(stmt) == n:
                    yield stmt

    def tell(self, statements: list[tuple]) -> None:
        """Add statements: written in transactions of :data:`BATCH`, the rest kept pending."""
        self._owned()
        pending = self.pending
        pending.extend(statements)
        if len(pending) >= BATCH:
            full = len(pending) - len(pending) % BATCH
            for i in range(0, full, BATCH):
                self._commit(pending[i:i + BATCH])
            self.pending = pending[full:]

    def _commit(self, batch: list) -> None:
        first = self.store.add_many(batch)
        if self._owned():
            self._written.append((first, len(batch)))

    def flush(self) -> None:
        """Write the pending statements in one transaction."""
        if self.pending:
            batch, self.pending = self.pending, []
            self._commit(batch)

    def retract(self, args: tuple, matches) -> tuple | None:
        """Delete the first stored statement that ``matches``; return it (or None)."""
        self.flush()
        store = self.store
        for sid, stmt, truth in store.find(list(args)):
            if len(stmt) == len(args) and matches(stmt):
                if not store.delete(sid):
                    return None
                if self._owned():
                    self.sub.journal(lambda: self.store is not None and self.store.restore(sid, stmt, truth))
                return stmt
        return None

    def count(self) -> int:
        return self.store.count() + len(self.pending)

    def entries(self) -> list:
        return []  # saving a store writes its definition; the data stays in LMDB

    def set_property(self, name: str, value: Any) -> None:
        if name == "index":
            self.store.set_index(index_positions(value))
        self.properties[name] = value

    def optimize(self) -> None:
        """Compact the environment (copy with compaction, then swap in atomically)."""
        self.flush()
        self.store.optimize()

    def close(self) -> None:
        if self.store is None:
            return
        try:
            self.flush()
        finally:
            _release(self.store)
            self.store = None
