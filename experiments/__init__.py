"""Experiment scripts, one per claim of MODEL.md section 6; run them with
``python -m experiments NAME``. ``EXPERIMENTS`` maps each name to its module."""

from . import bench, convergence, negative_only

EXPERIMENTS = {module.NAME: module for module in (convergence, negative_only, bench)}
