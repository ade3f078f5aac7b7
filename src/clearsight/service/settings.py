"""The service's settings: one frozen object built from arguments or the environment, never read ad hoc.

Why: tests, the CLI and production each need to set the same few knobs (database, secret, cookie security,
rate limits, statutory clocks) without code changes, as the Analysis Function asks of configuration.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///clearsight-service.db"


def load_secret_key(key_file: Path) -> str:
    """The session-signing key: ``CLEARSIGHT_SECRET_KEY``, else a key file created once with mode 0600."""
    from_env = os.environ.get("CLEARSIGHT_SECRET_KEY")
    if from_env:
        return from_env
    if key_file.is_file():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(48)
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the app factory needs. ``from_env`` fills what is not given from CLEARSIGHT_* variables."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48), repr=False)
    secure_cookies: bool = False
    """Set the cookie's Secure flag; on in production behind TLS (CLEARSIGHT_SECURE_COOKIES=1)."""
    session_max_age_s: int = 8 * 3600
    login_attempts: int = 5
    """Failed sign-ins allowed per account (and per client) in ``login_window_s`` before refusing with 429."""
    login_window_s: int = 900
    intake_per_client_per_minute: int = 30
    """Reports one client may submit a minute on the public form; the counter lives in memory only."""
    triage_deadline_hours: int = 24
    """Statutory clock: a report not triaged within this many hours of arriving is overdue."""
    report_deadline_hours: int = 48
    """Statutory clock: a report made more than this many hours after the concern became known is late."""
    migrate: bool = True
    warehouse_path: str | None = None
    """The DuckDB warehouse the flags pages read (CLEARSIGHT_WAREHOUSE); None: they say none is configured."""
    report_dir: str | None = None
    """A ``clearsight report`` folder whose tables the tracker's indicators read (CLEARSIGHT_REPORT_DIR)."""
    oidc_issuer: str | None = None
    """OpenID Connect issuer URL (CLEARSIGHT_OIDC_ISSUER); single sign-on is off unless it is set."""
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    oidc_redirect_url: str | None = None
    """The callback URL registered with the provider, when the service sits behind a proxy."""
    oidc_transport: object | None = field(default=None, repr=False, compare=False)
    """An httpx transport for talking to the provider (tests pass an in-process fake); None: the network."""

    @classmethod
    def from_env(cls, database_url: str | None = None, **overrides: object) -> ServiceSettings:
        url = database_url or os.environ.get("CLEARSIGHT_DATABASE_URL") or DEFAULT_DATABASE_URL
        values: dict[str, object] = {
            "database_url": url,
            "secure_cookies": os.environ.get("CLEARSIGHT_SECURE_COOKIES", "0") == "1",
            "intake_per_client_per_minute": _env_int("CLEARSIGHT_INTAKE_PER_MINUTE", 30),
            "login_attempts": _env_int("CLEARSIGHT_LOGIN_ATTEMPTS", 5),
            "triage_deadline_hours": _env_int("CLEARSIGHT_TRIAGE_DEADLINE_HOURS", 24),
            "report_deadline_hours": _env_int("CLEARSIGHT_REPORT_DEADLINE_HOURS", 48),
            "warehouse_path": os.environ.get("CLEARSIGHT_WAREHOUSE") or None,
            "report_dir": os.environ.get("CLEARSIGHT_REPORT_DIR") or None,
            "oidc_issuer": os.environ.get("CLEARSIGHT_OIDC_ISSUER") or None,
            "oidc_client_id": os.environ.get("CLEARSIGHT_OIDC_CLIENT_ID") or None,
            "oidc_client_secret": os.environ.get("CLEARSIGHT_OIDC_CLIENT_SECRET") or None,
            "oidc_redirect_url": os.environ.get("CLEARSIGHT_OIDC_REDIRECT_URL") or None,
        }
        if "secret_key" not in overrides:
            key_file = Path(os.environ.get("CLEARSIGHT_SECRET_KEY_FILE", "clearsight-service.key"))
            values["secret_key"] = load_secret_key(key_file)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
