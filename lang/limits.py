"""Size limits that keep every operation on a term bounded in time.

Python converts integers to and from decimal text in time quadratic in their length (a
1,048,577-digit integer took 16 s to print, far past a 2 s time to live, and no check can
interrupt one conversion). So an integer has at most :data:`MAX_INT_DIGITS` decimal digits:
literals, ``str.tonum`` and arithmetic results larger than that are errors. At the limit,
printing takes a fraction of a second.
"""
from __future__ import annotations

__all__ = ["MAX_INT_DIGITS", "MAX_INT_BITS", "int_too_large", "TOO_LARGE"]

MAX_INT_DIGITS = 100_000
# the bit length of 10 ** MAX_INT_DIGITS - 1 (a test in O(1) with int.bit_length)
MAX_INT_BITS = 332_193
TOO_LARGE = f"integer too large (the limit is {MAX_INT_DIGITS:,} digits)"


def int_too_large(n: int) -> bool:
    """True when ``n`` is over the integer size limit (a conservative O(1) test)."""
    return n.bit_length() > MAX_INT_BITS
