"""Benchmarks for newsletter: see benchmarks/run.py and docs/performance.md."""
