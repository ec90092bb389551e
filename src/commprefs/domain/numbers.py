"""Whole numbers as clients write them: ASCII digits and nothing else.

``str.isdigit()`` also says yes to superscripts, circled numbers and other scripts' digits,
which ``int()`` then refuses ("²") or silently reads (fullwidth digits): every place that turns
text into a number checks it here first.
"""

from __future__ import annotations


def ascii_digits(text: str) -> bool:
    """True for a non-empty string of ASCII digits 0-9 only."""
    return text.isascii() and text.isdigit()
