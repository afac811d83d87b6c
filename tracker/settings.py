"""The one settings object: a frozen view of app.config, built once and read the same way everywhere.

config.py declares every setting with its default and environment variable; this module never adds a
fallback of its own. `settings()` answers the current app's Settings; a change to app.config (an operator
reconfiguring at run time, a test pointing mail at its own SMTP server) rebuilds it on the next read.
"""
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from flask import Config, current_app


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    sender: str
    timeout_seconds: float
    batch_size: int
    max_attempts: int
    retry_base_seconds: int
    claim_lease_seconds: int


@dataclass(frozen=True)
class LoginSettings:
    max_failures: int
    lock_minutes: int
    max_failures_per_ip: int
    invitation_hours: int
    reset_token_hours: int


@dataclass(frozen=True)
class SchedulerSettings:
    scan_seconds: float
    delivery_seconds: float
    heartbeat_seconds: float
    leader_poll_seconds: float
    lock_file: str


@dataclass(frozen=True)
class Settings:
    timezone: str
    base_url: str
    secret_key: str
    database_url: str
    instance_dir: str
    notice_hour: int
    notice_end_hour: int
    rules: Mapping
    org_dept_email: str
    discipline_email: str
    org_dept_name: str
    upload_dir: str
    max_evidence_bytes: int
    max_document_bytes: int
    max_request_bytes: int
    import_default_deadline_days: int
    mail: MailSettings
    login: LoginSettings
    scheduler: SchedulerSettings
    digest_max_items: int = 30
    mail_max_message_bytes: int = 256 * 1024

    @property
    def due_soon_days(self) -> int:
        return int(self.rules["due_soon_days"])

    def link(self, path: str) -> str:
        """An absolute link for mails and robots: BASE_URL + path."""
        return self.base_url + path

    @classmethod
    def from_config(cls, config: Mapping) -> "Settings":
        return cls(
            timezone=config["TIMEZONE"],
            base_url=config["BASE_URL"].rstrip("/"),
            secret_key=config["SECRET_KEY"],
            database_url=config["SQLALCHEMY_DATABASE_URI"],
            instance_dir=config["INSTANCE_DIR"],
            notice_hour=int(config["NOTICE_HOUR"]),
            notice_end_hour=int(config["NOTICE_END_HOUR"]),
            rules=MappingProxyType(dict(config["ESCALATION_RULES"])),
            org_dept_email=(config["ORG_DEPT_CONTACT_EMAIL"] or "").strip(),
            discipline_email=(config["DISCIPLINE_CONTACT_EMAIL"] or "").strip(),
            org_dept_name=config["ORG_DEPT_NAME"],
            upload_dir=config["UPLOAD_DIR"],
            max_evidence_bytes=int(config["MAX_EVIDENCE_BYTES"]),
            max_document_bytes=int(config["MAX_DOCUMENT_BYTES"]),
            max_request_bytes=int(config["MAX_CONTENT_LENGTH"] or 0),
            import_default_deadline_days=int(config["IMPORT_DEFAULT_DEADLINE_DAYS"]),
            mail=MailSettings(
                server=config["MAIL_SERVER"], port=int(config["MAIL_PORT"]), use_tls=bool(config["MAIL_USE_TLS"]),
                use_ssl=bool(config["MAIL_USE_SSL"]), username=config["MAIL_USERNAME"],
                password=config["MAIL_PASSWORD"], sender=config["MAIL_DEFAULT_SENDER"],
                timeout_seconds=float(config["MAIL_TIMEOUT_SECONDS"]), batch_size=int(config["MAIL_BATCH_SIZE"]),
                max_attempts=int(config["MAIL_MAX_ATTEMPTS"]),
                retry_base_seconds=int(config["MAIL_RETRY_BASE_SECONDS"]),
                claim_lease_seconds=int(config["MAIL_CLAIM_LEASE_SECONDS"])),
            login=LoginSettings(
                max_failures=int(config["LOGIN_MAX_FAILURES"]), lock_minutes=int(config["LOGIN_LOCK_MINUTES"]),
                max_failures_per_ip=int(config["LOGIN_MAX_FAILURES_PER_IP"]),
                invitation_hours=int(config["INVITATION_HOURS"]),
                reset_token_hours=int(config["RESET_TOKEN_HOURS"])),
            scheduler=SchedulerSettings(
                scan_seconds=float(config["SCHEDULER_SCAN_SECONDS"]),
                delivery_seconds=float(config["SCHEDULER_DELIVERY_SECONDS"]),
                heartbeat_seconds=float(config["SCHEDULER_HEARTBEAT_SECONDS"]),
                leader_poll_seconds=float(config["SCHEDULER_LEADER_POLL_SECONDS"]),
                lock_file=(config["SCHEDULER_LOCK_FILE"] or "").strip()),
            digest_max_items=max(1, int(config.get("DIGEST_MAX_ITEMS", 30))),
            mail_max_message_bytes=max(1, int(config.get("MAIL_MAX_MESSAGE_BYTES", 256 * 1024))),
        )


class TrackerConfig(Config):
    """app.config that drops its Settings whenever a value changes, so the next read sees the change."""

    _settings: Settings | None = None

    def __setitem__(self, key, value):
        self._settings = None
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self._settings = None
        super().__delitem__(key)

    def update(self, *args, **kwargs):
        self._settings = None
        super().update(*args, **kwargs)

    def setdefault(self, key, default=None):
        self._settings = None
        return super().setdefault(key, default)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_config(self)
        return self._settings


def settings() -> Settings:
    """The current app's settings (views, jobs and CLI commands all run inside an app context)."""
    return current_app.config.settings

