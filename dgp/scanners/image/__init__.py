"""The image kind (SPEC 3.6): spec.py is its light description, scanner.py the scan."""
