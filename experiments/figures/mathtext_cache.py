"""Lay out each mathtext string once per process, not once per figure and format.

Matplotlib caches a parsed math string (``$\\pi_0 e^{\\beta r}$``) per *parser*, and every
renderer makes its own parser: each figure's layout, its PDF and its PNG parse every label,
legend entry and title with math again (E2's six figures of a tiny run: 1,044 parses of 30
strings). The parse is pure in (output type, string, dpi, font, antialiasing, hinting), so
:func:`share_parses` keys one process-wide cache on those and nothing else. The figures are
byte for byte what matplotlib draws without it (``tests/test_drawing.py``); E2's figures of
a tiny run draw about 18% faster (docs/performance.md).

Where a matplotlib release no longer has the cached method this wraps
(``MathTextParser._parse_cached`` with its ``lru_cache``), nothing is changed: the figures
are the same, only slower.
"""

from __future__ import annotations

import functools

from matplotlib.mathtext import MathTextParser

__all__ = ["share_parses", "shared"]

_parsers: dict[str, MathTextParser] = {}


def shared() -> bool:
    """Whether math strings are parsed once per process (:func:`share_parses` took)."""
    return getattr(MathTextParser._parse_cached, "_vnsim_shared", False)


def share_parses(size: int = 4096) -> bool:
    """Make every ``MathTextParser`` of this process share one cache of ``size`` parses;
    returns whether it did (False where matplotlib's internals differ)."""
    if shared():
        return True
    unbound = getattr(MathTextParser._parse_cached, "__wrapped__", None)
    if unbound is None:
        return False

    @functools.lru_cache(size)
    def parse(output_type, s, dpi, prop, antialiased, load_glyph_flags):
        return unbound(_parsers[output_type], s, dpi, prop, antialiased, load_glyph_flags)

    def _parse_cached(self, s, dpi, prop, antialiased, load_glyph_flags):
        # the parse reads of ``self`` only what its output type fixes (the font classes)
        _parsers.setdefault(self._output_type, self)
        return parse(self._output_type, s, dpi, prop, antialiased, load_glyph_flags)

    _parse_cached._vnsim_shared = True
    _parse_cached.original = MathTextParser._parse_cached   # matplotlib's, per parser
    _parse_cached.cache_info = parse.cache_info
    MathTextParser._parse_cached = _parse_cached
    return True
