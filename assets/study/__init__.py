"""`pressure-lab study`: the lab measures its own calibration on synthetic worlds.

`units` runs one (scenario, strength, seed) world through the in-memory pipeline (the
assets' own code path) and writes one JSON result; `summary` fans the results in
(false-positive rates with Clopper-Pearson intervals, the primary p-value's uniformity,
power curves, the spread of z); `page` draws the figures into an HTML page.
"""
