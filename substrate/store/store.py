"""The LMDB statement store: the engine under the ``class = store`` elemental (SPEC §8).

A store is one LMDB environment (a directory) with named sub-databases:

* ``main``    key: 8-byte big-endian statement id (monotonic, never reused, so key order is
              insertion order); value: :func:`substrate.codec.pack_statement` (arguments + truth)
              followed by a 4-byte big-endian CRC-32 of those bytes seeded with the id, checked on
              every read: a record damaged on disk (LMDB keeps no checksums) or moved to another
              key is an error naming the store and the id, never an answer.
* ``idx.<p>`` one per indexed position p (dupsort, dupfixed): key :func:`substrate.codec.index_key`
              of argument p; values: ids of the statements holding it (sorted: insertion order).
              A non-ground argument is filed under the wildcard key, which every lookup also reads.
* ``meta``    ``format`` (layout version), ``next`` (next id), ``index`` (indexed positions).

Format ``seltzer-store/2`` has the checksums; a ``seltzer-store/1`` store (no checksums) is still
read and written in its own layout. Beside the LMDB files, each process that has the store open
keeps an empty marker file ``open.<pid>``, removed when it closes the store: a marker whose
process is gone means the store was not closed cleanly (see :func:`stale_markers`).

Rules (after py-lmdb's documentation):

* Every transaction begins and ends inside one method call (a ``with`` block; writes go through
  :meth:`StatementStore._write`). Nothing handed to a caller holds a transaction: lookups read in
  chunks, each in its own short read transaction, decoded (copied) before it ends, so a caller may
  assert between answers and a slow consumer never pins old pages.
* Writers of this process are serialized by a lock; readers run concurrently (``lock=True``).
  Growing the map — on ``MapFullError``, handled in :meth:`StatementStore._write` only — adopting
  a size grown by another process, and aborting a write transaction wait until no other
  transaction of this process runs (the gate).
* An environment is never used across ``fork``: the pid is recorded at open and checked on each
  call, and a child is refused. (It cannot reopen the store either: py-lmdb refuses a second open
  of the same files in one process, and closing the inherited environment would free the parent's
  reader slot. Stores are for the process that opened them; use the 'spawn' start method.)
* Commits use LMDB's default durable sync, so a kill -9 (or power loss) at any moment leaves exactly
  the committed transactions.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import struct
import threading
import zlib
from itertools import islice
from time import perf_counter
from typing import Callable, Iterator, Sequence

import lmdb
import msgpack

from lang.errors import StoreError
from lang.terms import Symbol, Var, deref

from ..codec import (
    WILDCARD_KEY, CodecError, index_key, key_for, pack_statement, term_key, unpack_statement,
)

__all__ = ["StatementStore", "DEFAULT_MAP_SIZE", "MAX_INDEXES", "FORMAT", "FORMAT_UNCHECKED",
           "seal", "unseal", "stale_markers"]

FORMAT = b"seltzer-store/2"              # records carry a CRC-32
FORMAT_UNCHECKED = b"seltzer-store/1"    # the first layout: bare records (still read and written)
DEFAULT_MAP_SIZE = 64 << 20      # virtual address space only; grows on demand
MAX_INDEXES = 32
_MAX_DBS = MAX_INDEXES + 4
_MAX_READERS = 512
_FIRST_CHUNK, _MAX_CHUNK = 64, 4096   # lookup batch sizes: small first answer, then bulk
_BUILD_BATCH = 100_000                # index rebuild: ids per putmulti
_ID = struct.Struct(">Q")
_COMPACT_DIR = "compact.tmp"
_STORE_FILES = {"data.mdb", "lock.mdb", _COMPACT_DIR}
_MARKER = "open."
_CRC = struct.Struct(">I")

Statement = tuple
_ATOMS = (int, float, str, Symbol)
Report = Callable[[str], None]


class _Gate:
    """Shared/exclusive gate for this process's transactions: ordinary reads and writes enter
    shared; a map resize, an index change, optimize and close enter exclusive (no txn running)."""

    __slots__ = ("_cond", "_shared", "_exclusive")

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._shared = 0
        self._exclusive = False

    def enter(self, exclusive: bool = False) -> None:
        """Wait for and take a shared (or the exclusive) place; mutates the gate."""
        with self._cond:
            while self._exclusive:
                self._cond.wait()
            if exclusive:
                self._exclusive = True
                while self._shared:
                    self._cond.wait()
            else:
                self._shared += 1

    def leave(self, exclusive: bool = False) -> None:
        """Give back the place taken by :meth:`enter`; mutates the gate."""
        with self._cond:
            if exclusive:
                self._exclusive = False
                self._cond.notify_all()
            else:
                self._shared -= 1
                if not self._shared:
                    self._cond.notify_all()


class _Cursor:
    """Where a chunked lookup stands between two read transactions."""

    __slots__ = ("arity", "plans", "checks", "plan", "start", "horizon", "limit", "done")

    def __init__(self, arity: int | None, plans: list, checks: list) -> None:
        self.arity = arity
        self.plans = plans        # usable indexes: (position, key, full key if hashed else None)
        self.checks = checks      # (position, atom): a statement must hold that atom or a variable
        self.plan = None          # the one chosen in the first chunk
        self.start = b""          # id (bytes) to resume from; b"" = from the beginning
        self.horizon = b""        # next id when the lookup began: later additions are not seen
        self.limit = _FIRST_CHUNK
        self.done = False


def _index_pairs(statements: Sequence[Statement], pos: int) -> list[tuple[bytes, int]]:
    """``(index key of argument pos, list offset)`` for each statement that has one, sorted by key."""
    pairs = [(index_key(s[pos]), i) for i, s in enumerate(statements) if pos < len(s)]
    pairs.sort()
    return pairs


def _dup_ids(cur: lmdb.Cursor, key: bytes, start: bytes, limit: int) -> list[bytes]:
    """Up to ``limit`` ids filed under ``key`` from id ``start`` on, in order."""
    found = cur.set_range_dup(key, start) if start else cur.set_key(key)
    return list(islice(cur.iternext_dup(), limit)) if found else []


def seal(sid: bytes, body: bytes) -> bytes:
    """A record as stored in a checksummed store: ``body`` + CRC-32 of it seeded with the id."""
    return body + _CRC.pack(zlib.crc32(body, _ID.unpack(sid)[0] & 0xFFFFFFFF))


def unseal(sid: bytes, raw: bytes) -> bytes | None:
    """The body of a sealed record, or None when its checksum does not match."""
    body = raw[:-4]
    if len(raw) < 5 or zlib.crc32(body, _ID.unpack(sid)[0] & 0xFFFFFFFF) != _CRC.unpack(raw[-4:])[0]:
        return None
    return body


def stale_markers(path: str) -> list[str]:
    """The ``open.<pid>`` markers in store directory ``path`` whose process is gone: the store was
    not closed cleanly by them (a crash, a kill -9, a power loss)."""
    try:
        names = os.listdir(path)
    except OSError:
        return []
    stale = []
    for name in names:
        if not name.startswith(_MARKER):
            continue
        try:
            pid = int(name[len(_MARKER):])
        except ValueError:
            continue
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            stale.append(name)
        except OSError:
            pass            # alive, but not ours to signal
    return stale


class StatementStore:
    """Statements (tuples of terms, each with a truth value) kept in an LMDB environment.

    ``index`` None keeps the indexes the store has; a tuple makes them exactly those positions
    (building or dropping sub-databases). ``on_report`` receives progress lines when ``verbose``.
    Opening loads nothing: it reads the meta record only.
    """

    __slots__ = ("path", "_env", "_main", "_meta", "_idx", "_pid", "_gate", "_wlock",
                 "_verbose", "_report", "_map_size", "_sealed", "_marker", "_wild", "_wild_txn",
                 "__weakref__")

    def __init__(self, path: str | os.PathLike, index: Sequence[int] | None = None,
                 verbose: bool = False, create: bool = True, *,
                 map_size: int = DEFAULT_MAP_SIZE, on_report: Report | None = None,
                 checksum: bool = True, on_unclean: Callable[[str], None] | None = None) -> None:
        """``checksum`` False makes a *new* store in the unchecked layout (for measuring the
        checksum's cost); ``on_unclean(path)`` runs before opening a store that some process did
        not close cleanly (it may check it, and raise to refuse it)."""
        path = os.fspath(path)
        if "\0" in path:
            raise StoreError("a store path cannot contain a NUL byte", where=repr(path))
        self.path = os.path.abspath(path)
        self._verbose = verbose
        self._report = on_report
        self._map_size = map_size
        self._sealed = checksum
        self._marker: str | None = None
        self._wild: frozenset = frozenset()   # indexed positions holding a non-ground argument
        self._wild_txn = -1                   # ... as of this transaction id
        self._env: lmdb.Environment | None = None
        self._idx: dict[int, object] = {}
        self._gate = _Gate()
        self._wlock = threading.Lock()
        self._check_path(create)
        stale = stale_markers(self.path)
        if stale and on_unclean is not None:
            on_unclean(self.path)
        self._open(create)
        for name in stale:
            _unlink(os.path.join(self.path, name))
        self._mark()
        if index is not None:
            try:
                self.set_index(index)
            except BaseException:
                self.close()
                raise

    # ------------------------------------------------------------ opening

    def _fail(self, text: str, cause: BaseException | None = None) -> StoreError:
        err = StoreError(text, where=self.path)
        err.__cause__ = cause
        return err

    def _check_path(self, create: bool) -> None:
        """Refuse a path that is a file, or a non-empty directory holding no store; make a new one."""
        try:
            if not os.path.exists(self.path):
                if not create:
                    raise self._fail("no store here (create it by defining the store with this path)")
                os.makedirs(self.path)
            elif not os.path.isdir(self.path):
                raise self._fail("is a file, not a store directory; choose a directory path")
            else:
                names = {n for n in os.listdir(self.path) if not n.startswith(_MARKER)}
                if "data.mdb" not in names and names - _STORE_FILES:
                    raise self._fail("is a directory that holds other files and no store; "
                                     "choose a new or empty directory")
        except OSError as e:
            raise self._fail(f"cannot create or read the store directory: {e.strerror}", e) from e

    def _open(self, create: bool, locked: bool = False) -> None:
        """Open the environment and its sub-databases; initialise a new store's meta record.

        ``locked``: the caller already holds the writer lock and the exclusive gate (reopening
        after :meth:`optimize`, which writes nothing, so no map growth can be needed)."""
        try:
            env = lmdb.open(self.path, map_size=self._map_size, subdir=True, create=create,
                            max_dbs=_MAX_DBS, max_readers=_MAX_READERS, lock=True)
        except lmdb.Error as e:
            raise self._fail(f"cannot open the store: {e}", e) from e
        try:
            info, psize = env.info(), env.stat()["psize"]
            size = os.path.getsize(os.path.join(self.path, "data.mdb"))
            if size and size < (info["last_pgno"] + 1) * psize:
                raise self._fail(f"the data file is truncated ({size} bytes, "
                                 f"{(info['last_pgno'] + 1) * psize} expected); restore it from a copy")
            env.reader_check()     # free reader slots left by processes that died (kill -9)
        except BaseException:
            env.close()
            raise
        self._env = env
        self._pid = os.getpid()
        try:
            if locked:
                try:
                    with env.begin(write=True) as txn:
                        self._main, self._meta, self._idx = self._open_dbs(txn)
                except lmdb.Error as e:
                    raise self._fail(f"cannot open the store: {e}", e) from e
            else:
                self._main, self._meta, self._idx = self._write(self._open_dbs, exclusive=True)
        except BaseException:
            env.close()
            self._env = None
            raise

    def _open_dbs(self, txn: lmdb.Transaction) -> tuple:
        env = self._env
        with txn.cursor() as cur:           # the root database lists the named ones
            names = set(cur.iternext(values=False))
        if b"meta" not in names:
            if names:
                raise self._fail("is an LMDB environment but not a seltzer store")
            meta = env.open_db(b"meta", txn=txn)
            txn.put(b"format", FORMAT if self._sealed else FORMAT_UNCHECKED, db=meta)
            txn.put(b"next", _ID.pack(0), db=meta)
            txn.put(b"index", msgpack.packb([]), db=meta)
        else:
            meta = env.open_db(b"meta", txn=txn, create=False)
            fmt = txn.get(b"format", db=meta)
            if fmt not in (FORMAT, FORMAT_UNCHECKED):
                raise self._fail(f"store format {fmt!r} is not supported (this version reads {FORMAT!r})")
            self._sealed = fmt == FORMAT
        main = env.open_db(b"main", txn=txn)
        positions = msgpack.unpackb(txn.get(b"index", db=meta))
        return main, meta, {p: self._index_db(txn, p) for p in positions}

    def _mark(self) -> None:
        """Leave this process's ``open.<pid>`` marker (best effort: a read-only directory has none)."""
        marker = os.path.join(self.path, f"{_MARKER}{os.getpid()}")
        try:
            with open(marker, "ab"):
                pass
            self._marker = marker
        except OSError:
            self._marker = None

    @property
    def checksummed(self) -> bool:
        """True when every record carries a CRC-32 (format 2)."""
        return self._sealed

    def _decode(self, sid: bytes, raw: bytes) -> tuple[tuple, float]:
        """Verify (format 2) and decode one record; a damaged one raises :class:`StoreError`."""
        if self._sealed:
            body = unseal(sid, raw)
            if body is None:
                raise self._damaged(sid, "fails its checksum")
            raw = body
        try:
            return unpack_statement(raw)
        except CodecError as e:
            raise self._damaged(sid, f"does not decode ({e})") from None

    def _damaged(self, sid: bytes, what: str) -> StoreError:
        return self._fail(f"record {_ID.unpack(sid)[0]} {what}: the store is damaged; "
                          "check it (seltzer check PATH) and restore it from a copy")

    def _index_db(self, txn: lmdb.Transaction, pos: int) -> object:
        """The handle of index sub-database ``idx.<pos>``, created if missing."""
        return self._env.open_db(b"idx.%d" % pos, txn=txn, dupsort=True, dupfixed=True)

    def _live(self) -> lmdb.Environment:
        """The environment; refuses in a forked child of the process that opened it."""
        env = self._env
        if env is None:
            raise self._fail("the store is closed")
        if self._pid != os.getpid():
            raise self._fail(
                f"the store was opened by process {self._pid} and cannot be used after fork; "
                "open stores in the process that uses them (e.g. multiprocessing 'spawn')")
        return env

    # ------------------------------------------------------------ the transaction helpers

    def _resize(self, grow: bool) -> None:
        """Grow the map (double it), or adopt the size another process grew it to; mutates the env.

        Called with the writer lock and the exclusive gate held: no transaction of this process runs."""
        env = self._env
        old = env.info()["map_size"]
        try:
            env.set_mapsize(old * 2 if grow else 0)
        except lmdb.Error as e:
            raise self._fail(f"cannot grow the store's map: {e}", e) from e
        if self._verbose and self._report and grow:
            self._report(f"{self.path}: map grown from {_size(old)} to {_size(env.info()['map_size'])}")

    def _write(self, work: Callable[[lmdb.Transaction], object], exclusive: bool = False):
        """Run ``work`` in one write transaction and commit; the one place that handles a full map.

        On ``MapFullError`` the transaction is aborted, the map doubled and ``work`` run again, so
        ``work`` must derive everything it writes from the transaction (or from its closure).
        A write transaction is aborted only while the gate is held exclusively: py-lmdb's abort
        waits until no other thread is inside an LMDB call, which busy readers can put off forever
        (measured: py-lmdb 3.0 starves an abort under four reading threads)."""
        self._live()
        with self._wlock:
            while True:
                gate = self._gate
                gate.enter(exclusive)
                held = exclusive                   # is our place in the gate the exclusive one?
                try:
                    env = self._live()            # taken inside the gate: optimize may reopen
                    txn = env.begin(write=True)
                    try:
                        result = work(txn)
                        txn.commit()
                        return result
                    except BaseException:
                        held = self._hold_exclusive(held)
                        txn.abort()
                        raise
                except (lmdb.MapFullError, lmdb.MapResizedError) as e:
                    held = self._hold_exclusive(held)
                    self._resize(grow=isinstance(e, lmdb.MapFullError))
                except lmdb.Error as e:
                    raise self._fail(_write_failure(e), e) from e
                except CodecError as e:
                    raise self._fail(f"corrupt record in the store: {e}", e) from e
                finally:
                    gate.leave(held)

    def _hold_exclusive(self, held: bool) -> bool:
        """Trade our shared place in the gate for the exclusive one (no-op if held); returns True."""
        if not held:
            self._gate.leave()
            self._gate.enter(True)
        return True

    def _read(self, work: Callable[[lmdb.Transaction], object]):
        """Run ``work`` in one read transaction; results must be copied out (they are: bytes)."""
        self._live()
        while True:
            self._gate.enter()
            try:
                env = self._live()                # taken inside the gate: optimize may reopen
                with env.begin() as txn:
                    return work(txn)
            except lmdb.MapResizedError:
                pass
            except lmdb.Error as e:
                raise self._fail(f"cannot read the store: {e}", e) from e
            except CodecError as e:
                raise self._fail(f"corrupt record in the store: {e}", e) from e
            finally:
                self._gate.leave()
            with self._wlock:                   # adopt the size another process grew the map to
                self._gate.enter(True)
                try:
                    self._resize(False)
                finally:
                    self._gate.leave(True)

    # ------------------------------------------------------------ writing

    def add_many(self, statements: Sequence[Statement], truth: float = 1.0) -> int:
        """Store ``statements`` (tuples of terms) in one transaction; returns the first new id.

        Raises ``TypeError`` for a value that is not a term, ``ValueError`` for a bad truth."""
        if not statements:
            return self._read(lambda txn: _ID.unpack(txn.get(b"next", db=self._meta))[0])
        t0 = perf_counter()
        rows = [pack_statement(s, truth) for s in statements]     # encode before taking the lock
        keyed = {pos: _index_pairs(statements, pos) for pos in self._idx}

        def work(txn: lmdb.Transaction) -> int:
            first = _ID.unpack(txn.get(b"next", db=self._meta))[0]
            ids = [_ID.pack(i) for i in range(first, first + len(rows))]
            if self._sealed:
                crc, pack = zlib.crc32, _CRC.pack
                records = [r + pack(crc(r, i & 0xFFFFFFFF)) for i, r in zip(range(first, first + len(rows)), rows)]
            else:
                records = rows
            with txn.cursor(self._main) as cur:
                cur.putmulti(zip(ids, records), append=True)
            for pos, db in self._idx.items():   # the index may have changed since encoding
                pairs = keyed.get(pos)
                if pairs is None:
                    pairs = _index_pairs(statements, pos)
                with txn.cursor(db) as cur:
                    cur.putmulti([(k, ids[i]) for k, i in pairs])
            txn.put(b"next", _ID.pack(first + len(rows)), db=self._meta)
            return first

        first = self._write(work)
        if self._verbose and self._report:
            dt = perf_counter() - t0
            self._report(f"{self.path}: stored {len(rows)} statements in {dt * 1e3:.1f} ms "
                         f"({dt / len(rows) * 1e6:.1f} µs/statement)")
        return first

    def add(self, statement: Statement, truth: float = 1.0) -> int:
        """Store one statement in its own transaction; returns its id."""
        return self.add_many([statement], truth)

    def delete(self, sid: int) -> bool:
        """Remove the statement with id ``sid`` and its index entries; False if there is none."""
        key = _ID.pack(sid)

        def work(txn: lmdb.Transaction) -> bool:
            raw = txn.get(key, db=self._main)
            if raw is None:
                return False
            args, _ = self._decode(key, raw)
            for pos, db in self._idx.items():
                if pos < len(args):
                    txn.delete(index_key(args[pos]), key, db=db)
            return txn.delete(key, db=self._main)

        return self._write(work)

    def delete_ids(self, ranges: Sequence[tuple[int, int]]) -> int:
        """Remove the statements with ids in each ``(first, count)`` range, in one transaction
        (undoing a failed line's committed batches); returns how many were removed."""
        def work(txn: lmdb.Transaction) -> int:
            n = 0
            for first, count in ranges:
                for sid in range(first, first + count):
                    key = _ID.pack(sid)
                    raw = txn.get(key, db=self._main)
                    if raw is None:
                        continue
                    args, _ = self._decode(key, raw)
                    for pos, db in self._idx.items():
                        if pos < len(args):
                            txn.delete(index_key(args[pos]), key, db=db)
                    n += txn.delete(key, db=self._main)
            return n

        return self._write(work) if ranges else 0

    def restore(self, sid: int, statement: Statement, truth: float = 1.0) -> None:
        """Put a deleted statement back under its old id (undoing a failed line's retract), so
        insertion order is kept."""
        key = _ID.pack(sid)
        body = pack_statement(statement, truth)

        def work(txn: lmdb.Transaction) -> None:
            txn.put(key, seal(key, body) if self._sealed else body, db=self._main, overwrite=False)
            for pos, db in self._idx.items():
                if pos < len(statement):
                    txn.put(index_key(statement[pos]), key, db=db)

        self._write(work)

    def retract(self, args: Sequence) -> bool:
        """Remove the first statement (insertion order) equal to ``args``; True if one was removed.

        Equality is on encoded bytes: exact for ground arguments; with variables, a stored
        statement matches if it is a variant (same shape, same variable sharing). Unification-based
        retraction is done by the caller: :meth:`find`, unify, then :meth:`delete`."""
        target = pack_statement(tuple(args))
        for sid, stored, _ in self.find(args):
            if pack_statement(stored) == target and self.delete(sid):
                return True
        return False

    def set_index(self, positions: Sequence[int]) -> None:
        """Make the indexed positions exactly ``positions``: build new sub-databases, drop others."""
        want = set(positions)
        if any(type(p) is not int or p < 0 for p in want) or len(want) > MAX_INDEXES:
            raise ValueError(f"index positions must be at most {MAX_INDEXES} integers >= 0, got {positions!r}")
        if want == set(self._idx):
            return
        t0 = perf_counter()

        def work(txn: lmdb.Transaction) -> dict:
            # Handles are opened by name on every attempt: dropping a database closes its handle
            # at once, even if the transaction then aborts (a full map), so old ones may be dead.
            idx = {}
            for pos in self._idx:
                db = self._index_db(txn, pos)
                if pos in want:
                    idx[pos] = db
                else:
                    txn.drop(db, delete=True)
            for pos in sorted(want - set(idx)):
                db = self._index_db(txn, pos)
                txn.drop(db, delete=False)           # a leftover from an older build: start clean
                self._build_index(txn, pos, db)
                idx[pos] = db
            txn.put(b"index", msgpack.packb(sorted(want)), db=self._meta)
            return idx

        try:
            self._idx = self._write(work, exclusive=True)
        except BaseException:
            self._idx = self._write(lambda txn: self._open_dbs(txn)[2], exclusive=True)
            raise
        if self._verbose and self._report:
            self._report(f"{self.path}: index set to {sorted(want)} in {(perf_counter() - t0) * 1e3:.1f} ms")

    def _build_index(self, txn: lmdb.Transaction, pos: int, db: object) -> None:
        """Fill index ``db`` for position ``pos`` from every stored statement; mutates ``db``."""
        with txn.cursor(self._main) as main, txn.cursor(db) as out:
            batch = []
            for sid, raw in main.iternext():
                args, _ = self._decode(sid, raw)
                if pos < len(args):
                    batch.append((index_key(args[pos]), sid))
                if len(batch) >= _BUILD_BATCH:
                    batch.sort()
                    out.putmulti(batch)
                    batch = []
            batch.sort()
            out.putmulti(batch)

    # ------------------------------------------------------------ reading

    def count(self) -> int:
        """Number of stored statements (LMDB's entry count: O(1), no scan)."""
        return self._read(lambda txn: txn.stat(self._main)["entries"])

    def index(self) -> tuple[int, ...]:
        """The indexed positions, ascending."""
        return tuple(sorted(self._idx))

    def lookup(self, args: Sequence) -> Iterator[tuple[Statement, float]]:
        """Yield ``(statement, truth)`` for every stored statement that could unify with ``args``.

        May yield a superset (the solver unifies); statements whose arity differs, or that hold a
        different atom where ``args`` has an atom, are left out. A ground argument at an indexed
        position is read from that index (the most selective one, if several); otherwise the store
        is scanned.
        Statements added after the lookup began are not yielded (logical update view)."""
        for _, stmt, truth in self.find(args):
            yield stmt, truth

    def scan(self) -> Iterator[tuple[Statement, float]]:
        """Yield every ``(statement, truth)`` in insertion order."""
        for _, stmt, truth in self.find(None):
            yield stmt, truth

    def find(self, args: Sequence | None) -> Iterator[tuple[int, Statement, float]]:
        """:meth:`lookup` with each statement's id (for :meth:`delete`); ``None`` scans everything."""
        plans, checks = [], []
        if args is not None:
            args = [deref(a) for a in args]
            for pos in sorted(self._idx):
                if pos < len(args):
                    full = term_key(args[pos])
                    if full is not None:
                        key = key_for(full)
                        plans.append((pos, key, full if key is not full else None))
            checks = [(pos, a) for pos, a in enumerate(args) if type(a) in _ATOMS]
        if len(plans) == 1:
            found = self._read(lambda txn: self._fetch_one(txn, plans[0], len(args), checks))
            if found is not None:
                yield from found
                return
        cursor = _Cursor(None if args is None else len(args), plans, checks)
        while not cursor.done:
            yield from self._read(lambda txn: self._fetch(txn, cursor))

    def _has_wild(self, txn: lmdb.Transaction, pos: int) -> bool:
        """Whether index ``pos`` files any statement under the wildcard key: known per committed
        transaction (any writer, any process), so a store of ground statements skips that probe."""
        tid = txn.id()
        if tid != self._wild_txn:
            wild = set()
            for p, db in self._idx.items():
                with txn.cursor(db) as cur:
                    if cur.set_key(WILDCARD_KEY):
                        wild.add(p)
            self._wild, self._wild_txn = frozenset(wild), tid
        return pos in self._wild

    def _fetch_one(self, txn: lmdb.Transaction, plan: tuple, arity: int, checks: list):
        """A lookup through one index, whole, in this one read transaction; None when the bucket
        is large (over a chunk) or the index is gone: then the chunked path does it."""
        pos, key, full = plan
        db = self._idx.get(pos)
        if db is None:
            return None
        with txn.cursor(db) as cur:
            ids = list(islice(cur.iternext_dup(), _MAX_CHUNK)) if cur.set_key(key) else []
            if len(ids) >= _MAX_CHUNK:
                return None
            if self._has_wild(txn, pos) and cur.set_key(WILDCARD_KEY):
                wild = list(islice(cur.iternext_dup(), _MAX_CHUNK))
                if len(wild) + len(ids) >= _MAX_CHUNK:
                    return None
                ids = sorted(ids + wild)
        get, main, decode, unpack = txn.get, self._main, self._decode, _ID.unpack
        out = []
        for sid in ids:
            raw = get(sid, db=main)
            if raw is None:                        # an index entry without its statement: skip
                continue
            stmt, truth = decode(sid, raw)
            if len(stmt) != arity:
                continue
            if full is not None:                   # a hashed key: check the real argument
                k = term_key(stmt[pos])
                if k is not None and k != full:
                    continue
            for p, want in checks:                 # cheap pre-filter: atoms that cannot unify
                x = stmt[p]
                if type(x) is not Var and (type(x) is not type(want) or x != want):
                    break
            else:
                out.append((unpack(sid)[0], stmt, truth))
        return out

    def _fetch(self, txn: lmdb.Transaction, c: _Cursor) -> list[tuple[int, Statement, float]]:
        """Read the next chunk of a lookup; mutates ``c`` to resume after it."""
        if not c.horizon:
            c.horizon = txn.get(b"next", db=self._meta)
            plans = [p for p in c.plans if p[0] in self._idx]
            if len(plans) > 1:
                c.plan = min(plans, key=lambda p: self._bucket_size(txn, p[0], p[1]))
            elif plans:
                c.plan = plans[0]
        elif c.plan is not None and c.plan[0] not in self._idx:
            c.plan = None        # the index was dropped meanwhile: go on by scanning from c.start
        limit = c.limit
        c.limit = min(limit * 4, _MAX_CHUNK)
        if c.plan is None:
            with txn.cursor(self._main) as cur:
                found = cur.set_range(c.start) if c.start else cur.first()
                pairs = list(islice(cur.iternext(), limit)) if found else []
            full = len(pairs) == limit
        else:
            pos, key, _ = c.plan
            with txn.cursor(self._idx[pos]) as cur:
                ids = _dup_ids(cur, key, c.start, limit)
                wild = _dup_ids(cur, WILDCARD_KEY, c.start, limit)
            full = len(ids) == limit or len(wild) == limit or len(ids) + len(wild) > limit
            if wild:                               # merge in id order; what is cut comes next time
                ids = sorted(ids + wild)[:limit]
            get = txn.get
            pairs = [(sid, get(sid, db=self._main)) for sid in ids]
        horizon = c.horizon
        if pairs and pairs[-1][0] >= horizon:
            pairs = [p for p in pairs if p[0] < horizon]
            full = False
        if not full:
            c.done = True
        if pairs:
            c.start = _ID.pack(_ID.unpack(pairs[-1][0])[0] + 1)
        arity, checks = c.arity, c.checks
        verify = c.plan[0] if c.plan is not None and c.plan[2] is not None else None
        out = []
        decode = self._decode
        for sid, raw in pairs:
            if raw is None:                        # an index entry without its statement: skip
                continue
            stmt, truth = decode(sid, raw)
            if arity is not None and len(stmt) != arity:
                continue
            if verify is not None:                 # a hashed key: check the real argument
                k = term_key(stmt[verify])
                if k is not None and k != c.plan[2]:
                    continue
            for pos, want in checks:               # cheap pre-filter: atoms that cannot unify
                x = stmt[pos]
                if type(x) is not Var and (type(x) is not type(want) or x != want):
                    break
            else:
                out.append((_ID.unpack(sid)[0], stmt, truth))
        return out

    def _bucket_size(self, txn: lmdb.Transaction, pos: int, key: bytes) -> int:
        """How many ids index ``pos`` files under ``key`` plus the wildcard (cost of using it)."""
        n = 0
        with txn.cursor(self._idx[pos]) as cur:
            for k in (key, WILDCARD_KEY):
                if cur.set_key(k):
                    n += cur.count()
        return n

    # ------------------------------------------------------------ maintenance

    def stats(self) -> dict:
        """Entries, on-disk bytes, map size, next id and indexed positions of the store."""
        def work(txn: lmdb.Transaction) -> dict:
            return {"entries": txn.stat(self._main)["entries"],
                    "next_id": _ID.unpack(txn.get(b"next", db=self._meta))[0]}
        out = self._read(work)
        out.update(path=self.path, index=list(self.index()), map_size=self._env.info()["map_size"],
                   disk_bytes=os.path.getsize(os.path.join(self.path, "data.mdb")))
        return out

    def optimize(self) -> tuple[int, int]:
        """Compact the store (copy with compaction, swap the data file in atomically, reopen);
        returns the data file's size before and after. Refuses if another process has it open."""
        self._live()
        data = os.path.join(self.path, "data.mdb")
        tmp = os.path.join(self.path, _COMPACT_DIR)
        t0 = perf_counter()
        before = os.path.getsize(data)
        with self._wlock:
            self._gate.enter(True)
            try:
                env = self._live()
                shutil.rmtree(tmp, ignore_errors=True)
                os.mkdir(tmp)
                # Hold the writer mutex: no process can commit between the copy and the swap.
                with env.begin(write=True):
                    env.copy(tmp, compact=True)
                _fsync(os.path.join(tmp, "data.mdb"))
                env.close()
                self._env = None
                swapped = self._swap_in(os.path.join(tmp, "data.mdb"), data)
            except (OSError, lmdb.Error) as e:
                raise self._fail(f"cannot optimize the store: {e}", e) from e
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
                if self._env is None:
                    try:
                        self._open(create=False, locked=True)
                    finally:
                        self._gate.leave(True)
                else:
                    self._gate.leave(True)
        if not swapped:
            raise self._fail("cannot optimize: the store is open in another process; close it there")
        after = os.path.getsize(data)
        if self._verbose and self._report:
            self._report(f"{self.path}: optimized {before} -> {after} bytes in "
                         f"{(perf_counter() - t0) * 1e3:.1f} ms")
        return before, after

    def _swap_in(self, new: str, data: str) -> bool:
        """Replace ``data`` with ``new`` unless another process has the environment open.

        LMDB holds a shared fcntl lock on byte 0 of lock.mdb in every process that has the
        environment open, so an exclusive lock there (taken after closing our own environment)
        proves nobody else does; it also makes other openers wait until the swap is done."""
        fd = os.open(os.path.join(self.path, "lock.mdb"), os.O_RDWR)
        try:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
            except OSError:
                return False
            os.replace(new, data)
            _fsync(self.path)
            return True
        finally:
            os.close(fd)   # releases the lock before we reopen (closing would drop LMDB's too)

    def close(self) -> None:
        """Close the environment (idempotent); later calls raise :class:`StoreError`."""
        env = self._env
        if env is None:
            return
        if self._pid != os.getpid():
            # Inherited through fork: closing would free the parent's reader slot (py-lmdb keeps a
            # cached read transaction), so only drop the reference; its finalizer skips a child.
            self._env = None
            return
        with self._wlock:
            self._gate.enter(True)
            try:
                env.close()
                self._env = None
            finally:
                self._gate.leave(True)
        if self._marker is not None:
            _unlink(self._marker)
            self._marker = None

    def __enter__(self) -> "StatementStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._env is None else f"index={list(self.index())}"
        return f"StatementStore({self.path!r}, {state})"


def _write_failure(e: lmdb.Error) -> str:
    """What a failed write means for the user (LMDB reports a full disk or a file size limit as
    an I/O error of mdb_txn_commit); nothing of the failed transaction was written."""
    text = str(e)
    if isinstance(e, (lmdb.DiskError, lmdb.PanicError)) or any(
            s in text for s in ("Input/output", "No space", "File too large", "quota")):
        return (f"cannot write to the store: the disk is full, a file size limit was reached, or the "
                f"disk failed ({text}); nothing of this write was stored: free some space and retry")
    return f"cannot write to the store: {text}"


def _size(n: int) -> str:
    """A byte count for people: 512 KiB, 3.0 MiB."""
    return f"{n >> 10} KiB" if n < 1 << 20 else f"{n / (1 << 20):.1f} MiB"


def _unlink(path: str) -> None:
    """Remove a file if it is there."""
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync(path: str) -> None:
    """Flush a file's (or a directory's) contents to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
