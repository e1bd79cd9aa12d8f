"""Test files for the benchmarks."""

import os


def make_random_file(path, size, chunk=1 << 20):
    """`size` random bytes at `path` (random, so no layer can compress them)."""
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, chunk)
            f.write(os.urandom(n))
            left -= n
