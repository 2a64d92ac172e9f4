"""Scanner kinds and what they share.

Each kind is a package here: `<kind>/spec.py` (a light KindSpec, read by every
process through dgp.kinds) and `<kind>/scanner.py` (the implementation:
`scan(job, inputs) -> ScanResult`, imported only by the process that scans).
The modules beside them (session, tree, files, archives, git) are shared by the
kinds. This package imports nothing itself.
"""
