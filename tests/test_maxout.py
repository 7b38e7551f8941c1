"""The union-of-halfspaces family on both sides (sim.maxout): the cost model's c = h and
the reward model's r = -h read the same inputs, and a reward model in the family fitted to
comparisons recovers a ranking the family can represent."""

import jax
import jax.numpy as jnp
import numpy as np
from scipy.stats import kendalltau

from sim import WorldConfig, make_world, sample_contexts, split
from sim.costs import cost_table
from sim.ensembles import fit_reward_models
from sim.maxout import maxout, maxout_init, maxout_inputs
from sim.preferences import LearnerConfig, response_features, rewards, surface_loadings


def test_the_maxout_reward_is_minus_the_maxout_cost_on_the_same_inputs():
    """Matched capacity: for any parameters, r_theta(i, c) = -c_theta(i, c) in every context
    (the same family and inputs on both sides), bitwise."""
    world = make_world(jax.random.key(0), WorldConfig(responses=48))
    ctx = sample_contexts(jax.random.key(1), world, 5)
    theta = maxout_init(jax.random.key(2), 6, world.features.shape[1] + 4, jnp.float32)
    theta = theta + 0.5 * jax.random.normal(jax.random.key(3), theta.shape)
    r = rewards(theta, "maxout", world, ctx)
    c = cost_table(theta, "maxout", world, ctx)
    assert r.shape == (5, 48)
    assert np.array_equal(np.asarray(r), -np.asarray(c))


def test_a_maxout_reward_model_recovers_a_ranking_the_family_represents():
    """Comparisons labelled by a true r* = -max of 3 halfspaces (noiseless): a batch fit with
    K = 3 ranks held-out responses closer to r* with more labels, Kendall tau > 0.8 at 3,000."""
    world = make_world(jax.random.key(4), WorldConfig(responses=512))
    r = response_features(world)
    q = world.features.shape[1] + 4
    truth = maxout_init(jax.random.key(5), 3, q, jnp.float32)
    truth = truth.at[:, :-1].set(jax.random.normal(jax.random.key(6), (3, q)))
    belief = jnp.ones((512,), bool)
    z = maxout_inputs(r.x, r.endorses, r.log_length, belief)                      # (N, q)
    r_star = -maxout(truth, z)
    n = 3000
    pairs = jax.random.randint(jax.random.key(7), (n, 2), 0, 512)
    inputs = z[pairs]                                                               # (n, 2, q)
    target = (r_star[pairs[:, 0]] > r_star[pairs[:, 1]]).astype(jnp.float32)
    static, params = split(LearnerConfig(family="maxout", halfspaces=3, maxout_iters=300))
    members = fit_reward_models(jax.random.key(8), inputs, target, jnp.ones((n,)), (100, n),
                                params, static)                                     # (1, K, 3, q+1)
    taus = [kendalltau(np.asarray(-maxout(members[0, k], z)), np.asarray(r_star))[0]
            for k in range(2)]
    assert taus[0] < taus[1], taus
    assert taus[1] > 0.8, taus
    endorse, length = surface_loadings(members[0, 1], "maxout", r)
    assert np.isfinite(float(endorse)) and np.isfinite(float(length))
