"""How the runtime writes quantities for people (durations)."""

from __future__ import annotations

__all__ = ["format_elapsed"]


def format_elapsed(seconds: float) -> str:
    """Human time: '0.41 ms', '12.3 ms', '1.52 s' (the unit is chosen after rounding)."""
    ms = seconds * 1000
    if round(ms, 2) < 10:
        return f"{ms:.2f} ms"
    if round(ms, 1) < 1000:
        return f"{ms:.1f} ms"
    return f"{seconds:.2f} s"
