"""CSV files that people open in a spreadsheet: a cell typed by someone (a name, a reflection) is
never run as a formula by whoever opens the file (OWASP's CSV injection)."""
from __future__ import annotations


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula: text starting with a character
    that starts one is kept as text with a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
