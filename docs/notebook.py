# %% [markdown]
# # Starter notebook: one experiment, one claim, one changed assumption
#
# A plain-Python notebook (the "percent" format: VS Code, Spyder and Jupytext open each
# `# %%` as a cell; `python docs/notebook.py` runs it whole, as CI does). It uses the
# Python API (`experiments.run`, `experiments.load`) and writes only under `OUT`.
#
# 1. Run E1 (`convergence`, section 4 of the paper) at its quick scale: every learner
#    buys labels from the same simulated annotators.
# 2. Plot one claim's reading with pandas and matplotlib: ranking drift between
#    checkpoints, per learner, against labels (claim S5: preferences keep drifting).
# 3. Change one assumption (the coupling kappa of the utility, the paper's own knob) and
#    compare, paired over seeds: the same seed draws the same world and labels.

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import experiments  # noqa: E402
from experiments import stats  # noqa: E402

OUT = Path(os.environ.get("VNSIM_NOTEBOOK_OUT", "results"))
# the quick scale; the test suite sets VNSIM_NOTEBOOK_SCALE=tiny to reuse its tiny programs
SCALE = os.environ.get("VNSIM_NOTEBOOK_SCALE", "quick")

# %% 1. One quick run: a tidy DataFrame, one row per seed, method, x and metric. E1 sweeps
# the coupling kappa over 0, 0.5 and 0.9 by default: a column of its own.
df, folder = experiments.run("convergence", out=OUT, **{SCALE: True})
print(folder)
print(df.head())
df = df[df["world.coupling"] == 0.5]   # the default kappa

# %% 2. One claim's reading: ranking drift against labels, mean and 95% band per learner.
summary = experiments.load(folder, "summary")
drift = summary[(summary.metric == "ranking_drift") & (summary.x >= 1)
                & (summary["world.coupling"] == 0.5)]
fig, ax = plt.subplots(figsize=(6.5, 4), constrained_layout=True)
for k, (variant, rows) in enumerate(drift.groupby("variant")):   # 12 learners: 10 colours, 2 styles
    line, = ax.plot(rows.x, rows["mean"], label=variant, color=f"C{k % 10}",
                    linestyle="-" if k < 10 else "--")
    ax.fill_between(rows.x, rows.ci_low, rows.ci_high, color=line.get_color(), alpha=0.2)
ax.set(xscale="log", xlabel="labels (queries answered)",
       ylabel="share of response pairs reversed",
       title=f"E1 {SCALE}: ranking drift between checkpoints (kappa = 0.5)")
ax.legend(fontsize=7, ncol=2)
fig.savefig(OUT / "notebook_drift.png", dpi=120)

# %% 3. Change one assumption: kappa = 0.9 instead of 0.5, same seeds (a --set replaces the
# default sweep). The program is the same (kappa is a swept number): nothing is recompiled.
# The cost model learns from flags, which kappa does not change: its difference is exactly 0.
df_b, folder_b = experiments.run("convergence", out=OUT, set={"world.coupling": 0.9},
                                 **{SCALE: True})
for variant in ("batch", "cost_batch"):
    pick = lambda d: d[(d.variant == variant) & (d.metric == "ranking_drift")  # noqa: E731
                       & (d.x == d.x.max())].sort_values("seed").value.to_numpy()
    mean, lo, hi = stats.paired(pick(df_b), pick(df))
    print(f"{variant}: ranking drift at the last checkpoint, kappa 0.9 minus 0.5: "
          f"{mean:+.4f} [{lo:+.4f}, {hi:+.4f}] (paired over {df.seed.nunique()} seeds)")

# %% The same comparison for every metric, from the command line:
#     python -m experiments compare FOLDER_B FOLDER_A
