"""The parsed form of knowledge and goals: what the parser produces and the compiler consumes.

These are plain records. Terms inside them are ordinary terms (:mod:`lang.terms`) whose
variables are fresh :class:`~lang.terms.Var` objects, one per occurrence; the compiler
maps variable names to slots, so two occurrences of ``:x`` in one entry are one variable.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Location

__all__ = ["Call", "Prim", "Cut", "Not", "Conj", "Disj", "IfThen", "Goal", "Statement", "Prototype", "Definition", "Query"]


@dataclass(slots=True)
class Call:
    """``#label(args)``: ask the knowledge base."""
    label: str
    args: tuple
    loc: Location | None = None


@dataclass(slots=True)
class Prim:
    """``name(args)``: call a primitive (``true``, ``false`` and ``hush`` are primitives too)."""
    name: str
    args: tuple
    loc: Location | None = None


@dataclass(slots=True)
class Cut:
    """``!``: commit to the choices made since the prototype was entered."""
    loc: Location | None = None


@dataclass(slots=True)
class Not:
    """``~goal``: negation as failure."""
    goal: "Goal"
    loc: Location | None = None


@dataclass(slots=True)
class Conj:
    """``(g1, ..., gn)``: a parenthesized conjunction."""
    goals: tuple
    loc: Location | None = None


@dataclass(slots=True)
class IfThen:
    """``cond -> then``: one branch of a :class:`Disj`; ``cond`` and ``then`` are goal tuples."""
    cond: tuple
    then: tuple
    loc: Location | None = None


@dataclass(slots=True)
class Disj:
    """``(b1 | b2 | ... | bn)``: try each branch in order (Prolog's ``;``).

    A branch is a tuple of goals or an :class:`IfThen`. An if-then branch commits to the
    first solution of its condition and, when the condition fails, the branches after it
    run (``(c -> t | e)`` is Prolog's ``(c -> t ; e)``; ``(c -> t)`` alone fails when
    ``c`` fails). A cut inside a branch (not inside a condition) cuts the whole prototype.
    """
    branches: tuple
    loc: Location | None = None


Goal = Call | Prim | Cut | Not | Conj | Disj


@dataclass(slots=True)
class Statement:
    """A fact ``(t1, ..., tn) := truth;``; ``commit`` is the caret form ``(args)^;``."""
    args: tuple
    truth: float = 1.0
    commit: bool = False
    loc: Location | None = None


@dataclass(slots=True)
class Prototype:
    """A rule ``(head) :- body;``; ``commit`` is the caret (cut right after the head)."""
    head: tuple
    body: tuple
    commit: bool = False
    loc: Location | None = None


@dataclass(slots=True)
class Definition:
    """``label { properties } { entries }``: one future elemental."""
    label: str
    properties: dict[str, Any] = field(default_factory=dict)
    entries: list = field(default_factory=list)
    loc: Location | None = None

    @property
    def procedural(self) -> bool:
        """True when any entry is a prototype: the definition becomes a rule elemental."""
        return any(type(e) is Prototype for e in self.entries)


@dataclass(slots=True)
class Query:
    """A parsed console query: a conjunction of goals plus its source text."""
    goals: tuple
    text: str = ""
