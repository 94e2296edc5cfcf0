"""IPython / Jupyter extension: ``%load_ext substrate.ipython``.

* ``%%kb`` (cell magic) runs the cell's lines in the notebook's substrate, as a script would:
  knowledge definitions (which may span lines), queries and ``/commands``; what they print shows as
  the cell's output.  Each line is its own transaction: a failing line reports its error, the
  lines after it still run, and the cell then fails with a one-line ``UsageError`` (no traceback)
  so "Run all" stops there.
* ``%kb QUERY`` (line magic) solves one query and returns a :class:`~substrate.results.QueryTable`:
  an HTML table in Jupyter, aligned text in a terminal, ``.to_pandas()`` and friends in code
  (``parents = %kb #parent(:x, :y)``).  A ``/command`` or a definition on the line runs as in a cell.
* The substrate is one per IPython session (notebook-wide) and is put in the user's namespace as
  ``kb`` unless that name is already taken, so Python cells can call ``kb.table(...)``,
  ``kb.load(...)`` and the rest of the API on the same knowledge.

IPython is imported only here: the engine does not depend on it.
"""
from __future__ import annotations

import sys

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from lang.errors import SeltzerError

from .console import Console, classify
from .results import QueryTable
from .substrate import Substrate

__all__ = ["KnowledgeMagics", "load_ipython_extension", "unload_ipython_extension"]


def _print(text: str) -> None:
    """Console output to the current ``sys.stdout`` (the kernel swaps it per cell)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


@magics_class
class KnowledgeMagics(Magics):
    """The ``%kb`` / ``%%kb`` magics over one notebook-wide substrate."""

    def __init__(self, shell, sub: Substrate | None = None) -> None:
        super().__init__(shell)
        self.sub = sub if sub is not None else Substrate()
        self.console = Console(self.sub, _print)

    @line_cell_magic
    def kb(self, line: str, cell: str | None = None):
        """``%kb QUERY`` returns the query's solutions as a table; ``%%kb`` runs a cell of
        knowledge definitions, queries and /commands."""
        if cell is not None:
            if line.strip():
                raise UsageError("%%kb takes no arguments: write the knowledge in the cell")
            self._run_cell(cell)
            return None
        text = line.strip()
        if not text:
            raise UsageError("usage: %kb QUERY (e.g. %kb #parent(:x, :y)), or %%kb with a cell")
        if classify(text) != "query":
            self._run_cell(text)
            return None
        try:
            return QueryTable.run(self.sub, text)
        except SeltzerError as e:
            raise UsageError(e.message()) from None

    def _run_cell(self, text: str) -> None:
        failures = self.console.run_script(text.split("\n"), "<cell>")
        if failures:
            raise UsageError(f"{failures} line{'s' if failures > 1 else ''} of this cell failed "
                             "(the error is printed above; the other lines ran)")


def load_ipython_extension(ipython) -> None:
    """Register the magics (``%load_ext substrate.ipython``)."""
    magics = KnowledgeMagics(ipython)
    ipython.register_magics(magics)
    if "kb" not in ipython.user_ns:
        ipython.push({"kb": magics.sub})


def unload_ipython_extension(ipython) -> None:
    """Close the notebook's substrate (``%unload_ext substrate.ipython``)."""
    manager = ipython.magics_manager
    magics = manager.registry.pop("KnowledgeMagics", None)
    if magics is not None:
        manager.magics["line"].pop("kb", None)
        manager.magics["cell"].pop("kb", None)
        if ipython.user_ns.get("kb") is magics.sub:
            del ipython.user_ns["kb"]
        magics.sub.close()
