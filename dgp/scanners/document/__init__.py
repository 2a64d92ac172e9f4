"""The document kind (SPEC 3.4): spec.py is its light description, scanner.py the scan."""
