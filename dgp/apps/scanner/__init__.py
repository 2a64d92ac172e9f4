"""The scanner app: one per kind, a small HTTP face (/health, /stats, /metrics) over a
consumer process that runs the kind's scans."""
