"""The memmap-transcriptome seed's web scheme over a tome folder: a WSGI app served by waitress.

``GET /?seqid=1&xmin=491520&xmax=499712`` answers JSON ``{"+": [...], "-": [...]}``: per-tissue
means of the + (W) and - (C) strands over positions in ``[xmin, xmax)``; ``&tissue=2`` (0-based)
answers the two numbers ``{"+": 0.0074, "-": 0.0092}`` of one tissue.  Adding ``&width=W`` answers a
PNG ``W`` pixels wide (``&height=H``, default 200): the bare strip of the seed, made to be a slippy
map's tile (:mod:`substrate.tome.picture`; ``&vmax=V`` fixes the scale so neighbouring tiles match).
``&axes=1`` answers the labelled picture instead (:mod:`substrate.tome.figure`: x axis in base pairs,
value scale, strand labels, a legend naming each tissue); it needs matplotlib, the ``[plot]`` extra,
and without it the answer is a 400 saying how to install it.

Decisions (the seed is silent):
* An empty range is not an error: JSON answers 200 with ``{"+": null, "-": null}`` and a picture is
  blank (just the middle line), so a map tile beyond the data renders instead of breaking.
* Missing or malformed parameters, ``xmin > xmax``, a position beyond +-2**53, a tissue out of
  range, a picture over :data:`MAX_PIXELS` → 400 with ``{"error": "..."}``; an unknown seqid → 404;
  only GET and HEAD (405 otherwise).  Any path is accepted: the scheme lives in the query string.
* No ``Access-Control-Allow-Origin`` header unless the service is started with ``cors=ORIGIN``
  (``--cors``): any page the user's browser opens could otherwise read the data.
* Bounded work: waitress serves with a fixed number of worker threads (``threads``, default 4)
  and keeps idle connections in its event loop, not in threads, closing them after
  :data:`IDLE_TIMEOUT` s (up to 1000 open connections); the listen backlog is :data:`BACKLOG`.  At most :data:`MAX_RENDERS`
  pictures are drawn at once (a request waiting longer than :data:`RENDER_WAIT` s for its turn gets
  503 with ``Retry-After``), labelled pictures one at a time (matplotlib shares state between
  threads), and every picture reads its window in bounded chunks, so peak memory does not grow with
  the window or the number of clients.
* One line per request in the common log format goes to ``access_log`` (``serve-tome`` prints it).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from typing import Callable, Iterable
from urllib.parse import parse_qs

from lang.errors import SeltzerError, StoreError
from .picture import DEFAULT_HEIGHT, PALETTE, draw, encode_png
from .tome import Tome

__all__ = ["make_app", "make_tome_server", "TomeServer", "serve", "add_serve_arguments", "serve_command",
           "draw", "encode_png", "PALETTE", "MAX_WIDTH", "MAX_HEIGHT", "MAX_PIXELS", "MAX_RENDERS"]

log = logging.getLogger("seltzer.tome")

MAX_WIDTH, MAX_HEIGHT = 4096, 2048
#: the largest picture, in pixels (4096 x 1024): bounds one render's memory to tens of MB
MAX_PIXELS = 4096 * 1024
#: pictures drawn at the same time, and how long a request waits for its turn
MAX_RENDERS, RENDER_WAIT = 2, 20.0
#: positions are exact in float64 up to here; anything larger cannot be a base pair
POSITION_LIMIT = 2 ** 53
THREADS, IDLE_TIMEOUT, BACKLOG = 4, 30, 1024

StartResponse = Callable[..., object]


class _BadRequest(Exception):
    """A request the client must change; becomes an HTTP error with a JSON body."""

    def __init__(self, text: str, status: str = "400 Bad Request", headers: list | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.headers = headers or []


# ---------------------------------------------------------------------------------------- queries

def _int(params: dict[str, list[str]], name: str, low: int, high: int, default: int | None = None,
         required: bool = True) -> int | None:
    """An integer query parameter, checked against [low, high]."""
    if name not in params:
        if required:
            raise _BadRequest(f"missing parameter {name!r}")
        return default
    text = params[name][0].strip()
    try:
        value = int(text) if len(text) <= 40 else None
    except ValueError:
        value = None
    if value is None:
        raise _BadRequest(f"parameter {name!r} must be an integer, not {text[:40]!r}")
    if not low <= value <= high:
        raise _BadRequest(f"parameter {name!r} must be in {low}..{high}, not {value}")
    return value


def _float(params: dict[str, list[str]], name: str) -> float | None:
    """An optional positive number parameter."""
    if name not in params:
        return None
    text = params[name][0].strip()
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise _BadRequest(f"parameter {name!r} must be a positive number, not {text[:40]!r}")
    return value


def _flag(params: dict[str, list[str]], name: str) -> bool:
    """An optional yes/no parameter: 1/true/yes or 0/false/no."""
    if name not in params:
        return False
    text = params[name][0].strip().lower()
    if text in ("1", "true", "yes", ""):
        return True
    if text in ("0", "false", "no"):
        return False
    raise _BadRequest(f"parameter {name!r} must be 1 or 0, not {text[:40]!r}")


class _Renders:
    """At most MAX_RENDERS pictures at once; labelled (matplotlib) ones one at a time."""

    def __init__(self, limit: int = MAX_RENDERS, wait: float = RENDER_WAIT) -> None:
        self.slots = threading.BoundedSemaphore(limit)
        self.figure = threading.Lock()
        self.wait = wait

    def run(self, axes: bool, render: Callable[[], bytes]) -> bytes:
        busy = _BadRequest("too many pictures are being drawn; try again shortly",
                           "503 Service Unavailable", [("Retry-After", "2")])
        deadline = time.monotonic() + self.wait
        if not self.slots.acquire(timeout=self.wait):
            raise busy
        try:
            if not axes:
                return render()
            if not self.figure.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise busy
            try:
                return render()
            finally:
                self.figure.release()
        finally:
            self.slots.release()


def _answer(tome: Tome, query: str, renders: _Renders) -> tuple[str, bytes]:
    """The content type and body answering one query string; raises _BadRequest."""
    params = parse_qs(query, keep_blank_values=True, max_num_fields=32)
    if "seqid" not in params or not params["seqid"][0].strip():
        raise _BadRequest("missing parameter 'seqid'")
    seqid = params["seqid"][0].strip()
    xmin = _int(params, "xmin", -POSITION_LIMIT, POSITION_LIMIT)
    xmax = _int(params, "xmax", -POSITION_LIMIT, POSITION_LIMIT)
    if xmin > xmax:
        raise _BadRequest(f"xmin ({xmin}) must not be greater than xmax ({xmax})")
    try:
        count = tome.tissues(seqid)
    except StoreError:
        known = ", ".join(tome.seqids()) or "none"
        raise _BadRequest(f"unknown seqid {seqid!r} (seqids: {known})", "404 Not Found") from None
    tissue = _int(params, "tissue", 0, count - 1, required=False)
    width = _int(params, "width", 1, MAX_WIDTH, required=False)
    axes = _flag(params, "axes")
    if width is None:
        if axes or "height" in params:
            raise _BadRequest("a picture needs 'width' (axes and height apply to pictures)")
        mean = tome.mean(seqid, xmin, xmax, tissue)
        plus, minus = (None, None) if mean is None else mean
        return "application/json", json.dumps({"+": plus, "-": minus}).encode()
    height = _int(params, "height", 3, MAX_HEIGHT, default=DEFAULT_HEIGHT, required=False)
    if width * height > MAX_PIXELS:
        raise _BadRequest(f"a picture of {width} x {height} pixels is larger than {MAX_PIXELS:,} pixels")
    vmax = _float(params, "vmax")
    tissues = None if tissue is None else [tissue]
    positions, values = tome.window(seqid, xmin, xmax)
    if not axes:
        return "image/png", renders.run(False, lambda: encode_png(
            draw(positions, values, xmin, xmax, width, height, tissues, vmax)))
    from . import figure
    if not figure.available():
        raise _BadRequest(f"axes=1 needs matplotlib, which is not installed ({figure.INSTALL_HINT}); "
                          "without axes the bare picture needs nothing more")
    if width < figure.MIN_WIDTH or height < figure.MIN_HEIGHT:
        raise _BadRequest(f"a picture with axes must be at least {figure.MIN_WIDTH} x {figure.MIN_HEIGHT} "
                          f"pixels, not {width} x {height}")
    return "image/png", renders.run(True, lambda: encode_png(
        figure.draw_axes(positions, values, xmin, xmax, width, height, tissues, vmax, seqid)))


# ------------------------------------------------------------------------------------------ WSGI

def _common_log(environ: dict, status: str, size: int) -> str:
    """One request in the common log format: host ident user [time] "request" status bytes."""
    query = environ.get("QUERY_STRING", "")
    target = environ.get("PATH_INFO", "/") + ("?" + query if query else "")
    request = f'{environ.get("REQUEST_METHOD", "-")} {target} {environ.get("SERVER_PROTOCOL", "HTTP/1.1")}'
    request = request.replace("\\", "\\\\").replace('"', '\\"')
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime())
    return f'{environ.get("REMOTE_ADDR", "-")} - - [{stamp}] "{request}" {status.split()[0]} {size}'


def make_app(folder: str, cors: str | None = None, access_log: Callable[[str], None] | None = None,
             renders: _Renders | None = None) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    """A WSGI application serving the tome in ``folder`` with the seed's URL scheme (see module doc).

    ``cors`` is the one origin allowed to read the answers from a browser (none by default);
    ``access_log`` receives one common-log-format line per request.  Raises :class:`StoreError` at
    once if the folder does not exist.
    """
    tome = Tome(folder)
    renders = renders or _Renders()

    def app(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        extra: list[tuple[str, str]] = []
        try:
            if method not in ("GET", "HEAD"):
                raise _BadRequest(f"method {method} not allowed; use GET", "405 Method Not Allowed",
                                  [("Allow", "GET, HEAD")])
            status = "200 OK"
            content_type, body = _answer(tome, environ.get("QUERY_STRING", ""), renders)
        except _BadRequest as e:
            status, content_type, extra = e.status, "application/json", e.headers
            body = json.dumps({"error": str(e)}).encode()
        except SeltzerError as e:
            status, content_type = "400 Bad Request", "application/json"
            body = json.dumps({"error": e.message()}).encode()
        except MemoryError:
            status, content_type = "503 Service Unavailable", "application/json"
            body = json.dumps({"error": "out of memory for this request; ask for a smaller one"}).encode()
        except Exception as e:                  # keep serving; say what went wrong
            log.exception("tome request failed")
            status, content_type = "500 Internal Server Error", "application/json"
            body = json.dumps({"error": f"internal error: {type(e).__name__}: {e}"}).encode()
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))] + extra
        if cors:
            headers += [("Access-Control-Allow-Origin", cors), ("Vary", "Origin")]
        start_response(status, headers)
        if access_log is not None:
            access_log(_common_log(environ, status, 0 if method == "HEAD" else len(body)))
        return [b""] if method == "HEAD" else [body]

    return app


def _connection_limit() -> int:
    """Open connections served at once: 1000, or fewer when the process may not open that many
    files (idle ones cost a socket each, not a thread, and are closed after IDLE_TIMEOUT)."""
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return 200
    if soft == resource.RLIM_INFINITY:
        return 1000
    return max(16, min(1000, soft - 64))


class TomeServer:
    """A bound waitress server for a tome folder: :meth:`serve_forever` in one thread,
    :meth:`shutdown` from another.  ``port`` is the real port (useful when asked for port 0)."""

    def __init__(self, folder: str, port: int = 0, host: str = "127.0.0.1", *, cors: str | None = None,
                 threads: int = THREADS, access_log: Callable[[str], None] | None = None) -> None:
        from waitress.server import create_server
        app = make_app(folder, cors, access_log)
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)   # queue depth is expected under load
        self._server = create_server(app, host=host, port=port, threads=threads, backlog=BACKLOG,
                                     channel_timeout=IDLE_TIMEOUT, cleanup_interval=min(IDLE_TIMEOUT, 10),
                                     connection_limit=_connection_limit(), ident="seltzer",
                                     expose_tracebacks=False, clear_untrusted_proxy_headers=True)
        self.host, self.port = self._server.effective_host, int(self._server.effective_port)
        self._stop = threading.Event()
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def serve_forever(self) -> None:
        """Answer requests until :meth:`shutdown` (or KeyboardInterrupt)."""
        from waitress import wasyncore
        socket_map = self._server._map
        try:
            while not self._stop.is_set() and socket_map:
                wasyncore.loop(timeout=0.25, map=socket_map, use_poll=True, count=1)
        finally:
            self._server.task_dispatcher.shutdown()
            wasyncore.close_all(socket_map)
            self._stopped.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop :meth:`serve_forever` (from another thread) and wait for it to return."""
        self._stop.set()
        self._stopped.wait(timeout)

    def close(self) -> None:
        """Release the socket of a server that was never run."""
        from waitress import wasyncore
        self._server.task_dispatcher.shutdown()
        wasyncore.close_all(self._server._map)


def make_tome_server(folder: str, port: int = 0, host: str = "127.0.0.1", **options) -> TomeServer:
    """A bound, not yet running server for ``folder`` (see :class:`TomeServer`)."""
    return TomeServer(folder, port, host, **options)


def serve(folder: str, port: int, host: str = "127.0.0.1",
          on_ready: Callable[[TomeServer], None] | None = None, **options) -> None:
    """Serve ``folder`` on ``host:port`` until ``server.shutdown()`` is called or the process ends.

    ``on_ready(server)`` is called once the socket is bound (the real port is ``server.port``),
    so a caller can print the URL or stop the server from another thread.
    """
    server = make_tome_server(folder, port, host, **options)
    if on_ready is not None:
        on_ready(server)
    server.serve_forever()


# ------------------------------------------------------------------------------------------- CLI

def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be in 0..65535 (0 picks a free one), not {value}")
    return value


def _threads(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"threads must be in 1..64, not {text!r}")
    return value


def add_serve_arguments(p: argparse.ArgumentParser) -> None:
    """The ``seltzer serve-tome`` arguments."""
    p.add_argument("folder", metavar="FOLDER", help="a tome folder written by /import.tome")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; "
                   "0.0.0.0 for every interface)")
    p.add_argument("--port", type=_port, default=8080, metavar="N", help="port (default 8080; 0 picks a free one)")
    p.add_argument("--cors", metavar="ORIGIN", help="let web pages from ORIGIN (e.g. https://maps.example.org) "
                   "read the answers; none by default")
    p.add_argument("--threads", type=_threads, default=THREADS, metavar="N",
                   help=f"requests answered at once (default {THREADS})")


def serve_command(args: argparse.Namespace) -> int:
    """Run ``seltzer serve-tome``: print the URL, then one common-log line per request."""
    def out(text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    try:
        server = TomeServer(args.folder, args.port, args.host, cors=args.cors, threads=args.threads,
                            access_log=out)
    except SeltzerError as e:
        print("error: " + e.message(), file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 1
    except ValueError as e:                 # waitress: an address it cannot resolve
        print(f"error: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    out(f"serving {args.folder} on {server.url} (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
