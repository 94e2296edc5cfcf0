"""The memmap-transcriptome seed's web scheme over a tome folder, as a stdlib WSGI app.

``GET /?seqid=1&xmin=491520&xmax=499712`` answers JSON ``{"+": [...], "-": [...]}``: per-tissue
means of the + (W) and - (C) strands over positions in ``[xmin, xmax)``; ``&tissue=2`` (0-based)
answers the two numbers ``{"+": 0.0074, "-": 0.0092}`` of one tissue.  Adding ``&width=W`` answers a
PNG ``W`` pixels wide (``&height=H``, default 200): + strand bars rise above the middle line, -
strand bars hang below it, one colour per tissue; each pixel column shows the mean of the positions
falling in it, scaled so the window's largest mean fills the half height (``&vmax=V`` fixes the scale,
so neighbouring tiles of a slippy map match).  Where bars of several tissues overlap the shortest is
drawn in front, so every tissue stays visible as a band.

Decisions (the seed is silent):
* An empty range is not an error: JSON answers 200 with ``{"+": null, "-": null}`` and a picture is
  blank (just the middle line), so a map tile beyond the data renders instead of breaking.
* Missing or malformed parameters, ``xmin > xmax``, a tissue out of range → 400 with
  ``{"error": "..."}``; an unknown seqid → 404 with ``{"error": "..."}``; only GET and HEAD.
* Any path is accepted (the scheme lives in the query string), and responses carry
  ``Access-Control-Allow-Origin: *`` so a map page from another origin can fetch them.

numpy rasterises the picture; pypng only encodes it (filtering, zlib, chunks and CRCs), which keeps
this module free of native imaging libraries and lets the tests decode the result with ``png.Reader``.
"""
from __future__ import annotations

import io
import json
import logging
import socketserver
from typing import Callable, Iterable
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import numpy as np
import png

from lang.errors import SeltzerError, StoreError
from .tome import Tome

__all__ = ["make_app", "make_tome_server", "serve", "draw", "encode_png", "PALETTE"]

log = logging.getLogger("seltzer.tome")

#: one RGB colour per tissue (cycled when there are more tissues)
PALETTE = np.array([(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)],
                   dtype=np.uint8)
BACKGROUND = np.array((255, 255, 255), dtype=np.uint8)
AXIS = np.array((96, 96, 96), dtype=np.uint8)
MAX_WIDTH, MAX_HEIGHT, DEFAULT_HEIGHT = 8192, 2048, 200

StartResponse = Callable[..., object]


class _BadRequest(Exception):
    """A request the client must change; becomes an HTTP error with a JSON body."""

    def __init__(self, text: str, status: str = "400 Bad Request") -> None:
        super().__init__(text)
        self.status = status


# ---------------------------------------------------------------------------------------- drawing

def draw(positions: np.ndarray, values: np.ndarray, xmin: int, xmax: int, width: int,
         height: int = DEFAULT_HEIGHT, tissues: list[int] | None = None,
         vmax: float | None = None) -> np.ndarray:
    """An RGB picture (height, width, 3) of the window's values: + bars up, - bars down, per tissue.

    ``positions``/``values`` are a window from :meth:`Tome.window`; ``tissues`` picks the tissues
    drawn (default all, each keeping its palette colour); ``vmax`` is the value of a full-height bar
    (default the largest column mean in the picture).
    """
    tissues = list(range(values.shape[2])) if tissues is None else tissues
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = BACKGROUND
    axis = (height - 1) // 2
    image[axis] = AXIS
    if not len(positions) or not tissues or xmax <= xmin:
        return image
    # mean of each (strand, tissue) over the positions falling in each pixel column
    column = ((positions - xmin) * width // (xmax - xmin)).astype(np.intp)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    flat = np.asarray(values[:, :, tissues], dtype=np.float64).reshape(len(positions), -1)
    sums = np.add.reduceat(flat, starts, axis=0)
    counts = np.diff(np.r_[starts, len(positions)])
    means = np.zeros((width, flat.shape[1]))
    means[column[starts]] = sums / counts[:, None]
    # zoomed in (fewer probes than pixels): a probe also covers the columns up to the next probe
    # spacing, so a window reads as bars rather than a comb
    empty = np.ones(width, dtype=bool)
    empty[column[starts]] = False
    if empty.any() and len(positions) > 1:
        step = float(np.median(np.diff(positions)))
        cols = np.flatnonzero(empty)
        left = xmin + cols * (xmax - xmin) / width
        probe = np.searchsorted(positions, left, side="right") - 1
        near = (probe >= 0) & (left - positions[np.maximum(probe, 0)] < step)
        means[cols[near]] = flat[probe[near]]
    means = means.reshape(width, 2, len(tissues))
    top = float(np.max(means)) if vmax is None else float(vmax)
    colours = PALETTE[np.asarray(tissues) % len(PALETTE)]
    for strand, room in ((0, axis), (1, height - 1 - axis)):
        if room <= 0 or top <= 0:
            continue
        bars = np.clip(np.rint(means[:, strand] / top * room), 0, room).astype(np.intp)  # (width, t)
        order = np.argsort(bars, axis=1, kind="stable")
        sorted_bars = np.take_along_axis(bars, order, axis=1)
        distance = np.arange(1, room + 1)[:, None]                       # pixels from the axis
        # at each pixel the shortest bar still reaching it is in front
        front = np.zeros((room, width), dtype=np.intp)
        for j in range(len(tissues)):
            front += sorted_bars[None, :, j] < distance
        covered = front < len(tissues)
        tissue_at = np.take_along_axis(order, np.minimum(front, len(tissues) - 1).T, axis=1).T
        block = np.where(covered[:, :, None], colours[tissue_at], BACKGROUND)
        if strand == 0:
            image[axis - room:axis] = block[::-1]
        else:
            image[axis + 1:axis + 1 + room] = block
    return image


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an RGB uint8 picture (height, width, 3), encoded by pypng."""
    height, width, _ = image.shape
    out = io.BytesIO()
    png.Writer(width, height, greyscale=False, bitdepth=8, compression=6).write(
        out, image.reshape(height, width * 3))
    return out.getvalue()


# ------------------------------------------------------------------------------------------ WSGI

def _int(params: dict[str, list[str]], name: str, low: int | None = None, high: int | None = None,
         default: int | None = None, required: bool = True) -> int | None:
    """An integer query parameter, checked against [low, high]."""
    if name not in params:
        if required:
            raise _BadRequest(f"missing parameter {name!r}")
        return default
    text = params[name][0].strip()
    try:
        value = int(text)
    except ValueError:
        raise _BadRequest(f"parameter {name!r} must be an integer, not {text!r}") from None
    if (low is not None and value < low) or (high is not None and value > high):
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
        raise _BadRequest(f"parameter {name!r} must be a positive number, not {text!r}")
    return value


def _answer(tome: Tome, query: str) -> tuple[str, bytes]:
    """The content type and body answering one query string; raises _BadRequest."""
    params = parse_qs(query, keep_blank_values=True)
    if "seqid" not in params or not params["seqid"][0].strip():
        raise _BadRequest("missing parameter 'seqid'")
    seqid = params["seqid"][0].strip()
    xmin = _int(params, "xmin")
    xmax = _int(params, "xmax")
    if xmin > xmax:
        raise _BadRequest(f"xmin ({xmin}) must not be greater than xmax ({xmax})")
    try:
        count = tome.tissues(seqid)
    except StoreError:
        known = ", ".join(tome.seqids()) or "none"
        raise _BadRequest(f"unknown seqid {seqid!r} (seqids: {known})", "404 Not Found") from None
    tissue = _int(params, "tissue", 0, count - 1, required=False)
    width = _int(params, "width", 1, MAX_WIDTH, required=False)
    if width is None:
        mean = tome.mean(seqid, xmin, xmax, tissue)
        plus, minus = (None, None) if mean is None else mean
        return "application/json", json.dumps({"+": plus, "-": minus}).encode()
    height = _int(params, "height", 3, MAX_HEIGHT, default=DEFAULT_HEIGHT, required=False)
    positions, values = tome.window(seqid, xmin, xmax)
    image = draw(positions, values, xmin, xmax, width, height,
                 None if tissue is None else [tissue], _float(params, "vmax"))
    return "image/png", encode_png(image)


def make_app(folder: str) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    """A WSGI application serving the tome in ``folder`` with the seed's URL scheme (see module doc).

    Raises :class:`StoreError` at once if the folder does not exist.
    """
    tome = Tome(folder)

    def app(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if method not in ("GET", "HEAD"):
                raise _BadRequest(f"method {method} not allowed; use GET", "405 Method Not Allowed")
            status = "200 OK"
            content_type, body = _answer(tome, environ.get("QUERY_STRING", ""))
        except _BadRequest as e:
            status, content_type = e.status, "application/json"
            body = json.dumps({"error": str(e)}).encode()
        except SeltzerError as e:
            status, content_type = "400 Bad Request", "application/json"
            body = json.dumps({"error": e.message()}).encode()
        except Exception as e:                  # keep serving; say what went wrong
            log.exception("tome request failed")
            status, content_type = "500 Internal Server Error", "application/json"
            body = json.dumps({"error": f"internal error: {type(e).__name__}: {e}"}).encode()
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body))),
                                ("Access-Control-Allow-Origin", "*")])
        return [b""] if method == "HEAD" else [body]

    return app


class _Handler(WSGIRequestHandler):
    """Request handler that logs through :mod:`logging` instead of printing to stderr."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        log.info("%s - %s", self.address_string(), format % args)


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    """wsgiref's server answering each request on its own thread (a map asks for tiles in parallel)."""

    daemon_threads = True


def make_tome_server(folder: str, port: int = 0, host: str = "127.0.0.1") -> WSGIServer:
    """A bound, not yet running server for ``folder``; port 0 picks a free port (``server.server_port``)."""
    return make_server(host, port, make_app(folder), server_class=_ThreadingServer,
                       handler_class=_Handler)


def serve(folder: str, port: int, host: str = "127.0.0.1",
          on_ready: Callable[[WSGIServer], None] | None = None) -> None:
    """Serve ``folder`` on ``host:port`` until ``server.shutdown()`` is called or the process ends.

    ``on_ready(server)`` is called once the socket is bound (the real port is ``server.server_port``),
    so a caller can print the URL or stop the server from another thread.
    """
    server = make_tome_server(folder, port, host)
    try:
        if on_ready is not None:
            on_ready(server)
        server.serve_forever()
    finally:
        server.server_close()
