"""What running one console line did, for the Python API (``Substrate.run``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lang.errors import SeltzerError

__all__ = ["RunResult"]


@dataclass(slots=True)
class RunResult:
    """The outcome of ``kb.run(line)``.

    ``ok``: False when the line failed (its changes were undone); ``output``: the lines it
    printed, as the console shows them; ``solutions``: a query's solutions as dicts of Python
    values (see lang.terms.to_python), empty for commands and definitions; ``error``: the first
    error reported, with its ``.where``. True in a boolean context when the line succeeded.
    """
    line: str
    ok: bool = True
    output: list[str] = field(default_factory=list)
    solutions: list[dict[str, Any]] = field(default_factory=list)
    error: SeltzerError | None = None

    def __bool__(self) -> bool:
        return self.ok

    def raise_for_error(self) -> "RunResult":
        """Raise the line's error, if any; return self otherwise."""
        if self.error is not None:
            raise self.error
        return self
