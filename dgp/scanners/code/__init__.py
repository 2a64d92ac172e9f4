"""The code kind (SPEC 3.1): spec.py is its light description, scanner.py the scan."""
