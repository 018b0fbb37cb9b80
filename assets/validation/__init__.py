"""Statistical validation, the verdict and the evidence package (pure, no Dagster).

Grouped by job: `statistics/` (per-trade and per-day measures, the nulls' results, the
prediction, secondary and opposite hypotheses), `claims/` (the claims family, the verdict,
repeated looks) and `package/` (assembly, schema, figures' data, reproducibility,
publication, and `evaluate`, the whole validation). `assets.py` and `checks.py` are the
stage's Dagster definitions. Everything is computed on the out-of-sample trades only
(`is_calibration == False`).

The main entry points are re-exported lazily, so importing one submodule does not pull
in statsmodels/arch for all of them.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "build_evidence_package": "package.assembly",
    "empirical_evidence_files": "package.publishing", "write_package": "package.publishing",
    "validate_package": "package.schema", "canonical_dumps": "package.json_values",
    "random_entry_null": "statistics.null_model", "success_criteria": "claims.verdict",
}  # `verdict` and `evaluate` are not re-exported: each name is also its submodule's
# (import them from assets.validation.claims.verdict and assets.validation.package.evaluate)

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"assets.validation.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'assets.validation' has no attribute {name!r}")
