"""The detection engine: PII catalogue, validators, secrets. No I/O.

Import what you need from its modules (`dgp.engine.detector`, `dgp.engine.rules`):
this package itself imports nothing, so reading the rule catalogue does not load
the pattern matcher (hyperscan).
"""
