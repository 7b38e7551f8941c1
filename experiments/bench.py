"""``python -m experiments bench``: speed, in one run, as ratios measured in that run.

1. Contraction (:func:`sim.contraction_curve`): the feasible fraction after each of T
   prohibitions taken in a given order, N = 65,536 responses, T = 1,024 halfspaces,
   d = 8, 16 seeds, as ``jit(vmap)`` over seeds; against the same computation in plain
   NumPy, and as a multiple of the compute roofline (:mod:`experiments.roofline`:
   (2 N T d S + 2 N T S) flops at the sgemm rate measured in the same run). Also the
   fitted exponent of its time in N x T (sizes 1/16, 1/4, 1 of the above).
2. Bradley-Terry fitting (:func:`sim.fit_batch`): the ridge MLE on 2,000
   comparisons for 64 seeds at once (linear family, p = d + 2); against a
   per-seed ``scipy.optimize.minimize(method="L-BFGS-B")`` loop in float64.
3. The cost model's batch fit (:func:`sim.costs.fit_costs`, linear family:
   the same features plus an intercept, binary flags, the same labels and
   seeds) against the Bradley-Terry fit of 2.; the target is at most 1.5x.
4. Whole experiments (:mod:`experiments.throughput`): seeds per second of every
   experiment at default scale (read from the newest default runs under ``--from``,
   which ``all`` makes); E1's throughput on 2 CPU devices over 1 (fresh processes); the
   fitted exponent of E1's run time in labels (reward model, online) and in N x T (rule
   learner). ``--kernels-only`` skips 4.

Times are medians of ``--repeats`` runs after one warm-up (compile excluded;
compile seconds are reported apart). Ratios, not seconds, are the result:
machines here are shared and noisy. Writes ``OUT/bench/<stamp>/bench.json`` and prints
a table. ``--quick`` uses smaller sizes (seconds, for tests).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from . import roofline, throughput

NAME = "bench"
CLAIM = "speed: the kernels against NumPy and the roofline; experiments' throughput"


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def contraction_numpy(features, normals, thresholds, order):
    """Plain NumPy reference of sim.contraction_curve for one seed."""
    n, t = features.shape[0], normals.shape[0]
    v = features @ normals[order].T > thresholds[order]
    first = np.where(v.any(axis=1), v.argmax(axis=1), t)
    cut_by = np.bincount(first, minlength=t + 1)
    return 1.0 - np.concatenate([[0], np.cumsum(cut_by)[:t]]) / n


def bt_objective_numpy(theta, dphi, target, ridge):
    """Ridge Bradley-Terry objective and gradient (float64), as in sim.fit_batch."""
    s = dphi @ theta
    nll = target * np.logaddexp(0.0, -s) + (1.0 - target) * np.logaddexp(0.0, s)
    prob = 0.5 * (1.0 + np.tanh(0.5 * s))
    n = dphi.shape[0]
    value = (nll.sum() + 0.5 * ridge * theta @ theta) / n
    grad = (dphi.T @ (prob - target) + ridge * theta) / n
    return value, grad


def run_bench(n_responses=65_536, n_prohibitions=1_024, dims=8, seeds=16, bt_labels=2_000,
              bt_seeds=64, repeats=3):
    """Sections 1 to 3 of the module docstring: the contraction kernel, the Bradley-Terry fit
    and the cost model, each against its reference."""
    import jax

    rng = np.random.default_rng(0)
    out = {"contraction": _contraction_part(rng, n_responses, n_prohibitions, dims, seeds,
                                            repeats)}
    out.update(_fits_part(rng, dims, bt_labels, bt_seeds, repeats))
    return {**out, "repeats": repeats, "devices": [str(d) for d in jax.devices()]}


def _contraction_part(rng, n_responses, n_prohibitions, dims, seeds, repeats) -> dict:
    """The contraction kernel against NumPy, its roofline and its exponent in N x T."""
    import jax
    import jax.numpy as jnp

    from sim import contraction_curve

    feats = rng.standard_normal((seeds, n_responses, dims), dtype=np.float32)
    normals = rng.standard_normal((seeds, n_prohibitions, dims), dtype=np.float32)
    normals /= np.linalg.norm(normals, axis=2, keepdims=True)
    thresholds = np.zeros((seeds, n_prohibitions), np.float32) + 1.6448536  # p = 0.05
    orders = np.stack([rng.permutation(n_prohibitions) for _ in range(seeds)]).astype(np.int32)
    args = [jnp.asarray(a) for a in (feats, normals, thresholds, orders)]

    kernel = jax.jit(jax.vmap(contraction_curve))
    t0 = time.perf_counter()
    kernel_c = kernel.lower(*args).compile()
    compile_kernel = time.perf_counter() - t0
    got = np.asarray(kernel_c(*args))
    ref = np.stack([contraction_numpy(feats[s], normals[s], thresholds[s], orders[s])
                    for s in range(seeds)])
    t_kernel = _median_time(lambda: kernel_c(*args).block_until_ready(), repeats)
    t_numpy = _median_time(lambda: [contraction_numpy(feats[s], normals[s], thresholds[s],
                                                      orders[s]) for s in range(seeds)], repeats)
    rate = roofline.sgemm_rate(size=1024 if n_responses < 65_536 else 2048)
    floor = roofline.roofline_seconds(n_responses, n_prohibitions, dims, seeds, rate)
    sizes, times = [], []
    for k in (4, 2, 1):   # N and T each a quarter, a half, all: N x T 1/16, 1/4, 1
        n, t = n_responses // k, n_prohibitions // k
        sub = [args[0][:, :n], args[1][:, :t], args[2][:, :t],
               jnp.argsort(args[3][:, :t], axis=1).astype(jnp.int32)]   # a permutation of t
        run = kernel.lower(*sub).compile()
        run(*sub).block_until_ready()
        sizes.append(n * t)
        times.append(_median_time(lambda: run(*sub).block_until_ready(), repeats))
    return {
        "shape": {"responses": n_responses, "prohibitions": n_prohibitions, "dims": dims,
                  "seeds": seeds},
        "jax_seconds": t_kernel, "numpy_seconds": t_numpy,
        "speedup_vs_numpy": t_numpy / t_kernel, "sgemm_flops_per_second": rate,
        "flops": roofline.contraction_flops(n_responses, n_prohibitions, dims, seeds),
        "roofline_seconds": floor, "multiple_of_roofline": t_kernel / floor,
        "exponent_in_nt": throughput.fitted_exponent(sizes, times),
        "nt_sizes": sizes, "nt_seconds": times,
        "compile_seconds": compile_kernel, "max_abs_diff_vs_numpy": float(np.max(np.abs(got - ref))),
    }


def _fits_part(rng, dims, bt_labels, bt_seeds, repeats) -> dict:
    """The batch Bradley-Terry fit against SciPy's L-BFGS-B on labels from a known linear
    utility, and the cost model's fit of the same labels as flags (its time as a ratio)."""
    import jax
    import jax.numpy as jnp
    from scipy.optimize import minimize

    from sim import fit_batch
    from sim.config import split
    from sim.costs import CostConfig, fit_costs

    p = dims + 2
    dphi = rng.standard_normal((bt_seeds, bt_labels, p)).astype(np.float32)
    true = rng.standard_normal((bt_seeds, p)).astype(np.float32)
    prob = 1.0 / (1.0 + np.exp(-np.einsum("snp,sp->sn", dphi, true)))
    target = (rng.uniform(size=prob.shape) < prob).astype(np.float32)
    ridge, steps = 1e-2, jnp.asarray([bt_labels])
    fit = jax.jit(jax.vmap(lambda x, y, w: fit_batch(x, y, w, steps, ridge, 20)[0]))
    bt_args = [jnp.asarray(a) for a in (dphi, target, np.ones_like(target))]
    t0 = time.perf_counter()
    fit_c = fit.lower(*bt_args).compile()
    compile_bt = time.perf_counter() - t0
    theta_jax = np.asarray(fit_c(*bt_args))

    def scipy_fit():
        return np.stack([minimize(bt_objective_numpy, np.zeros(p), args=(
            dphi[s].astype(np.float64), target[s].astype(np.float64), ridge), jac=True,
            method="L-BFGS-B", options={"gtol": 1e-8, "maxiter": 1000}).x
            for s in range(bt_seeds)])

    theta_scipy = scipy_fit()
    t_bt = _median_time(lambda: fit_c(*bt_args).block_until_ready(), repeats)

    c_static, c_params = split(CostConfig(family="linear", batch_iters=20))
    z = np.concatenate([dphi, np.ones_like(dphi[..., :1])], axis=-1)
    cost_fit = jax.jit(jax.vmap(lambda x, y: fit_costs(jax.random.key(0), x, y, steps, c_params,
                                                       c_static)[0]))
    cost_args = [jnp.asarray(z), bt_args[1]]
    cost_c = cost_fit.lower(*cost_args).compile()
    cost_c(*cost_args).block_until_ready()
    t_cost = _median_time(lambda: cost_c(*cost_args).block_until_ready(), repeats)
    t_scipy = _median_time(scipy_fit, repeats)
    return {
        "bradley_terry": {
            "shape": {"labels": bt_labels, "seeds": bt_seeds, "params": p},
            "jax_seconds": t_bt, "scipy_seconds": t_scipy, "speedup_vs_scipy": t_scipy / t_bt,
            "compile_seconds": compile_bt,
            "max_abs_theta_diff_vs_scipy": float(np.max(np.abs(theta_jax - theta_scipy))),
        },
        "cost_model": {
            "shape": {"labels": bt_labels, "seeds": bt_seeds, "params": p + 1},
            "jax_seconds": t_cost, "ratio_to_reward_model": t_cost / t_bt,
        },
    }


def experiments_part(root: str, quick: bool) -> dict:
    """Section 4 of the module docstring; the sizes are smaller with ``quick``."""
    labels = (500, 1000, 2000) if quick else (2000, 4000, 8000)
    sizes = ((512, 16), (1024, 32), (2048, 64)) if quick else ((2048, 32), (4096, 64),
                                                                (8192, 128))
    seeds = 8 if quick else 32
    return {
        "default_rates": throughput.default_rates(root),
        "devices": throughput.devices_ratio("convergence", "online", 4 * seeds,
                                            {"experiment.labels": labels[-1]}),
        "exponent_labels": throughput.exponent(
            "convergence", "online", [{"experiment.labels": n} for n in labels],
            lambda sets: sets["experiment.labels"], seeds),
        "exponent_nt": throughput.exponent(
            "convergence", "rule", [{"world.responses": n, "world.prohibitions": t}
                                    for n, t in sizes],
            lambda sets: sets["world.responses"] * sets["world.prohibitions"], seeds),
    }


def table(report: dict) -> str:
    """The printed table."""
    c, b, k = report["contraction"], report["bradley_terry"], report["cost_model"]
    lines = [
        f"contraction N={c['shape']['responses']} T={c['shape']['prohibitions']} "
        f"d={c['shape']['dims']} x{c['shape']['seeds']} seeds: jax {c['jax_seconds']:.3f}s  "
        f"numpy {c['numpy_seconds']:.3f}s  roofline {c['roofline_seconds']:.3f}s "
        f"(sgemm {c['sgemm_flops_per_second'] / 1e9:.0f} GFLOP/s)",
        f"  -> {c['speedup_vs_numpy']:.1f}x faster than numpy (target >= 3), "
        f"{c['multiple_of_roofline']:.1f}x the roofline (target <= 3); "
        f"time ~ (N T)^{c['exponent_in_nt']:.2f}",
        f"bradley-terry {b['shape']['labels']} labels x{b['shape']['seeds']} seeds: jax "
        f"{b['jax_seconds']:.3f}s  scipy {b['scipy_seconds']:.3f}s  ->  "
        f"{b['speedup_vs_scipy']:.1f}x faster (max |theta diff| "
        f"{b['max_abs_theta_diff_vs_scipy']:.1e})",
        f"cost model (linear, flags) same labels and seeds: jax {k['jax_seconds']:.3f}s  ->  "
        f"{k['ratio_to_reward_model']:.2f}x the reward model's fit (target <= 1.5x)"]
    e = report.get("experiments")
    if e:
        d = e["devices"]
        lines.append(f"devices: {d['experiment']} {d['variant']} {d['seeds']} seeds: "
                     + ", ".join(f"{n} CPU device(s) {r:.1f} seeds/s"
                                 for n, r in d["seeds_per_second"].items())
                     + f"  ->  {d['ratio']:.2f}x (target >= 1.5)")
        for key, what in (("exponent_labels", "labels"), ("exponent_nt", "N x T")):
            x = e[key]
            lines.append(f"run time of {x['experiment']} {x['variant']} ~ ({what})^"
                         f"{x['exponent']:.2f} (" + ", ".join(
                             f"{p['size']:g}: {p['run_seconds']:.2f}s" for p in x["points"])
                         + ")")
        rates = e["default_rates"]
        if not rates:
            lines.append("seeds per second at default scale: no default run found "
                         "(run `python -m experiments all` first)")
        else:
            lines.append(f"{'experiment':<14} {'seeds':>5} {'programs':>8} {'HLO MB':>7} "
                         f"{'compile s':>9} {'run s':>8} {'seeds/s':>8}")
            lines += [f"{n:<14} {r['seeds']:>5} {r['programs']:>8} {r['hlo_chars'] / 1e6:>7.2f} "
                      f"{r['compile_seconds']:>9.1f} {r['run_seconds']:>8.1f} "
                      f"{r['seeds_per_second']:>8.2f}" for n, r in rates.items()]
    return "\n".join(lines)


def main(argv) -> int:
    """``python -m experiments bench [--quick] [--kernels-only] [--from DIR] [--out DIR]``."""
    from .options import _Parser
    from .provenance import versions
    from .results import write_atomically
    parser = _Parser(prog="python -m experiments bench")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--kernels-only", action="store_true")
    parser.add_argument("--from", dest="source", default="results")
    parser.add_argument("--out", default="results")
    args = parser.parse_args(argv)
    if args.quick:
        report = run_bench(n_responses=8_192, n_prohibitions=256, seeds=4, bt_seeds=16, repeats=2)
    else:
        report = run_bench()
    if not args.kernels_only:
        report["experiments"] = experiments_part(args.source, args.quick)
    report["versions"] = versions()
    print(table(report))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = Path(args.out) / NAME / stamp
    write_atomically(target, {"bench.json": json.dumps(report, indent=2) + "\n"})
    print(f"wrote {target}/bench.json")
    return 0
