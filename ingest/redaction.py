"""What the redaction on the insert path masks: the detector names and the query parameters that switch
them (sql/0050_redaction_functions.sql does the masking, in ClickHouse, as spans are loaded).

Pure: settings in, parameters out. Spool files hold requests as sent until they are loaded (seconds).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DETECTORS = ("email", "phone", "card", "iban", "bearer", "api_key")
NEVER_MATCHES = r"\b\B"  # RE2: the pattern of no custom redaction


@dataclass(frozen=True)
class Redaction:
    detectors: tuple[str, ...] = DETECTORS
    patterns: tuple[str, ...] = ()  # RE2 patterns of the user's own; matches become [redacted:custom]
    keep: tuple[str, ...] = ()  # attribute keys stored as sent ('prefix.*' names a prefix)
    drop: tuple[str, ...] = ()  # attribute keys whose values are never stored
    salt: str = field(default="", repr=False)  # key of the email and phone pseudonyms

    def __post_init__(self) -> None:
        unknown = sorted(set(self.detectors) - set(DETECTORS))
        if unknown:
            raise ValueError(f"unknown redaction detector(s) {unknown}; known: {list(DETECTORS)}")

    def custom_pattern(self) -> str:
        """The user's patterns as one RE2 alternation (one scan per value whatever their number), the whole
        of it a group: ClickHouse's extractAll returns a pattern's first group, and the whole match is masked."""
        if not self.patterns:
            return NEVER_MATCHES
        return "(" + "|".join(f"(?:{pattern})" for pattern in self.patterns) + ")"

    def params(self) -> dict[str, Any]:
        return {"redact_detectors": list(self.detectors), "redact_salt": self.salt, "redact_custom": self.custom_pattern(),
                "redact_keep": list(self.keep), "redact_drop": list(self.drop)}


def pseudonym_key(path: Path) -> str:
    """The key kept at path, created (random, readable by the owner only) on first use."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_hex(16)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(key + "\n")
        return key
