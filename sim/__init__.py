"""via-negativa-sim: a formal toy model of negative constraints versus positive preferences.

The mathematics is fixed in docs/model.md (kept beside the repository as
``shared/docs/model.md``); each module is one concept of it:

- :mod:`sim.world`        responses, contexts, the coupled utility U, prohibitions, V
- :mod:`sim.oracles`      the rejection and preference annotators
- :mod:`sim.labels`       buying labels from either annotator (queries, answers, features)
- :mod:`sim.constraints`  the rule learner (feasible sets F_n)
- :mod:`sim.costs`        the cost model (a constraint learned from binary flags)
- :mod:`sim.preferences`  the Bradley-Terry reward model
- :mod:`sim.metrics`      set, ranking and policy metrics
- :mod:`sim.policies`     the prior pi0 and the closed-form policies (tilt, best-of-n, mask)
- :mod:`sim.losses`       the training objectives (DPO, IPO, KTO, NPO, D2O, PSR/NSR/W-REINFORCE)
- :mod:`sim.training`     the optax policy-training loop (exact or sampled gradients)
- :mod:`sim.config`       validated configs, their static half and typed params
- :mod:`sim.keys`         named PRNG key streams
- :mod:`sim.spec`         the experiment spec, the batched program, the registry
- :mod:`sim.specs`        the experiments E1 to E10, one module each (``e01_convergence`` ...)
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
from .labels import collect_comparisons, collect_rejections, feature_differences
from .metrics import kendall_distance, kendall_tau, set_metrics
from .oracles import AnnotatorConfig, preference_oracle, rejection_oracle
from .policies import (
    PolicyConfig,
    best_of_n,
    constrained_tilt,
    dual_ascent,
    mask,
    prior_logits,
    tilt,
)
from .preferences import LearnerConfig, rewards
from .reward_fits import bradley_terry_nll, fit_batch, fit_online
from .spec import Experiment, Variant, batched, registry
from .world import (
    Contexts,
    World,
    WorldConfig,
    acceptable,
    make_world,
    sample_contexts,
    sample_world,
    unacceptable,
    utility,
    value,
)

__all__ = [
    "AnnotatorConfig", "ConfigError", "ConstraintTrace", "Contexts", "Experiment",
    "LearnerConfig", "PolicyConfig", "Variant", "World", "WorldConfig", "acceptable", "batched",
    "best_of_n", "bradley_terry_nll", "constrained_tilt", "dual_ascent", "collect_comparisons",
    "collect_rejections",
    "contraction_curve", "feasible_curve", "feasible_sets", "feature_differences", "fit_batch",
    "fit_online", "kendall_distance", "kendall_tau", "learn_constraints", "losses", "make_world",
    "mask", "preference_oracle", "prior_logits", "registry", "rejection_oracle", "rewards",
    "sample_contexts", "sample_world", "set_metrics", "split", "tilt", "unacceptable", "utility",
    "value",
]
__version__ = "0.2.0"
