"""Fuzz (issue 12): any config inside the declared ranges gives finite results and a figure,
or is refused with one line; never a NaN, a traceback or a crash.

For every experiment, hypothesis draws up to four fields of its tiny config
from their declared ranges (the ``param`` metadata: bounds, choices, grids;
integer sizes capped near the tiny value so the suite stays fast) and runs
``python -m experiments NAME --tiny --seeds 2 --variant V --set ...`` in-process
(V drawn among the experiment's variants). CI runs
``VNSIM_FUZZ_EXAMPLES`` (default 2) examples per experiment under the
deterministic profile; set it higher for a long fuzz, and ``VNSIM_FUZZ_SHARDS``
to run that many independent (randomly seeded) searches per experiment, e.g.
under ``pytest -n 16``. ``VNSIM_FUZZ_LOG=FILE``
appends one line per run (experiment, outcome, the settings) for counting.
"""

import json
import os

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from experiments.runner import main
from sim.fields import leaf_fields
from sim.spec import registry

pytestmark = pytest.mark.slow   # whole experiments, several ways: the full suite only

EXAMPLES = int(os.environ.get("VNSIM_FUZZ_EXAMPLES", "2"))
SHARDS = int(os.environ.get("VNSIM_FUZZ_SHARDS", "1"))   # independent runs, for pytest -n
SPECS = registry()


def _bounds(m: dict, value, small: bool):
    lo, hi = m["lo"], m["hi"]
    if m["element"] is int or m["kind"] is int:
        lo = 0 if lo is None else int(lo) + (1 if m["lo_open"] else 0)
        top = max(lo + 4, 2 * (max(value) if isinstance(value, tuple) else value))
        hi = top if hi is None else min(int(hi) - (1 if m["hi_open"] else 0), top if small else hi)
        return st.integers(lo, hi)
    lo = -1e6 if lo is None else lo
    hi = 1e6 if hi is None else hi
    return st.floats(lo, hi, exclude_min=m["lo_open"], exclude_max=m["hi_open"],
                     allow_nan=False, allow_infinity=False)


def _value(f, value):
    """A strategy for one field's command-line text, inside its declared range."""
    m = f.metadata
    if m["kind"] is bool:
        return st.sampled_from(["true", "false"])
    if m["kind"] is str:
        return st.sampled_from(list(m["choices"]))
    if m["kind"] is tuple:
        return st.lists(_bounds(m, value, True), min_size=1, max_size=3).map(
            lambda xs: ",".join(repr(x) for x in xs))
    return _bounds(m, value, True).map(repr)


@st.composite
def settings_for(draw, name):
    fields = leaf_fields(SPECS[name].tiny_config())
    chosen = draw(st.lists(st.sampled_from(range(len(fields))), max_size=4, unique=True))
    return [f"{fields[i][0]}={draw(_value(fields[i][1], fields[i][2]))}" for i in chosen]


@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("name", list(SPECS))
def test_any_in_range_config_gives_finite_results_or_one_line(name, shard, tmp_path_factory):
    """Every run either writes finite results and a figure (exit 0) or is refused with one
    line (exit 2); a failure during the run (exit 1) or a traceback fails the test."""
    import contextlib
    import io

    @settings(max_examples=EXAMPLES, phases=(Phase.explicit, Phase.reuse, Phase.generate))
    @given(settings_for(name), st.sampled_from([v.name for v in SPECS[name].variants]))
    def check(sets, variant):
        out = tmp_path_factory.mktemp("fuzz")
        argv = [name, "--tiny", "--seeds", "2", "--variant", variant, "--out", str(out)]
        for s in sets:
            argv += ["--set", s]
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = main(argv)
        lines = [line for line in err.getvalue().splitlines() if "error" in line]
        log = os.environ.get("VNSIM_FUZZ_LOG")
        if log:
            with open(log, "a") as fh:
                fh.write(json.dumps({"experiment": name, "variant": variant, "rc": rc, "set": sets,
                                     "error": lines[-1] if lines else ""}) + "\n")
        assert rc in (0, 2), (argv, err.getvalue())
        if rc == 2:
            assert len(lines) == 1 and "Traceback" not in err.getvalue(), err.getvalue()
        else:
            (folder,) = [p for p in (out / name).iterdir() if p.name != "latest"]
            assert (folder / f"{name}.png").stat().st_size > 0

    check()


POINTS = int(os.environ.get("VNSIM_FUZZ_POINTS", "6"))


def _fields(name, swept: bool):
    fields = leaf_fields(SPECS[name].tiny_config())
    return [f for f in fields if bool(f[1].metadata.get("sweep")) == swept]


@st.composite
def _sets(draw, fields, most):
    chosen = draw(st.lists(st.sampled_from(range(len(fields))), max_size=most, unique=True))
    return [(fields[i][0], draw(_value(fields[i][1], fields[i][2]))) for i in chosen]


@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("name", list(SPECS))
def test_swept_numbers_anywhere_in_range_give_finite_results(name, shard):
    """Many in-range configs per compile: a static config (sizes, branches, one variant) with
    ``VNSIM_FUZZ_POINTS`` draws of up to four swept numbers each, run as one program; every
    point that constructs must give finite numbers on every metric."""
    import jax
    import numpy as np

    from sim.config import ConfigError, split
    from sim.fields import replace_path
    from sim.keys import seed_keys
    from sim.spec import run_configs

    spec = SPECS[name]

    @settings(max_examples=EXAMPLES, phases=(Phase.explicit, Phase.reuse, Phase.generate))
    @given(st.sampled_from([v.name for v in spec.variants]), _sets(_fields(name, False), 2),
           st.lists(_sets(_fields(name, True), 4), min_size=POINTS, max_size=POINTS))
    def check(variant, static_sets, points):
        base = spec.tiny_config()
        try:
            for path, text in static_sets:
                base = replace_path(base, path, text)
        except ConfigError:
            return
        configs, kept = [], []
        for sets in points:
            try:
                c = base
                for path, text in sets:
                    c = replace_path(c, path, text)
                configs.append(spec.variant(variant).transform(c))
                kept.append(sets)
            except ConfigError:
                continue
        if not configs or len({split(c)[0] for c in configs}) != 1:
            return
        out = jax.device_get(run_configs(spec, configs, seed_keys(0, 2)))
        bad = sorted({p for leaf in jax.tree.leaves(out)
                      for p in np.flatnonzero(~np.isfinite(leaf).reshape(leaf.shape[0], -1).all(1))})
        log = os.environ.get("VNSIM_FUZZ_LOG")
        if log:
            with open(log, "a") as fh:
                for p, sets in enumerate(kept):
                    fh.write(json.dumps({"experiment": name, "variant": variant,
                                         "static": static_sets, "set": sets,
                                         "rc": 1 if p in bad else 0, "kind": "points"}) + "\n")
        assert not bad, [(static_sets, kept[p]) for p in bad]

    check()
