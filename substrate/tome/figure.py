"""The tome's labelled picture (``&axes=1``): a matplotlib (Agg) figure people can read.

The bare strip (:mod:`substrate.tome.picture`) is a map tile: no axis, no legend, tissues stacked so
the shortest bar is in front.  This figure is for a person looking at one window:

* an x axis in base pairs (thousands separated) naming the seqid, and a value scale on the y axis;
* the + strand above the zero line and the - strand below it, each labelled in the margin;
* one step line per tissue (the mean of each slice of the window, one slice per two pixels), in the
  tissue's palette colour, with a legend naming each tissue, so no tissue hides another;
* the same ``vmax`` fixes the scale as for tiles.

matplotlib is an optional extra (``pip install 'seltzer[plot]'``); :func:`available` tells whether it
can be imported, so the web service answers a clear 400 instead of failing.  Only the
object-oriented API is used (a ``Figure`` with its own Agg canvas, no pyplot state), and the pixels
are encoded by the same pypng encoder as the strip, so the PNG is exactly ``width`` x ``height``.
"""
from __future__ import annotations

import numpy as np

from .picture import PALETTE, column_means

__all__ = ["available", "draw_axes", "MIN_WIDTH", "MIN_HEIGHT", "INSTALL_HINT"]

MIN_WIDTH, MIN_HEIGHT = 320, 180
INSTALL_HINT = "pip install 'seltzer[plot]'"
_DPI = 100
# margins in pixels: room for the value scale and strand labels, the legend, the x axis and label
_LEFT, _RIGHT, _TOP, _BOTTOM = 66, 26, 30, 42


def available() -> bool:
    """True when matplotlib can be imported (the ``[plot]`` extra is installed)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def draw_axes(positions: np.ndarray, values: np.ndarray, xmin: int, xmax: int, width: int, height: int,
              tissues: list[int] | None = None, vmax: float | None = None,
              seqid: str = "") -> np.ndarray:
    """An RGB picture (height, width, 3) of the window with axes, strand labels and a legend.

    Arguments are those of :func:`substrate.tome.picture.draw`; ``seqid`` names the x axis.
    Raises ImportError when matplotlib is missing (see :func:`available`).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    tissues = list(range(values.shape[2])) if tissues is None else tissues
    figure = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
    canvas = FigureCanvasAgg(figure)
    columns = max(1, min(len(tissues), (width - 16) // 84))           # legend entries per row
    top = _TOP + 13 * (-(-len(tissues) // columns) - 1)                  # one more line per legend row
    box = [_LEFT / width, _BOTTOM / height, 1 - (_LEFT + _RIGHT) / width, 1 - (top + _BOTTOM) / height]
    ax = figure.add_axes(box)
    slices = max(1, int(box[2] * width) // 2)
    span = max(xmax - xmin, 1)
    edges = xmin + np.arange(slices + 1) * (span / slices)
    means = column_means(positions, values, xmin, xmax, slices, tissues)         # (slices, 2, t)
    finite = means[np.isfinite(means)]
    top = float(vmax) if vmax is not None else (float(finite.max()) if finite.size else 0.0)
    top = top if top > 0 else 1.0
    colours = PALETTE[np.asarray(tissues, dtype=np.intp) % len(PALETTE)] / 255.0 if tissues else []
    for j, colour in enumerate(colours):
        for sign, strand in ((1, 0), (-1, 1)):
            ax.stairs(sign * means[:, strand, j], edges, baseline=None, color=colour, linewidth=1.1)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlim(xmin, xmin + span)
    ax.set_ylim(-1.08 * top, 1.08 * top)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=max(2, (width - _LEFT) // 110), integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=max(2, (height - _TOP - _BOTTOM) // 36), symmetric=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{abs(y):g}"))
    ax.tick_params(labelsize=7, length=3)
    ax.set_xlabel(f"position on seqid {seqid} (bp)" if seqid else "position (bp)", fontsize=8, labelpad=2)
    # strand labels in the left margin, each centred on its half, so no data line runs through them
    half = box[3] * height / 2
    for centre, label in ((0.75, "+ strand"), (0.25, "\u2212 strand")):
        text = label + (" (W)" if label[0] == "+" else " (C)") if half >= 64 else label
        figure.text(9 / width, box[1] + centre * box[3], text, rotation=90, ha="center", va="center",
                    fontsize=7, color="0.25")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if tissues:
        handles = [Line2D([], [], color=c, linewidth=2) for c in colours]
        figure.legend(handles, [f"tissue {t}" for t in tissues], loc="upper center", ncol=columns,
                      fontsize=7, frameon=False, bbox_to_anchor=(0.5, 1.0),
                      handlelength=1.5, columnspacing=1.2)
    if not len(positions):
        ax.text(0.5, 0.5, "no data in this window", transform=ax.transAxes, ha="center", va="center",
                fontsize=8, color="0.4")
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    image = np.full((height, width, 3), 255, dtype=np.uint8)
    h, w = min(height, rgba.shape[0]), min(width, rgba.shape[1])
    image[:h, :w] = rgba[:h, :w, :3]
    return image
