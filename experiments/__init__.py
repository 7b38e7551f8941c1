"""The command line (``python -m experiments``), the Python API and the figures.

    import experiments
    df, folder = experiments.run("convergence", quick=True)   # a pandas DataFrame
    df = experiments.load(folder)                               # read a run back

The experiments themselves are specs in :mod:`sim.specs`; :mod:`experiments.runner`
runs any of them, :mod:`experiments.figures` draws each one's figure. ``run`` and ``load``
(:mod:`experiments.api`) are imported on first use, so ``python -m experiments`` starts
without JAX until it needs it.
"""

__all__ = ["run", "load"]

from . import devices as _devices

_devices.reserve_threads()   # before JAX makes its CPU client: several CPU devices must not hang


def __getattr__(name):
    if name in __all__:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")
