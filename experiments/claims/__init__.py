"""The claims ledger's 32 rows (docs/model.md section 6).

The 15 claims of the summary's table (seed ``001_f2f92074cafd8102.txt``, S1 to S15; the
compound S6, S9 and S14 each split into atomic rows) and the paper's own claims in sections
3.1 (amplification; no amount of data removes it), 3.2, 3.3, 3.4, 4 (contraction, drift, the
feasible set approximately acceptable), 5 (one row per metric: length, density, sycophancy),
6.1 (the interface) and 6.3 (the limits; separating safety from helpfulness). Each
:class:`~experiments.claims.reading.Claim` names the experiment and metric that test it, the
setting the verdict is read at, the one-line rule, the function that applies the rule to the
results (:mod:`~experiments.claims.convergence` for E1, :mod:`~experiments.claims.sycophancy`
for E2, :mod:`~experiments.claims.learning` for E3 to E5, :mod:`~experiments.claims.shift` for
E6, :mod:`~experiments.claims.deployment` for E7 and E9, :mod:`~experiments.claims.hybrid` for
E8, :mod:`~experiments.claims.limits` for E10), and the report's panels of the quantities
that function reads (:class:`~experiments.claims.reading.Panel`). No verdict is typed by
hand: :mod:`experiments.ledger` computes them all.
"""

from . import convergence as _c
from . import deployment as _d
from . import hybrid as _h
from . import learning as _l
from . import limits as _lim
from . import shift as _e6
from . import sycophancy as _s
from .reading import VERDICTS, Claim, Panel, Reading

CLAIMS = (_l.S1, _s.S2, _c.S3, _c.S4, _c.S5, _s.S6, _s.S6_ADHERENCE, _e6.S7, _e6.S8, _d.S9,
          _d.S9_DRIFT, _h.S10, _d.S11, _d.S12, _d.S13, _d.S14, _d.S14_POWER, _e6.S15, _s.P31,
          _d.P31_DATA, _s.P32, _l.P33, _l.P34, _c.P4, _c.P4_DRIFT, _c.P4F, *_l.P5, _c.P61,
          _lim.P63, _h.P63_SEPARATION)

# the tiers each verdict reads (docs/model.md section 3): the information the labels of the
# learners it compares carry; no verdict reads the oracle (a test holds it)
TIER_READ = {
    "S1": "none (a verifiable reward)", "S2": "comparison", "S3": "named",
    "S4": "flag, comparison (oracle as the reference)", "S5": "comparison (named as contrast)",
    "S6": "named against comparison", "S6-adherence": "named against comparison",
    "S7": "comparison", "S8": "named against comparison",
    "S9-returns": "flag", "S9-drift": "comparison", "S10": "named, flag hybrids against comparison",
    "S11": "named against comparison", "S12": "none", "S13": "none (an identity)",
    "S14-harm": "a curator's rule library (an identity)", "S14-power": "none",
    "S15": "named, flag against comparison",
    "P3.1": "comparison", "P3.1-data": "comparison", "P3.2": "comparison",
    "P3.3": "none (a verifiable reward)", "P3.4": "none (unpaired labels)",
    "P4-contraction": "named", "P4-drift": "comparison (named as contrast)",
    "P4-feasible": "named", "P5-length": "named",
    "P5-density": "named", "P5-sycophancy": "named", "P6.1": "named against comparison",
    "P6.3": "named, flag against comparison",
    "P6.3-separation": "named + comparison hybrid against comparison"}

assert len(CLAIMS) == 32 and len({c.id for c in CLAIMS}) == 32

assert set(TIER_READ) == {c.id for c in CLAIMS}

__all__ = ["CLAIMS", "TIER_READ", "VERDICTS", "Claim", "Panel", "Reading"]
