"""How sure Revo is about one generated answer, as a number in [0, 1].

    confidence = validity × re-ask factor × certainty

* **validity** is 1 when the final answer parsed, matched the prompt's JSON schema and passed
  every deterministic validator, otherwise 0: an invalid answer never has any confidence.
* **re-ask factor** is 1.0 when the first answer was valid, 0.7 after one re-ask and 0.4
  after two: an answer that needed correcting is less trustworthy even once it passes.
* **certainty** is the geometric-mean token probability, ``exp(mean token log-probability)``,
  when the backend reports log-probabilities (OpenAI-compatible servers); otherwise the
  fixed prior 0.85, so that without log-probabilities no answer scores above 0.85 and a
  tenant's threshold above that means "only with log-probabilities".

The result is rounded to three decimals. Auto-approval compares it with the tenant's
``AutoApprovalRule.min_confidence``.
"""

from __future__ import annotations

import math

REASK_FACTORS = (1.0, 0.7, 0.4)
NO_LOGPROB_CERTAINTY = 0.85


def confidence_score(*, valid: bool, reasks: int, mean_logprob: float | None) -> float:
    if not valid:
        return 0.0
    factor = REASK_FACTORS[min(max(reasks, 0), len(REASK_FACTORS) - 1)]
    if mean_logprob is None or math.isnan(mean_logprob):
        certainty = NO_LOGPROB_CERTAINTY
    else:
        certainty = min(1.0, max(0.0, math.exp(min(mean_logprob, 0.0))))
    return round(factor * certainty, 3)
