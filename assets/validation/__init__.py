"""Statistical validation, the verdict and the evidence package (pure, no Dagster).

Modules: `metrics` (per-trade statistics), `sharpe`, `drawdown`, `null_model` (the
random-entry null), `prediction`, `secondary` (secondary and opposite hypotheses),
`verdict`, `package` (assembly, JSON schema, atomic publication). Everything is computed
on the out-of-sample trades only (`is_calibration == False`).

The main entry points are re-exported lazily, so importing one submodule does not pull
in statsmodels/arch for all of them.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "evaluate": "package", "build_evidence_package": "package",
    "empirical_evidence_files": "package", "write_package": "package",
    "validate_package": "package", "canonical_dumps": "package",
    "random_entry_null": "null_model", "success_criteria": "verdict",
}  # `verdict` itself lives in assets.validation.verdict (the name is the submodule's)

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"assets.validation.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'assets.validation' has no attribute {name!r}")
