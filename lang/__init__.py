"""The language: terms, grammar and parser, compiler, solver and primitives.

Nothing here knows about the substrate; the solver asks knowledge through the
:class:`~lang.solver.Knowledge` interface.
"""
from .errors import SeltzerError
from .parser import parse_program, parse_query, parse_term
from .printer import show
from .solver import Knowledge, Machine
from .terms import NIL, Compound, Cons, Symbol, Var

__all__ = ["SeltzerError", "parse_program", "parse_query", "parse_term", "show", "Knowledge", "Machine",
           "NIL", "Compound", "Cons", "Symbol", "Var"]
