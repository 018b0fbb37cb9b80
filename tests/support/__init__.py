"""Builders, oracles and helpers shared by the test modules and the benchmarks.

Test modules import from here, never from one another; benchmarks import from here too
(they run as `python -m benchmarks.<name>` from the repository root).
"""
