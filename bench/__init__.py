"""`python -m bench`: latency, load, idle connections, handoff and training figures of the whole stack.

Never part of the test suite's pass/fail; results go to results/bench/ (see docs/benchmarks.md).
"""
