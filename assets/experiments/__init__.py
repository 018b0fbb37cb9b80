"""Experiments: parameter sweeps that count every variant tried, and the statistics that
say how much of a sweep's best result is selection (DSR, PBO, SPA, walk-forward)."""
