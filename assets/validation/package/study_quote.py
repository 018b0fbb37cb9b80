"""What the evidence package quotes from `pressure-lab study`, and when it may.

A study measures the lab's own error rates for one statistical procedure. It applies to a
package when the procedure is the same: the config with the Monte Carlo replication counts
and the random seed removed (`procedure_digest`). Those only set the p-values' resolution
and the draw; every permutation p-value (1 + #)/(B + 1) is valid for any B, so the study's
false-positive rates bound the package's whatever B it uses (power grows with B, and the
quote names the study's counts).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from assets.common.config import LabConfig

MONTE_CARLO_KEYS = ("null_replications", "bootstrap_replications", "oi_placebo_replications",
                    "seed")


def procedure_digest(cfg: LabConfig) -> str:
    data = cfg.model_dump(mode="json")
    for key in MONTE_CARLO_KEYS:
        data["validation"].pop(key, None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


UNKNOWN_REACH = {"reachable": None, "smallest_strength": None, "binding_criterion": None,
                 "statement": "the verdict's reach is unknown: no study for this procedure "
                              "(run `pressure-lab study`)"}


def quote_study(study: Mapping[str, Any] | None, cfg: LabConfig) -> dict[str, Any]:
    """The package's `study_calibration` block (available: False when no study applies;
    then the verdict's reach is unknown)."""
    digest = procedure_digest(cfg)
    if not study:
        return {"available": False, "procedure_digest": digest,
                "note": "no study for this procedure; run `pressure-lab study`",
                "verdict_reach": dict(UNKNOWN_REACH)}
    if study.get("procedure_digest") != digest:
        return {"available": False, "procedure_digest": digest,
                "note": "the study on file was run for another procedure (config) and does "
                        "not apply", "verdict_reach": dict(UNKNOWN_REACH)}
    return {"available": True, "procedure_digest": digest,
            "study_created": study.get("created"),
            "span": study.get("span"), "replications": study.get("replications"),
            "n_null_worlds": study.get("n_null_worlds"),
            "false_positive_rates": study.get("false_positive_rates"),
            "primary_p_uniformity": study.get("primary_p_uniformity"),
            "power": study.get("power"),
            "calendar_placebo": study.get("calendar_placebo"),
            "selection": study.get("selection"),
            "verdict_reach": study.get("verdict_reach") or dict(UNKNOWN_REACH)}
