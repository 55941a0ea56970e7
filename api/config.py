"""Settings from the environment. DATABASE_URL defaults to an embedded SQLite file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE = "sqlite:///var/consortium.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default_factory=lambda: os.environ.get("DATABASE_URL", DEFAULT_DATABASE)
    )
    # A worker holds a run for this long without a heartbeat before another may take it.
    lease_seconds: float = field(
        default_factory=lambda: float(os.environ.get("RUN_LEASE_SECONDS", "60"))
    )
    # Solve requests a consortium may make per minute (429 beyond).
    runs_per_minute: int = field(
        default_factory=lambda: int(os.environ.get("RUNS_PER_MINUTE", "30"))
    )
    max_body_bytes: int = field(
        default_factory=lambda: int(os.environ.get("MAX_BODY_BYTES", str(64 * 1024 * 1024)))
    )

    # The largest round this deployment solves (422 at import and before a run is queued).
    max_candidates: int = field(
        default_factory=lambda: int(os.environ.get("MAX_ROUND_CANDIDATES", "200000"))
    )
    max_placements: int = field(
        default_factory=lambda: int(os.environ.get("MAX_ROUND_PLACEMENTS", "20000"))
    )

    def round_too_large(self, candidates: int, placements: int) -> list[dict[str, str]]:
        """The problems of a round of this size here (none when it fits)."""
        return [
            {"field": name, "message": f"{count} {name}; this deployment takes at most {limit}"}
            for name, count, limit in (
                ("candidates", candidates, self.max_candidates),
                ("placements", placements, self.max_placements),
            )
            if count > limit
        ]

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix):
            return Path(self.database_url[len(prefix) :])
        return None
