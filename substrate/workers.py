"""Parse workers: a few child processes that read, parse and compile .kb files for /load.

A worker is a fresh interpreter (``python -m substrate.workers FD``) started once and kept for
later loads. It talks to this process over one socket of its own (a ``multiprocessing.Pipe``
end, passed as FD): it receives a job ``(key, path)``, sends ``(key, "progress", bytes)`` now
and then while it parses, and ``(key, "done", (compiled, error))`` at the end. Messages are read
by this process itself, between its own pieces of work (:meth:`Pool.poll`), so every progress
callback runs in the thread that asked for the load.

Why not multiprocessing's pools (decided in docs/decisions.md, "Parse workers"): their queues
use named semaphores, which the resource tracker reports as leaked (a warning on stderr) when
this process is killed, and a worker started from the fork server re-imports ``__main__`` and
can be hit by a Ctrl-C while it starts (a KeyboardInterrupt traceback); a worker that is a
plain child process shares nothing but its socket. It inherits no open store (exec), runs in
its own session (a Ctrl-C typed at the terminal never reaches it) and ignores SIGINT anyway,
writes nothing to the terminal (its stderr is /dev/null: the loading process redoes a file
whose worker failed, and reports that file's errors itself), and leaves when its socket
closes, so it never outlives this process.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from multiprocessing import Pipe
from multiprocessing.connection import Connection, wait
from typing import Any, Callable

__all__ = ["Pool", "serve"]


class _Worker:
    __slots__ = ("proc", "conn", "job")

    def __init__(self, proc: subprocess.Popen, conn: Connection) -> None:
        self.proc = proc
        self.conn = conn
        self.job: Any = None       # the key of the job it works on, None when idle


def _source_root() -> str:
    """The folder holding the ``substrate`` package (a worker imports it from there)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Pool:
    """Up to ``size`` worker processes, started when first needed and kept for later loads.

    ``broken`` turns true when a worker cannot start or dies: the caller then does the work
    itself, and the next load starts a new pool."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.workers: list[_Worker] = []
        self.broken = False

    def idle(self) -> int:
        """How many jobs could start now (idle workers plus workers not yet started)."""
        if self.broken:
            return 0
        return sum(1 for w in self.workers if w.job is None) + self.size - len(self.workers)

    def start(self, key: Any, path: str) -> bool:
        """Give the job to an idle worker (starting one if needed); False if none can take it."""
        if self.broken:
            return False
        w = next((w for w in self.workers if w.job is None), None)
        if w is None and len(self.workers) < self.size:
            w = self._spawn()
        if w is None:
            return False
        try:
            w.conn.send((key, path))
        except (OSError, ValueError):
            self._lose(w)
            return False
        w.job = key
        return True

    def _spawn(self) -> _Worker | None:
        ours, theirs = Pipe()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_source_root(), env.get("PYTHONPATH")) if p)
        try:
            proc = subprocess.Popen([sys.executable, "-m", "substrate.workers", str(theirs.fileno())],
                                    pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True, env=env)
        except (OSError, ValueError, subprocess.SubprocessError):
            ours.close()
            self.broken = True
            return None
        finally:
            theirs.close()
        w = _Worker(proc, ours)
        self.workers.append(w)
        return w

    def poll(self, timeout: float | None = 0.0) -> list[tuple]:
        """Messages that have arrived, as ``(key, kind, payload)``; waits up to ``timeout``
        seconds for the first one. A worker that died reports ``(key, "lost", None)``."""
        busy = [w for w in self.workers if w.job is not None]
        if not busy:
            return []
        out = []
        for conn in wait([w.conn for w in busy], timeout):
            w = next(w for w in busy if w.conn is conn)
            while w.job is not None:
                try:
                    key, kind, payload = conn.recv()
                except (EOFError, OSError):
                    out.append((w.job, "lost", None))
                    self._lose(w)
                    break
                out.append((key, kind, payload))
                if kind != "progress":
                    w.job = None
                if not conn.poll():
                    break
        return out

    def _lose(self, w: _Worker) -> None:
        self.broken = True
        self._stop(w)

    def _stop(self, w: _Worker) -> None:
        if w in self.workers:
            self.workers.remove(w)
        w.conn.close()
        if w.proc.poll() is None:
            w.proc.kill()
        w.proc.wait()

    def cancel(self) -> None:
        """Stop the workers busy with a job nobody will read (an interrupted or failed load)."""
        for w in [w for w in self.workers if w.job is not None]:
            self._stop(w)

    def close(self) -> None:
        """Stop every worker: idle ones leave when their socket closes, busy ones are killed."""
        self.cancel()
        for w in list(self.workers):
            w.conn.close()
            try:
                w.proc.wait(1.0)
            except subprocess.TimeoutExpired:
                w.proc.kill()
                w.proc.wait()
            self.workers.remove(w)


def serve(conn: Connection) -> None:
    """A worker's life: compile the files it is sent until its socket closes (this process gone
    or done with it), which ends it quietly whatever it was doing."""
    from .loader import compile_reporting
    from .memory import give_back
    while True:
        try:
            key, path = conn.recv()
        except (EOFError, OSError):
            return
        send: Callable = conn.send
        try:
            try:
                send((key, "done", compile_reporting(path, lambda done: send((key, "progress", done)))))
            except (OSError, EOFError):
                raise
            except Exception:  # a bug, a result too deep to send: the loading process redoes
                send((key, "failed", None))  # the file itself and reports it properly
        except (OSError, EOFError):
            return
        give_back()                  # an idle worker holds no heap the parse left behind


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(Connection(int(sys.argv[1])))
