"""The claims ledger's 25 rows (docs/model.md section 6).

The 15 claims of the summary's table (seed ``001_f2f92074cafd8102.txt``, S1 to S15) and
the paper's own claims in sections 3.1, 3.2, 3.3, 3.4, 4, 5 (one row per metric:
length, density, sycophancy) and 6.3. Each :class:`~experiments.claims.reading.Claim`
names the experiment and metric that test it, the setting the verdict is read at, the
one-line rule, the function that applies the rule to the results
(:mod:`~experiments.claims.learning` for E1 to E5, :mod:`~experiments.claims.deployment`
for E6 to E10), and the report's panels of the quantities that function reads
(:class:`~experiments.claims.reading.Panel`). No verdict is typed by hand:
:mod:`experiments.ledger` computes them all.
"""

from . import deployment as _d
from . import learning as _l
from .reading import VERDICTS, Claim, Panel, Reading

CLAIMS = (_l.S1, _l.S2, _l.S3, _l.S4, _l.S5, _l.S6, _d.S7, _d.S8, _d.S9, _d.S9_DRIFT, _d.S10, _d.S11,
          _d.S12, _d.S13, _d.S14, _d.S15, _l.P31, _l.P32, _l.P33, _l.P34, _l.P4, *_l.P5,
          _d.P63)

assert len(CLAIMS) == 25 and len({c.id for c in CLAIMS}) == 25

__all__ = ["CLAIMS", "VERDICTS", "Claim", "Panel", "Reading"]
