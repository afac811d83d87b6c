"""Benchmarks (not tests): `python -m benchmarks` runs all of them and prints the ratios."""
