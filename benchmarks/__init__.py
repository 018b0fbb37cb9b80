"""Speed benchmarks and studies, run from the repository root as modules:
`python -m benchmarks.bench_<stage> [--quick]` (results under benchmarks/results/)."""
