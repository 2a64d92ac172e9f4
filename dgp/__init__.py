"""DataGuardian Pro: finds personal data and privacy-compliance problems."""

__version__ = "0.1.0"
