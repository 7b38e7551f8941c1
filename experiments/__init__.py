"""Experiment scripts, one per claim of MODEL.md section 6; run them with
``python -m experiments NAME``. ``EXPERIMENTS`` maps each name to its module."""

from . import bench, convergence, loss_aversion, negative_only, sycophancy

EXPERIMENTS = {module.NAME: module for module in (convergence, sycophancy, negative_only,
                                                 loss_aversion, bench)}
