"""Errors: one root class, a subclass per layer, each carrying where it happened.

Data inside, English at the edge: an error keeps its parts (location, primitive, argument)
and :meth:`SeltzerError.message` renders the one-line text the console prints.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Location", "SeltzerError", "ParseError", "CompileError", "ArgumentError",
    "EvaluationError", "DataError", "CommandError", "StoreError",
]


@dataclass(frozen=True, slots=True)
class Location:
    """A place in source text: file (or ``<query>``), 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class SeltzerError(Exception):
    """Root of every error a user can cause; never shown as a traceback."""

    def __init__(self, text: str, where: Location | str | None = None, context: str = "") -> None:
        super().__init__(text)
        self.text = text
        self.where = where
        self.context = context

    def __reduce__(self):  # keep location and subclass fields across processes
        return (_restore, (type(self), self.text, self.where, self.context, dict(self.__dict__)))

    def message(self) -> str:
        """The one-line (plus optional caret context) text shown to the user."""
        head = f"{self.where}: {self.text}" if self.where else self.text
        return head + (("\n" + self.context) if self.context else "")

    def __str__(self) -> str:
        return self.message()


class ParseError(SeltzerError):
    """Source text that does not follow the grammar."""


class CompileError(SeltzerError):
    """Well-formed text that cannot be loaded: unknown primitive, wrong arity, bad property."""


class ArgumentError(SeltzerError):
    """A primitive called with an argument of the wrong type or an unbound input."""

    def __init__(self, primitive: str, argument: int, text: str, where: Location | None = None) -> None:
        super().__init__(f"{primitive}: argument {argument}: {text}", where)
        self.primitive = primitive
        self.argument = argument


class EvaluationError(SeltzerError):
    """An error while running a goal that is not an argument type error (e.g. division by zero)."""


class DataError(SeltzerError):
    """An input data file that cannot be read: missing, not text, malformed row."""


class CommandError(SeltzerError):
    """A console command that is unknown or used wrongly."""


class StoreError(SeltzerError):
    """A store or tome backing that cannot be opened or written; wraps the cause."""


def _restore(cls, text, where, context, state):
    err = Exception.__new__(cls)
    Exception.__init__(err, text)
    err.__dict__.update(state)
    return err
