"""The plumbing: settings, the Redis job queue, the Postgres store, the worker loop.

Everything that talks to another process lives here; the scanners never do.
"""
