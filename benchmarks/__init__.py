"""Benchmark scripts: each runs from one command documented in docs/BENCHMARKS.md."""
