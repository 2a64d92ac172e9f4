"""The detection engine: PII catalogue, validators, secrets. No I/O."""

from dgp.engine.detector import Detection, Detector
from dgp.engine.rules import RULES, Rule

__all__ = ["RULES", "Detection", "Detector", "Rule"]
