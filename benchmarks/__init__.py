"""Benchmarks of the portfolio app against the physical limits beneath it.

``python -m benchmarks`` runs every case on SQLite and on PostgreSQL, each compared in the same run with
the bare work that it cannot go below (the same SQL through the bare driver, a constant FastAPI route
served the same way, a raw ``executemany`` of the same rows), and prints medians and ratios. See
:mod:`benchmarks.run` for the cases and options; ``python -m benchmarks --help`` for the command line.
"""
