"""Trade simulation and risk counterfactuals (pure numpy/pandas, no Dagster)."""
