"""The API scanner kind (SPEC 3.9)."""
