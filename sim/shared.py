"""Traced once per program: a pure function called again on the same traced values reuses
its first result.

An experiment's program runs several variants (its *members*, ``experiments.engine``) for
the same seed. They draw the same world from the same key, evaluate on the same contexts
and, where their annotators agree, read the same labels. Traced member by member, each of
those computations entered the program once per member (twelve times in E1), and XLA
compiled every copy before it could merge them. Inside :func:`sharing`, a function marked
:func:`shared` is traced once per distinct input and its result handed to every later
call with the same inputs:

- an input that is an array (a tracer, while tracing) matches only the *same object*: the
  members must be handed the same traced values (the engine passes each distinct
  parameter once and the seed's key once);
- any other input (a static config, a name, a size) matches by equality and type;
- a result is reused only in the trace that made it: a call inside a scan's or a map's
  body is traced again there (its tracers cannot leave the body).

The functions are pure, so a reused result is the result the call would have computed;
what changes is what is traced and compiled (XLA could still fuse the one copy otherwise
than the many: every experiment's ``all --tiny`` results were checked bitwise the same, and
``tests/test_shared.py`` checks E1's program against its members run apart). Outside
:func:`sharing` (a single member, :func:`sim.spec.batched`, a test) every call runs as
written.
"""

from __future__ import annotations

import collections
import contextlib
import functools

import jax
import numpy as np
from jax.extend.core import get_opaque_trace_state

__all__ = ["sharing", "shared", "CALLS"]

_SCOPES: list[dict] = []   # open scopes, innermost last: key -> [(trace, result, inputs)]
CALLS: collections.Counter = collections.Counter()   # (function, "traced" | "reused") -> calls


@contextlib.contextmanager
def sharing():
    """Within this block, calls of :func:`shared` functions on the same inputs are traced
    once. Open it around one trace (the per-seed function of a program); the results it
    holds are that trace's tracers, dropped when the block ends."""
    _SCOPES.append({})
    try:
        yield
    finally:
        _SCOPES.pop()


def _identity(leaf):
    """How an input matches: arrays (and tracers) by object, other values by type and value."""
    if isinstance(leaf, (jax.Array, np.ndarray, np.generic)):
        return ("object", id(leaf))
    try:
        hash(leaf)
    except TypeError:
        return ("object", id(leaf))
    return ("value", type(leaf), leaf)


def shared(fn):
    """Mark a pure function so that, inside :func:`sharing`, it is traced once per input."""
    @functools.wraps(fn)
    def call(*args, **kwargs):
        if not _SCOPES:
            return fn(*args, **kwargs)
        leaves, tree = jax.tree.flatten((args, kwargs))
        key = (fn, tree, tuple(_identity(leaf) for leaf in leaves))
        # a result is reused only in the trace that made it (not inside a scan's or a map's
        # body traced later, nor outside the body it was made in)
        now = get_opaque_trace_state()
        entries = _SCOPES[-1].setdefault(key, [])
        for trace, result, _ in entries:
            if trace == now:
                CALLS[fn.__name__, "reused"] += 1
                return result
        CALLS[fn.__name__, "traced"] += 1
        result = fn(*args, **kwargs)
        entries.append((now, result, leaves))   # holding the inputs keeps their ids unique
        return result
    return call
