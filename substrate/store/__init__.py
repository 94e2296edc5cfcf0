"""The LMDB-backed store: the statement store engine and the ``class = store`` elemental over it."""

from .store import StatementStore

__all__ = ["StatementStore"]
