"""Checking a store's health without risking the process that asks (``/check``, ``seltzer check``).

LMDB keeps no checksums and answers some damaged pages by aborting the whole process (its
``IS_LEAF(mp)`` assertion, or a segmentation fault), so a store that may be damaged is walked
in a *child* process: :func:`check_in_child` runs this module (``python -m
substrate.store.check --json PATH``) and turns a child killed by a signal into a report that
the store's pages are damaged. The walk itself (:func:`walk`) opens the environment read-only
and reads every page of every sub-database:

* the full form verifies each record's CRC-32 (format 2) and decodes it, checks that every
  index entry points at a record holding that key, and that every record is in each index;
* the quick form (``quick=True``) verifies each record's CRC-32 (decoding only in an
  unchecked format-1 store) and walks every index page, without the cross-checks. It is what
  loading a store definition runs when some process did not close the store cleanly.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import lmdb
import msgpack

from ..codec import CodecError, WILDCARD_KEY, index_key, unpack_statement
from .store import _ID, _MAX_DBS, FORMAT, FORMAT_UNCHECKED, unseal

__all__ = ["walk", "check_in_child", "format_report", "main"]

_SHOWN = 10          # problems listed by name; the rest are counted
_ROOT = Path(__file__).resolve().parent.parent.parent


class _Report:
    """What a walk found; ``problems`` names the first few, the counters count all."""

    def __init__(self, path: str, quick: bool) -> None:
        self.d: dict[str, Any] = {"path": path, "form": "quick" if quick else "full", "format": None,
                                  "pages": 0, "records": 0, "index_entries": 0,
                                  "checksum_failures": 0, "undecodable": 0, "index_problems": 0,
                                  "problems": [], "ok": True}

    def problem(self, counter: str | None, text: str) -> None:
        d = self.d
        if counter:
            d[counter] += 1
        d["ok"] = False
        if len(d["problems"]) < _SHOWN:
            d["problems"].append(text)


def _pages(stat: dict) -> int:
    return stat["branch_pages"] + stat["leaf_pages"] + stat["overflow_pages"]


def walk(path: str, quick: bool = False) -> dict:
    """Walk the store at ``path`` in this process (which LMDB may abort on a damaged page:
    call it in a child, see :func:`check_in_child`); returns the report as a dict."""
    path = os.path.abspath(path)
    rep = _Report(path, quick)
    data = os.path.join(path, "data.mdb")
    if not os.path.isfile(data):
        rep.problem(None, "no store here (no data.mdb)")
        return rep.d
    try:
        env = lmdb.open(path, readonly=True, subdir=True, create=False, max_dbs=_MAX_DBS, lock=True)
    except lmdb.Error as e:
        rep.problem(None, f"cannot open: {e}")
        return rep.d
    try:
        info, psize = env.info(), env.stat()["psize"]
        size = os.path.getsize(data)
        if size < (info["last_pgno"] + 1) * psize:      # reading past the end would SIGBUS
            rep.problem(None, f"the data file is truncated ({size} bytes, "
                              f"{(info['last_pgno'] + 1) * psize} expected)")
            return rep.d
        with env.begin() as txn:
            _walk(env, txn, rep, quick)
    except lmdb.Error as e:
        rep.problem(None, f"LMDB error while reading: {e}")
    finally:
        env.close()
    return rep.d


def _walk(env: lmdb.Environment, txn: lmdb.Transaction, rep: _Report, quick: bool) -> None:
    d = rep.d
    d["pages"] += _pages(txn.stat(env.open_db(None)))
    with txn.cursor() as cur:
        names = set(cur.iternext(values=False))
    if b"meta" not in names:
        rep.problem(None, "not a seltzer store (no meta database)")
        return
    meta = env.open_db(b"meta", txn=txn, create=False)
    fmt = txn.get(b"format", db=meta)
    if fmt not in (FORMAT, FORMAT_UNCHECKED):
        rep.problem(None, f"unknown store format {fmt!r}")
        return
    d["format"] = fmt.decode()
    sealed = fmt == FORMAT
    try:
        nxt = _ID.unpack(txn.get(b"next", db=meta))[0]
        positions = msgpack.unpackb(txn.get(b"index", db=meta))
        if type(positions) is not list or not all(type(p) is int and p >= 0 for p in positions):
            raise ValueError(positions)
    except Exception as e:          # any damage to the meta records
        rep.problem(None, f"the meta records are damaged ({type(e).__name__})")
        return
    d["pages"] += _pages(txn.stat(meta))
    main = env.open_db(b"main", txn=txn, create=False)
    d["pages"] += _pages(txn.stat(main))
    idx = {}
    for p in positions:
        if b"idx.%d" % p not in names:
            rep.problem("index_problems", f"index {p} is listed but missing")
            continue
        idx[p] = env.open_db(b"idx.%d" % p, txn=txn, create=False, dupsort=True, dupfixed=True)
        d["pages"] += _pages(txn.stat(idx[p]))
    decode = not quick or not sealed
    with txn.cursor(main) as cur:
        for sid, raw in cur.iternext():
            d["records"] += 1
            if len(sid) != 8:
                rep.problem("undecodable", f"a record has a malformed key {sid!r}")
                continue
            n = _ID.unpack(sid)[0]
            if n >= nxt:
                rep.problem("index_problems", f"record {n} is beyond the next id {nxt}")
            if sealed:
                body = unseal(sid, raw)
                if body is None:
                    rep.problem("checksum_failures", f"record {n} fails its checksum")
                    continue
                raw = body
            if not decode:
                continue
            try:
                args, _truth = unpack_statement(raw)
            except CodecError:
                rep.problem("undecodable", f"record {n} does not decode")
                continue
            if quick:
                continue
            for p, db in idx.items():              # every record is in each of its indexes
                if p < len(args) and not txn.cursor(db).set_key_dup(index_key(args[p]), sid):
                    rep.problem("index_problems", f"record {n} is missing from index {p}")
    for p, db in idx.items():
        with txn.cursor(db) as cur:
            for key, sid in cur.iternext():
                d["index_entries"] += 1
                if quick:
                    continue
                raw = txn.get(sid, db=main) if len(sid) == 8 else None
                if raw is None:
                    rep.problem("index_problems", f"index {p} points at a missing record {sid.hex()}")
                    continue
                body = unseal(sid, raw) if sealed else raw
                if body is None:
                    continue                            # reported with the record
                try:
                    args, _truth = unpack_statement(body)
                except CodecError:
                    continue
                if p >= len(args) or (index_key(args[p]) != key and key != WILDCARD_KEY):
                    rep.problem("index_problems",
                                f"index {p} files record {_ID.unpack(sid)[0]} under the wrong key")


def check_in_child(path: str, quick: bool = False, timeout: float | None = None) -> dict:
    """Walk the store at ``path`` in a child process; a child killed by LMDB (SIGABRT, SIGSEGV,
    SIGBUS on damaged pages) is reported as damage, never felt by this process."""
    cmd = [sys.executable, "-m", "substrate.store.check", "--json"] + (["--quick"] if quick else []) + [path]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_ROOT), os.environ.get("PYTHONPATH", "")])}
    rep = _Report(os.path.abspath(path), quick)
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                             stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        rep.problem(None, f"the check did not finish in {timeout:g} s")
        return rep.d
    except OSError as e:
        rep.problem(None, f"cannot start the checking process: {e.strerror}")
        return rep.d
    if res.returncode < 0:
        try:
            name = signal.Signals(-res.returncode).name
        except ValueError:
            name = f"signal {-res.returncode}"
        rep.problem(None, f"reading its pages crashed the checking process ({name}): "
                          "the store's pages are damaged")
        return rep.d
    lines = res.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        rep.problem(None, "the checking process failed: " + (res.stderr.strip().splitlines() or ["?"])[-1])
        return rep.d


def format_report(d: dict) -> str:
    """A report as the lines ``/check`` and ``seltzer check`` print."""
    head = "healthy" if d["ok"] else "DAMAGED"
    fmt = f", {d['format']}" if d.get("format") else ""
    lines = [f"{d['path']}: {head} ({d['form']} check{fmt}): {d['pages']} pages, {d['records']} records, "
             f"{d['index_entries']} index entries, {d['checksum_failures']} checksum failures"]
    extra = [f"{d[k]} {k.replace('_', ' ')}" for k in ("undecodable", "index_problems") if d.get(k)]
    if extra:
        lines.append("  " + ", ".join(extra))
    lines += ["  " + p for p in d["problems"]]
    total = d["checksum_failures"] + d.get("undecodable", 0) + d.get("index_problems", 0)
    if total > len(d["problems"]) and d["problems"]:
        lines.append(f"  ... and {total - len(d['problems'])} more")
    if not d["ok"]:
        lines.append("  restore the store from a copy (or rebuild it from its source data)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m substrate.store.check [--quick] [--json] PATH``: 0 healthy, 1 damaged."""
    import argparse
    p = argparse.ArgumentParser(prog="seltzer check", description="Check an LMDB store's health.")
    p.add_argument("path")
    p.add_argument("--quick", action="store_true", help="checksums and pages only, no cross-checks")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    a = p.parse_args(argv)
    d = walk(a.path, a.quick)
    print(json.dumps(d) if a.json else format_report(d), flush=True)
    return 0 if d["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
