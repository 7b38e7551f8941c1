"""Lay out each mathtext string once per process, not once per figure and format.

Matplotlib caches a parsed math string (``$\\pi_0 e^{\\beta r}$``) per *parser*, and every
renderer makes its own parser: each figure's layout, its PDF and its PNG parse every label,
legend entry and title with math again (E2's six figures of a tiny run: 1,044 parses of 30
strings). A parse depends on (output type, string, dpi, font, antialiasing, hinting) and on
the ``mathtext.*`` rcParams, which :mod:`experiments.figures.plotting` never changes after
import; :func:`share_parses` keys one process-wide cache on the former. (Code that changes
``mathtext.*`` settings between figures would get parses made under the old ones.) The
figures are byte for byte what matplotlib draws without it (``tests/test_drawing.py``); E2's
six tiny figures are redrawn in 30.7 s instead of 36.8 s (docs/performance.md).

Where a matplotlib release has another cached method than the one this wraps
(``MathTextParser._parse_cached(self, s, dpi, prop, antialiased, load_glyph_flags)`` with
its ``lru_cache``: 3.10 and later), nothing is changed: the figures are the same, only slower.
"""

from __future__ import annotations

import functools
import inspect

from matplotlib.mathtext import MathTextParser

__all__ = ["share_parses", "shared", "wrappable"]

_parsers: dict[str, MathTextParser] = {}
_ARGS = ["self", "s", "dpi", "prop", "antialiased", "load_glyph_flags"]


def shared() -> bool:
    """Whether math strings are parsed once per process (:func:`share_parses` took)."""
    return getattr(getattr(MathTextParser, "_parse_cached", None), "_vnsim_shared", False)


def wrappable():
    """Matplotlib's per-parser parse (the function its ``lru_cache`` wraps), or None where
    this matplotlib has another one (then :func:`share_parses` changes nothing)."""
    unbound = getattr(getattr(MathTextParser, "_parse_cached", None), "__wrapped__", None)
    try:
        ok = unbound is not None and list(inspect.signature(unbound).parameters) == _ARGS
    except (TypeError, ValueError):
        ok = False
    return unbound if ok else None


def share_parses(size: int = 4096) -> bool:
    """Make every ``MathTextParser`` of this process share one cache of ``size`` parses;
    returns whether it did (False where matplotlib's internals differ)."""
    if shared():
        return True
    unbound = wrappable()
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
