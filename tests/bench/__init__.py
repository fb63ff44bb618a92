"""Benchmarks (``make bench``): each ``bench_<topic>.py`` module has ``run(table)``.

Figures are ratios against a baseline measured in the same run, so a slow or
busy machine changes both sides alike. No test depends on these timings.
"""
