"""Benchmarks: ``python -m benchmarks [name ...]`` runs ``bench_<name>.py`` modules and renders BENCHMARKS.md."""
