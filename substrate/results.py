"""A query's solutions as a table: the query side of the Python API (``kb.table(query)``, ``%kb``).

One column per named variable of the query, in order of first appearance (``_`` is never a column),
one row per solution.  A :class:`QueryTable` is what a data tool expects of a result set:

* ``.columns`` (variable names without the colon), ``.rows`` (tuples of Python values, as
  :meth:`Substrate.query` gives them), ``len()``, iteration of one dict per solution;
* ``.to_pandas()`` (pandas is optional: a clear ImportError names the package), ``.to_arrow()``
  (pyarrow, likewise), ``.to_csv(path)`` / ``.to_csv()`` for the text;
* ``_repr_html_`` (a table in Jupyter) and ``__repr__``/``__str__`` (aligned text in a terminal).

Cells keep the engine's Python values (:func:`lang.terms.to_python`); the exports flatten what a
data frame cannot hold: a symbol becomes its name, an unbound variable a missing value, a compound
its text in the language's syntax, and an Arrow column whose cells share no Arrow type becomes text.
A query whose solutions are not all fully true (truth below 1) gets one more column ``truth``
(``:=`` if a variable is already called ``truth``), so fuzzy answers export their truth values.
"""
from __future__ import annotations

import csv
import html
import io
import time
from typing import Any, Iterator

from lang.printer import show
from lang.terms import Symbol, Var, to_python

__all__ = ["QueryTable", "cell_value"]

#: rows shown by the text and HTML views (all rows stay in ``.rows`` and every export)
SHOWN_ROWS = 50


def cell_value(v: Any) -> Any:
    """A Python value a data frame or CSV cell can hold: numbers and strings as they are, a symbol
    as its name, an unbound variable as None, a list item by item, anything else as its text."""
    t = type(v)
    if t is int or t is float or t is str:
        return v
    if t is Symbol:
        return v.name
    if t is Var:
        return None
    if t is list:
        return [cell_value(x) for x in v]
    return show(v)


def _csv_cell(v: Any) -> Any:
    """A CSV cell: numbers and strings as they are, a symbol as its name, a missing value empty,
    anything else (lists, compounds) in the language's syntax."""
    t = type(v)
    if t is int or t is float or t is str:
        return v
    if t is Symbol:
        return v.name
    if t is Var:
        return ""
    return _display(v)


def _display(v: Any) -> str:
    """A cell's text in a view: the language's syntax (strings quoted, as the console prints)."""
    if type(v) is list:
        return "[" + ", ".join(_display(x) for x in v) + "]"
    if type(v) is Var:
        return "_"
    return show(v)


class QueryTable:
    """The solutions of one query (see the module doc).

    Build it with :meth:`Substrate.table` or :meth:`QueryTable.run`; it holds every solution
    (solving stops at the substrate's time to live: then ``partial`` is True).
    """

    __slots__ = ("query", "columns", "rows", "truths", "partial", "warnings", "elapsed")

    def __init__(self, query: str, columns: list[str], rows: list[tuple], truths: list[float] | None = None,
                 partial: bool = False, warnings: list[str] | None = None, elapsed: float = 0.0) -> None:
        self.query = query
        self.columns = list(columns)
        self.rows = rows
        self.truths = truths if truths is not None else [1.0] * len(rows)
        self.partial = partial
        self.warnings = warnings or []
        self.elapsed = elapsed

    @classmethod
    def run(cls, sub, text: str, ttl: float | None = None, file: str = "<query>") -> "QueryTable":
        """Solve ``text`` on the substrate ``sub`` and collect its solutions.

        Raises the project's errors (a ParseError for a malformed query, with its location).
        """
        from lang.clauses import compile_query
        from lang.parser import parse_query
        from lang.primitives import REGISTRY
        from lang.solver import Machine
        m = Machine(sub, sub.ttl if ttl is None else ttl)
        t0 = time.perf_counter()
        columns: list[str] | None = None
        rows, truths = [], []
        with sub.lock:                  # all solutions are collected at once: one holder at a time
            for answer, truth in sub.solve(text, machine=m, file=file):
                if columns is None:
                    columns = list(answer)
                rows.append(tuple(to_python(answer[c]) for c in columns))
                truths.append(truth)
        elapsed = time.perf_counter() - t0
        if columns is None:         # no solution: the names still come from the query
            columns = list(compile_query(parse_query(text, file), REGISTRY).names)
        warnings = [f"no elemental holds {label}/{n}" for label, n in sorted(m.unknown)]
        if m.partial:
            warnings.append("time to live ran out: the answer may be partial")
        return cls(text.strip(), columns, rows, truths, m.partial, warnings, elapsed)

    # -- rows and columns ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict]:
        """One dict per solution, ``{variable: value}``."""
        columns = self.columns
        for row in self.rows:
            yield dict(zip(columns, row))

    def __getitem__(self, i: int) -> dict:
        return dict(zip(self.columns, self.rows[i]))

    def column(self, name: str) -> list:
        """The values of one variable, one per solution."""
        try:
            j = self.columns.index(name.lstrip(":"))
        except ValueError:
            raise KeyError(f"no variable {name!r} in the query (columns: {', '.join(self.columns)})") from None
        return [row[j] for row in self.rows]

    @property
    def truth_column(self) -> str | None:
        """The name of the exported truth column, or None when every solution is fully true."""
        if all(t >= 1.0 for t in self.truths):
            return None
        return ":=" if "truth" in self.columns else "truth"

    def _export_rows(self) -> tuple[list[str], list[list]]:
        names = list(self.columns)
        rows = [[cell_value(v) for v in row] for row in self.rows]
        if self.truth_column:
            names.append(self.truth_column)
            for row, truth in zip(rows, self.truths):
                row.append(truth)
        return names, rows

    # -- exports ----------------------------------------------------------------------------------
    def to_pandas(self):
        """A pandas DataFrame, one column per variable (pandas is optional)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas() needs pandas: pip install pandas") from None
        names, rows = self._export_rows()
        return pd.DataFrame(rows, columns=names)

    def to_arrow(self):
        """A pyarrow Table, one column per variable (pyarrow is optional)."""
        try:
            import pyarrow as pa
        except ImportError:
            raise ImportError("to_arrow() needs pyarrow: pip install pyarrow") from None
        names, rows = self._export_rows()
        arrays = []
        for j in range(len(names)):
            cells = [row[j] for row in rows]
            try:
                arrays.append(pa.array(cells))
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                raw = [row[j] for row in self.rows]      # the truth column never gets here
                arrays.append(pa.array([None if type(v) is Var else _display(v) for v in raw],
                                       type=pa.string()))
        return pa.Table.from_arrays(arrays, names=names)

    def to_csv(self, path: str | None = None) -> str | int:
        """Write the table as CSV, RFC 4180 (header of variable names, one line per solution).

        With ``path`` the file is written atomically and the number of rows is returned; without,
        the CSV text is returned.  A list cell is written in the language's syntax (``[1, 2]``).
        """
        buf = io.StringIO(newline="")
        writer = csv.writer(buf)        # RFC 4180: CRLF line ends, so a lone CR in a field is quoted
        truth = self.truth_column
        writer.writerow(self.columns + [truth] if truth else self.columns)
        for row, t in zip(self.rows, self.truths):
            cells = [_csv_cell(v) for v in row]
            writer.writerow(cells + [t] if truth else cells)
        if path is None:
            return buf.getvalue()
        from .snapshot import _atomic_write
        data = buf.getvalue().encode("utf-8")
        _atomic_write(path, lambda f: f.write(data))
        return len(self.rows)

    # -- views ------------------------------------------------------------------------------------
    def summary(self) -> str:
        """``N solutions`` with any warning, as the console's summary line says it."""
        n = len(self.rows)
        text = f"{n} solution{'' if n == 1 else 's'}"
        if self.warnings:
            text += " (warning: " + "; ".join(self.warnings) + ")"
        return text

    def _shown(self) -> tuple[list[str], list[list[str]]]:
        names = [":" + c for c in self.columns]
        rows = [[_display(v) for v in row] for row in self.rows[:SHOWN_ROWS]]
        if self.truth_column:
            names.append(":=")
            for row, truth in zip(rows, self.truths):
                row.append(f"{truth:.2f}")
        return names, rows

    def __repr__(self) -> str:
        names, rows = self._shown()
        more = len(self.rows) - len(rows)
        lines = []
        if names:
            widths = [max([len(n)] + [len(r[j]) for r in rows]) for j, n in enumerate(names)]
            lines.append(" | ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip())
            lines.append("-+-".join("-" * w for w in widths))
            lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        elif self.rows:
            lines.append("yes")
        if more > 0:
            lines.append(f"... {more} more rows")
        lines.append("% " + self.summary())
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        names, rows = self._shown()
        more = len(self.rows) - len(rows)
        out = ['<table class="seltzer-table">',
               f"<caption>{html.escape(self.query)} &mdash; {html.escape(self.summary())}</caption>"]
        if names:
            out.append("<thead><tr>" + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "</tr></thead>")
            out.append("<tbody>")
            out += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows]
            if more > 0:
                out.append(f'<tr><td colspan="{len(names)}">&hellip; {more} more rows</td></tr>')
            out.append("</tbody>")
        else:
            out.append(f"<tbody><tr><td>{'yes' if self.rows else 'no'}</td></tr></tbody>")
        out.append("</table>")
        return "\n".join(out)
