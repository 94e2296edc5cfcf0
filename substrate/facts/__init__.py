"""Column storage for fact elementals: typed columns, incremental indexes, tables of rows."""
from .columns import ATOM, FLOAT, INT, OBJ, Atoms, Column
from .index import PosIndex
from .table import Batch, Table

__all__ = ["Atoms", "Batch", "Column", "PosIndex", "Table", "INT", "FLOAT", "ATOM", "OBJ"]
