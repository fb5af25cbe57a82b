"""Benchmarks run by hand (bench/README.md): `python -m bench.<name>` from the project root."""
