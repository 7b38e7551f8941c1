"""The command line (``python -m experiments``) and the figures of the experiments.

The experiments themselves are specs in :mod:`sim.specs`; :mod:`experiments.runner`
runs any of them, :mod:`experiments.figures` draws each one's figure.
"""
