"""Console primitives: output and running console lines from knowledge."""
from __future__ import annotations

from .registry import primitive
from .strings import as_text


@primitive("console.puts", "any", variadic=0)
def _puts(m, *terms):
    """Print the terms (strings without quotes) separated by nothing, then a newline."""
    m.kb.emit("".join(as_text(t) for t in terms))
    return True


@primitive("console.exec", "text")
def _exec(m, line):
    """Run a console line (a command such as "/save(...)" or a query); fails if it fails."""
    return m.kb.exec_line(line)
