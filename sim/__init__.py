"""via-negativa-sim: a formal toy model of negative constraints versus positive preferences.

The mathematics is fixed in MODEL.md (kept beside the repository as
``shared/MODEL.md``); each module is one concept of it:

- :mod:`sim.world`        responses, contexts, the coupled utility U, prohibitions, V
- :mod:`sim.oracles`      the rejection and preference annotators
- :mod:`sim.constraints`  the constraint learner (feasible sets F_n)
- :mod:`sim.preferences`  the Bradley-Terry preference learner
- :mod:`sim.metrics`      set, ranking and policy metrics
- :mod:`sim.policies`     the prior pi0 and the closed-form policies (tilt, best-of-n, mask)
- :mod:`sim.losses`       the training objectives (DPO, IPO, KTO, NPO, D2O, PSR/NSR/W-REINFORCE)
- :mod:`sim.training`     the optax policy-training loop (exact or sampled gradients)
- :mod:`sim.convergence`, :mod:`sim.sycophancy`, :mod:`sim.negative_only`,
  :mod:`sim.loss_aversion`  experiments E1 to E4 as pure, batched functions
- :mod:`sim.config`       validated configs and their static / swept split
"""

from . import losses
from .config import ConfigError, split
from .constraints import (
                          ConstraintTrace,
                          contraction_curve,
                          feasible_curve,
                          feasible_sets,
                          learn_constraints,
)
from .convergence import VARIANTS, ConvergenceConfig, checkpoint_steps, make_convergence
from .metrics import kendall_distance, kendall_tau, set_metrics
from .oracles import AnnotatorConfig, preference_oracle, rejection_oracle
from .policies import PolicyConfig, best_of_n, mask, prior_logits, tilt
from .preferences import LearnerConfig, bradley_terry_nll, fit_batch, fit_online, rewards
from .world import (
                          Contexts,
                          World,
                          WorldConfig,
                          acceptable,
                          make_world,
                          sample_contexts,
                          unacceptable,
                          utility,
                          value,
)

__all__ = [
    "AnnotatorConfig", "ConfigError", "ConstraintTrace", "Contexts", "ConvergenceConfig",
    "LearnerConfig", "VARIANTS", "World", "WorldConfig", "acceptable", "bradley_terry_nll",
    "checkpoint_steps", "contraction_curve", "feasible_curve", "feasible_sets", "fit_batch",
    "fit_online", "kendall_distance", "kendall_tau", "learn_constraints", "make_convergence",
    "make_world", "preference_oracle", "rejection_oracle", "rewards", "sample_contexts",
    "set_metrics", "split", "unacceptable", "utility", "value", "losses", "PolicyConfig",
    "best_of_n", "mask", "prior_logits", "tilt",
]
__version__ = "0.1.0"
