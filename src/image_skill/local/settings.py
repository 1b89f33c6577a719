"""Settings of the offline local backend: where its state lives and test switches."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from image_skill._constants import LOCAL_DIR_ENV
from image_skill._constants import LOCAL_FAULTS_ENV as FAULTS_ENV
from image_skill._constants import LOCAL_MEDIA_BASE_URL_ENV as MEDIA_BASE_URL_ENV

#: Fault-injection switches understood by the backend. Domain modules check
#: ``settings.fault(name)`` at the point where the real failure would happen.
FAULTS = frozenset(
    {
        "provider_failure",  # creates/edits fail with PROVIDER_FAILURE before any debit
        "storage_write_failure",  # output storage fails: ARTIFACT_STORAGE_WRITE_FAILED
        "feedback_storage_unavailable",  # feedback fails closed
        "internal_error",  # every authenticated route raises (exercise the 500 path)
    }
)


def default_data_dir() -> Path:
    """``$IMAGE_SKILL_LOCAL_DIR`` when set and non-empty, else the platform data dir."""
    override = os.environ.get(LOCAL_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_data_path("image-skill") / "local"


@dataclass(frozen=True)
class LocalSettings:
    """Everything the local backend can be configured with.

    ``free_credits`` is the one-time free-preview grant given at signup; it covers the
    default local model (about 9 credits per image) a few times. ``daily_job_cap`` bounds
    the live jobs funded by free credits per UTC day.
    """

    data_dir: Path = field(default_factory=default_data_dir)
    #: Base URL for owned media links (``{base}/a/{asset_id}.{ext}``); ``None`` means the
    #: URL the request came in on (the in-process origin or the served host:port).
    media_base_url: str | None = None
    free_credits: int = 30
    daily_job_cap: int = 4
    #: When an agent signs up again with the same contact and name, a new token is issued.
    #: By default the older tokens stay valid (saved configs in scripts and tests keep
    #: working); set this to revoke them instead, as the hosted service may do.
    revoke_previous_tokens_on_rotate: bool = False
    #: Names from :data:`FAULTS` to switch on.
    faults: frozenset[str] = frozenset()
    #: SQLite busy timeout, milliseconds (how long a writer waits for another one).
    busy_timeout_ms: int = 15_000

    def __post_init__(self) -> None:
        unknown = set(self.faults) - FAULTS
        if unknown:
            raise ValueError(f"unknown fault names: {sorted(unknown)}")
        if self.free_credits < 0 or self.daily_job_cap < 0:
            raise ValueError("free_credits and daily_job_cap must not be negative")
        object.__setattr__(self, "data_dir", Path(self.data_dir))

    @classmethod
    def from_env(cls, **overrides: object) -> LocalSettings:
        """Settings from ``IMAGE_SKILL_LOCAL_*`` environment variables plus overrides."""
        media = os.environ.get(MEDIA_BASE_URL_ENV, "").strip() or None
        faults = frozenset(
            name.strip() for name in os.environ.get(FAULTS_ENV, "").split(",") if name.strip()
        )
        base = cls(media_base_url=media, faults=faults)
        return replace(base, **overrides)  # type: ignore[arg-type]

    def fault(self, name: str) -> bool:
        if name not in FAULTS:
            raise ValueError(f"unknown fault name: {name}")
        return name in self.faults

    @property
    def db_path(self) -> Path:
        return self.data_dir / "image-skill.sqlite3"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"
