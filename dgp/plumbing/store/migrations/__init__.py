"""Ordered SQL migrations, `NNNN_name.sql`, applied by `dgp.plumbing.store.migrate`.

A package (not a bare folder) so importlib.resources finds the files in an
installed wheel or .deb as well as in a checkout.
"""
