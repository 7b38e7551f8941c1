"""Training objectives of docs/model.md section 5, one loss per example, no reduction.

Every function takes arrays and returns an array of per-example losses, so it
can be called on toy numbers and checked by hand. Log-ratios are
``logp - ref`` (policy minus reference log-probability); all functions use
``softplus`` / ``log_sigmoid`` forms that stay finite, with finite gradients,
for log-ratios up to +-1e4.

- :func:`dpo`  Rafailov et al. 2023 (arXiv 2305.18290)
- :func:`ipo`  Azar et al. 2023 (arXiv 2310.12036)
- :func:`kto`  Ethayarajh et al. 2024 (arXiv 2402.01306)
- :func:`npo`  Zhang et al. 2024 (arXiv 2404.05868)
- :func:`d2o`  Duan et al. 2024 (arXiv 2403.03419), as reported in docs/model.md
- :func:`psr`, :func:`nsr`, :func:`w_reinforce`  Zhu et al. 2025 (arXiv 2506.01347)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["dpo", "ipo", "kto", "npo", "d2o", "psr", "nsr", "w_reinforce"]


def dpo(logp_w, logp_l, ref_w, ref_l, beta=0.1):
    """Direct Preference Optimization.

    L = -log sigma(beta [(logp_w - ref_w) - (logp_l - ref_l)]) = softplus(-beta h).
    """
    h = (logp_w - ref_w) - (logp_l - ref_l)
    return jax.nn.softplus(-beta * h)


def ipo(logp_w, logp_l, ref_w, ref_l, tau=0.1):
    """Identity Preference Optimization: L = (h - 1 / (2 tau))^2, h as in :func:`dpo`."""
    h = (logp_w - ref_w) - (logp_l - ref_l)
    return (h - 1.0 / (2.0 * tau)) ** 2


def kto(logp, ref, desirable, z_ref, beta=0.1, lambda_d=1.0, lambda_u=1.0):
    """Kahneman-Tversky Optimization on unpaired labels.

    r = logp - ref; z0 = max(z_ref, 0), detached (the reference point, a KL
    estimate); v = lambda_D sigma(beta (r - z0)) for a desirable example and
    lambda_U sigma(beta (z0 - r)) for an undesirable one; L = lambda_y - v.
    The KTO paper recommends lambda_D n_D / (lambda_U n_U) in [1, 4/3].
    """
    r = logp - ref
    z0 = jax.lax.stop_gradient(jnp.maximum(z_ref, 0.0))
    v = jnp.where(desirable, lambda_d * jax.nn.sigmoid(beta * (r - z0)),
                  lambda_u * jax.nn.sigmoid(beta * (z0 - r)))
    return jnp.where(desirable, lambda_d, lambda_u) - v


def npo(logp, ref, beta=0.1):
    """Negative Preference Optimization on a negative (forget) example.

    L = -(2 / beta) log sigma(-beta (logp - ref)) = (2 / beta) softplus(beta (logp - ref)).
    Its gradient is 2 sigma(beta (logp - ref)) grad logp, which tends to the
    gradient-ascent gradient (a constant times grad logp) as beta -> 0.
    """
    return (2.0 / beta) * jax.nn.softplus(beta * (logp - ref))


def d2o(logp_l, ref_l, logp_anchors, ref_anchors, beta=0.1, alpha=0.1):
    """Distributional Dispreference Optimization (as reported; paper text not checked).

    L = -log sigma((beta / K) sum_k (logp(y_k) - ref(y_k)) - alpha (logp_l - ref_l)),
    the K self-generated anchors y_k ~ pi_ref on the last axis of ``*_anchors``.
    """
    k = logp_anchors.shape[-1]
    anchors = jnp.sum(logp_anchors - ref_anchors, axis=-1) * (beta / k)
    return jax.nn.softplus(-(anchors - alpha * (logp_l - ref_l)))


def _expected(logp, weights, form):
    prob = jnp.exp(logp)
    if form == "prob":
        return jnp.sum(weights * prob, axis=-1)
    if form == "logprob":  # policy-gradient surrogate: same gradient, value in log space
        return jnp.sum(weights * jax.lax.stop_gradient(prob) * logp, axis=-1)
    raise ValueError(f"form = {form!r} is not allowed (allowed: prob, logprob)")


def psr(logp, reward, form="prob"):
    """Positive sample reinforcement over a whole softmax: L_PSR = -sum_{R(y)=+1} pi(y).

    Args:
      logp: (..., N) log-probabilities of the N responses.
      reward: (..., N) verifiable reward in {-1, +1}.
      form: ``"prob"`` (the expected objective) or ``"logprob"``
        (-sum_{R=+1} sg(pi(y)) log pi(y), the policy-gradient surrogate with
        the same gradient).

    Returns:
      (...,) one loss per softmax (prompt).
    """
    return _expected(logp, -(reward > 0).astype(logp.dtype), form)


def nsr(logp, reward, form="prob"):
    """Negative sample reinforcement: L_NSR = + sum_{R(y)=-1} pi(y) (see :func:`psr`).

    A descent step lowers each wrong response and raises every other in
    proportion to its current probability: for logits z, dL/dz_k = pi_k (1[R_k = -1] - P_wrong),
    so a correct response's logit rises by lr pi_k P_wrong.
    """
    return _expected(logp, (reward < 0).astype(logp.dtype), form)


def w_reinforce(logp, reward, lam=0.1, form="prob"):
    """Weighted REINFORCE of Zhu et al.: lambda L_PSR + L_NSR (lambda = 1: REINFORCE)."""
    return lam * psr(logp, reward, form) + nsr(logp, reward, form)
