"""Statistical validation, the verdict and the evidence package (pure, no Dagster).

Modules: `metrics` (per-trade statistics), `sharpe`, `drawdown`, `null_model` (the
random-entry null), `prediction`, `secondary` (the secondary hypotheses, with
`same_minute` and `steering_concentration`), `opposite_hypothesis`, `claims` and
`claims_family`, `verdict`; the evidence package: `json_values` (canonical JSON), `package_schema`,
`package_sections`, `package_figures`, `package_assembly`, `publishing` (evidence files,
atomic publication) and `evaluate` (the whole validation). Everything is computed on the
out-of-sample trades only (`is_calibration == False`).

The main entry points are re-exported lazily, so importing one submodule does not pull
in statsmodels/arch for all of them.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "build_evidence_package": "package_assembly",
    "empirical_evidence_files": "publishing", "write_package": "publishing",
    "validate_package": "package_schema", "canonical_dumps": "json_values",
    "random_entry_null": "null_model", "success_criteria": "verdict",
}  # `verdict` and `evaluate` are not re-exported: each name is also its submodule's
# (import them from assets.validation.verdict and assets.validation.evaluate)

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"assets.validation.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'assets.validation' has no attribute {name!r}")
