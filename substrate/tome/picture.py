"""The tome's bare picture (the seed's map tile): strand bars per pixel column, drawn with numpy.

+ strand bars rise above the middle line, - strand bars hang below it, one colour per tissue; each
pixel column shows the mean of the positions falling in it, scaled so the window's largest mean
fills the half height (``vmax`` fixes the scale, so neighbouring tiles of a slippy map match).
Where bars of several tissues overlap the shortest is drawn in front, so every tissue stays visible
as a band.  There is no axis or legend: tiles are laid side by side by a map.  The labelled picture
is :mod:`substrate.tome.figure`.

Memory is bounded whatever the window: :func:`column_means` reads the memory-mapped values in
chunks of :data:`CHUNK_ROWS` rows, so a whole chromosome costs the same as a tile beyond the chunk.
numpy rasterises; pypng only encodes (filtering, zlib, chunks and CRCs), which keeps the module free
of native imaging libraries.
"""
from __future__ import annotations

import io

import numpy as np
import png

__all__ = ["PALETTE", "BACKGROUND", "AXIS", "CHUNK_ROWS", "column_means", "draw", "encode_png"]

#: one RGB colour per tissue (cycled when there are more tissues)
PALETTE = np.array([(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)],
                   dtype=np.uint8)
BACKGROUND = np.array((255, 255, 255), dtype=np.uint8)              # white (draw fills with 255)
AXIS = np.array((96, 96, 96), dtype=np.uint8)
DEFAULT_HEIGHT = 200
#: rows of values read (and widened to float64) at a time
CHUNK_ROWS = 1 << 16


def column_means(positions: np.ndarray, values: np.ndarray, xmin: int, xmax: int, columns: int,
                 tissues: list[int]) -> np.ndarray:
    """Means of each (strand, tissue) over the positions falling in each of ``columns`` equal
    slices of ``[xmin, xmax)``: an array (columns, 2, len(tissues)), NaN where a column has none.

    Zoomed in (fewer positions than columns) a position also covers the columns up to the next
    position's spacing, so a window reads as bars rather than a comb.
    """
    width = len(tissues)
    sums = np.zeros((columns, 2 * width))
    counts = np.zeros(columns, dtype=np.int64)
    n = len(positions)
    if not n or not width or xmax <= xmin:
        return np.full((columns, 2, width), np.nan)
    scale = columns / (xmax - xmin)
    every = list(tissues) == list(range(values.shape[2]))
    for lo in range(0, n, CHUNK_ROWS):
        pos = positions[lo:lo + CHUNK_ROWS]
        column = np.minimum(((pos - xmin).astype(np.float64) * scale).astype(np.intp), columns - 1)
        starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
        block = values[lo:lo + CHUNK_ROWS]          # a view of the memory map: nothing read yet
        if not every:
            block = block[:, :, tissues]
        flat = block.reshape(len(pos), -1)
        sums[column[starts]] += np.add.reduceat(flat, starts, axis=0, dtype=np.float64)
        counts[column[starts]] += np.diff(np.r_[starts, len(pos)])
    means = np.full((columns, 2 * width), np.nan)
    filled = counts > 0
    means[filled] = sums[filled] / counts[filled, None]
    if (~filled).any() and n > 1:
        step = float(np.median(np.diff(positions[:CHUNK_ROWS])))
        cols = np.flatnonzero(~filled)
        left = xmin + cols / scale
        probe = np.searchsorted(positions, left, side="right") - 1
        near = (probe >= 0) & (left - positions[np.maximum(probe, 0)] < step)
        if near.any():
            picked = np.asarray(values[probe[near]][:, :, tissues], dtype=np.float64)
            means[cols[near]] = picked.reshape(len(picked), -1)
    return means.reshape(columns, 2, width)


def draw(positions: np.ndarray, values: np.ndarray, xmin: int, xmax: int, width: int,
         height: int = DEFAULT_HEIGHT, tissues: list[int] | None = None,
         vmax: float | None = None) -> np.ndarray:
    """An RGB picture (height, width, 3) of the window's values: + bars up, - bars down, per tissue.

    ``positions``/``values`` are a window from :meth:`Tome.window`; ``tissues`` picks the tissues
    drawn (default all, each keeping its palette colour); ``vmax`` is the value of a full-height bar
    (default the largest column mean in the picture).
    """
    tissues = list(range(values.shape[2])) if tissues is None else tissues
    image = np.full((height, width, 3), 255, dtype=np.uint8)          # BACKGROUND, at memset speed
    axis = (height - 1) // 2
    image[axis] = AXIS
    if not len(positions) or not tissues or xmax <= xmin:
        return image
    means = np.nan_to_num(column_means(positions, values, xmin, xmax, width, tissues))
    top = float(np.max(means)) if vmax is None else float(vmax)
    colours = PALETTE[np.asarray(tissues) % len(PALETTE)]
    count = len(tissues)
    across = np.arange(width)
    for strand, room in ((0, axis), (1, height - 1 - axis)):
        if room <= 0 or top <= 0:
            continue
        bars = np.clip(np.rint(means[:, strand] / top * room), 0, room).astype(np.int32)  # (width, t)
        order = np.argsort(bars, axis=1, kind="stable")
        # per column, the colour of the k-th shortest bar, then the background once all are passed;
        # 4 bytes a colour so one gather of 32-bit words paints the block
        lut = np.zeros((width, count + 1, 4), dtype=np.uint8)
        lut[:, :count, :3] = colours[order]
        lut[:, count, :3] = BACKGROUND
        words = lut.view(np.uint32).reshape(-1)
        # index[d, c]: how many bars of column c are shorter than d + 1 pixels from the axis, so the
        # shortest bar still reaching a pixel is in front
        distance = np.arange(1, room + 1, dtype=np.int32)[:, None]
        shorter = np.zeros((room, width), dtype=np.uint8)
        for j in range(count):
            shorter += bars[None, :, j] < distance
        index = shorter.astype(np.intp)
        index += across * (count + 1)
        block = words[index].view(np.uint8).reshape(room, width, 4)[:, :, :3]
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
