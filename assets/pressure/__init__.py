"""The pressure engine (pure numpy, no Dagster): the specification's pressure score on minutes x
strikes grids, its urgency classes, calibrated alerts, their realized outcomes and the
cells stored in the pressure series table."""

from assets.pressure.alerts import (
    ALERT_COLUMNS,
    alert_confidence,
    calibrate_thresholds,
    detect_alerts,
    tie_direction,
)
from assets.pressure.kernel import GridWorkspace, PressureGrid, pressure_grid
from assets.pressure.outcomes import OUTCOME_COLUMNS, prediction_outcomes
from assets.pressure.probability import (
    PROBABILITY_MODELS,
    ItmNormalProbability,
    SpecificationProbability,
    probability_model,
)
from assets.pressure.series import SERIES_COLUMNS, stored_cells
from assets.pressure.urgency import NO_SIGNAL, classify, classify_grid, urgency_names

__all__ = [
    "ALERT_COLUMNS", "OUTCOME_COLUMNS", "PROBABILITY_MODELS", "SERIES_COLUMNS", "NO_SIGNAL",
    "GridWorkspace", "ItmNormalProbability", "PressureGrid", "SpecificationProbability",
    "alert_confidence", "calibrate_thresholds", "classify", "classify_grid", "detect_alerts",
    "pressure_grid", "prediction_outcomes", "probability_model", "stored_cells",
    "tie_direction", "urgency_names",
]
