"""Baselines / allowlists: suppress known findings by fingerprint, rule or path glob.

A baseline file is JSON, either {"fingerprints": [...], "rules": [...],
"paths": [...]} or an earlier `dgp scan --format json` report, whose findings'
fingerprints are then suppressed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from dgp.domain.finding import Finding


class BaselineError(ValueError):
    pass


@dataclass(frozen=True)
class Baseline:
    fingerprints: frozenset[str] = frozenset()
    rules: frozenset[str] = frozenset()
    paths: tuple[str, ...] = ()
    _empty: bool = field(default=False, repr=False)

    def suppresses(self, finding: Finding) -> bool:
        if finding.fingerprint in self.fingerprints or finding.rule_id in self.rules:
            return True
        path = finding.location.path
        return path is not None and any(fnmatchcase(path, glob) for glob in self.paths)

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "fingerprints": sorted(self.fingerprints),
            "rules": sorted(self.rules),
            "paths": list(self.paths),
        }

    @classmethod
    def from_dict(cls, data: object) -> Baseline:
        if not isinstance(data, dict):
            raise BaselineError("a baseline must be a JSON object")
        fingerprints = _strings(data, "fingerprints")
        findings = data.get("findings", [])
        if not isinstance(findings, list):
            raise BaselineError("baseline findings must be a list")
        for finding in findings:
            if isinstance(finding, dict) and "fingerprint" in finding:
                fingerprints.append(finding["fingerprint"])
        if not all(isinstance(x, str) for x in fingerprints):
            raise BaselineError("baseline fingerprints must be strings")
        rules, paths = _strings(data, "rules"), _strings(data, "paths")
        return cls(frozenset(fingerprints), frozenset(rules), tuple(paths))

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise BaselineError(f"cannot read baseline {path}: {e.strerror}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise BaselineError(f"baseline {path} is not valid JSON: {e}") from None
        return cls.from_dict(data)


def _strings(data: dict[str, object], key: str) -> list[str]:
    """`data[key]` as a list of strings. A bare string is refused, not split into
    characters: "paths": "*.py" would suppress every finding through its "*"."""
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise BaselineError(f"baseline {key} must be a list of strings")
    return list(value)
