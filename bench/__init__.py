"""Hanse's benchmark suite: ``python -m bench [--quick] [--database-url URL]`` (bench/__main__.py).

Every figure is a ratio against a baseline measured in the same run on the same data; none is a
timed assertion in the test suite (docs/benchmarks.md).
"""
