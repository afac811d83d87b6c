"""The one source of settings. Every value can be overridden by an environment variable."""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _default_instance_dir() -> str:
    """A checkout keeps instance/ beside this file; an installed wheel puts this file in site-packages,
    where data must not live: there the default is instance/ in the working directory (the systemd units
    set TRACKER_INSTANCE_DIR explicitly)."""
    if (BASE_DIR / "pyproject.toml").exists():
        return str(BASE_DIR / "instance")
    return str(Path.cwd() / "instance")


INSTANCE_DIR_DEFAULT = os.environ.get("TRACKER_INSTANCE_DIR") or _default_instance_dir()


def _default_sqlite_url() -> str:
    return "sqlite:///" + str(Path(INSTANCE_DIR_DEFAULT) / "tracker.db")


class Config:
    INSTANCE_DIR = INSTANCE_DIR_DEFAULT
    # Unset: create_app() generates one and keeps it in instance/secret_key (one host). Several app
    # hosts behind a balancer must share one key: set TRACKER_SECRET_KEY on all of them.
    SECRET_KEY = os.environ.get("TRACKER_SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("TRACKER_DATABASE_URL", _default_sqlite_url())
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    TIMEZONE = os.environ.get("TRACKER_TIMEZONE", "Asia/Shanghai")
    BASE_URL = os.environ.get("TRACKER_BASE_URL", "http://127.0.0.1:5000")

    # Flask-Mail reads these names itself.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "整改督办台账 <zgdb@localhost>")
    # Flask-Mail 0.10 opens its socket without a timeout: a silent server would hang a batch forever.
    MAIL_TIMEOUT_SECONDS = _env_int("TRACKER_MAIL_TIMEOUT", 20)
    MAIL_BATCH_SIZE = _env_int("TRACKER_MAIL_BATCH_SIZE", 100)
    MAIL_MAX_ATTEMPTS = _env_int("TRACKER_MAIL_MAX_ATTEMPTS", 6)
    MAIL_RETRY_BASE_SECONDS = _env_int("TRACKER_MAIL_RETRY_BASE_SECONDS", 60)
    # A sender that crashed mid-batch leaves rows "sending"; after this lease they are retried.
    MAIL_CLAIM_LEASE_SECONDS = _env_int("TRACKER_MAIL_CLAIM_LEASE_SECONDS", 300)
    # A digest (and a 约谈/通报 proposal mail) lists this many items, then "另有N项" with a link.
    DIGEST_MAX_ITEMS = _env_int("TRACKER_DIGEST_MAX_ITEMS", 30)
    # No mail we build grows past this (text + HTML, bytes): beyond it a digest becomes a summary per
    # unit. Mail servers refuse large messages (552); we shrink instead, never refuse.
    MAIL_MAX_MESSAGE_BYTES = _env_int("TRACKER_MAIL_MAX_MESSAGE_BYTES", 256 * 1024)

    # Uploads (佐证材料)
    UPLOAD_DIR = os.environ.get("TRACKER_UPLOAD_DIR", str(Path(INSTANCE_DIR_DEFAULT) / "uploads"))
    MAX_EVIDENCE_BYTES = _env_int("TRACKER_MAX_EVIDENCE_BYTES", 10 * 1024 * 1024)
    MAX_DOCUMENT_BYTES = _env_int("TRACKER_MAX_DOCUMENT_BYTES", 5 * 1024 * 1024)
    MAX_CONTENT_LENGTH = _env_int("TRACKER_MAX_REQUEST_BYTES", 25 * 1024 * 1024)
    IMPORT_DEFAULT_DEADLINE_DAYS = _env_int("TRACKER_IMPORT_DEFAULT_DEADLINE_DAYS", 90)

    # Accounts
    LOGIN_MAX_FAILURES = _env_int("TRACKER_LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCK_MINUTES = _env_int("TRACKER_LOGIN_LOCK_MINUTES", 15)
    # Higher than the per-account limit: a whole township office may share one address.
    LOGIN_MAX_FAILURES_PER_IP = _env_int("TRACKER_LOGIN_MAX_FAILURES_PER_IP", 20)
    INVITATION_HOURS = _env_int("TRACKER_INVITATION_HOURS", 72)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("TRACKER_SESSION_HOURS", 12))
    RESET_TOKEN_HOURS = _env_int("TRACKER_RESET_TOKEN_HOURS", 2)
    # Number of reverse proxies in front of the app whose X-Forwarded-For to trust (0: none).
    PROXY_FIX_X_FOR = _env_int("TRACKER_PROXY_FIX_X_FOR", 0)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("TRACKER_SECURE_COOKIES", False)
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None

    # Scheduler and escalation rules (counted in working days).
    SCHEDULER_SCAN_MINUTES = _env_int("TRACKER_SCAN_MINUTES", 5)
    SCHEDULER_DELIVERY_SECONDS = _env_int("TRACKER_DELIVERY_SECONDS", 60)
    # Seconds, for tests and operators who want a faster scan than whole minutes.
    SCHEDULER_SCAN_SECONDS = float(os.environ.get("TRACKER_SCAN_SECONDS") or 60 * SCHEDULER_SCAN_MINUTES)
    SCHEDULER_HEARTBEAT_SECONDS = float(os.environ.get("TRACKER_HEARTBEAT_SECONDS") or 10)
    # How often a waiting scheduler tries to take over from the leader.
    SCHEDULER_LEADER_POLL_SECONDS = float(os.environ.get("TRACKER_LEADER_POLL_SECONDS") or 5)
    # Empty: the SQLite scheduler lock sits beside the database file (<db>.scheduler.lock), so two
    # databases never share a lock and one database never has two leaders.
    SCHEDULER_LOCK_FILE = os.environ.get("TRACKER_SCHEDULER_LOCK_FILE", "")
    NOTICE_HOUR = _env_int("TRACKER_NOTICE_HOUR", 9)
    # Notices go out on working days between NOTICE_HOUR and NOTICE_END_HOUR, never at night.
    NOTICE_END_HOUR = _env_int("TRACKER_NOTICE_END_HOUR", 18)
    ESCALATION_RULES = {
        "remind_before_workdays": [5, 2, 0],
        "overdue_urge_after_workdays": 1,
        "level1_after_workdays": 5,
        "level2_after_workdays": 10,
        "level3_after_workdays": 20,
        "unit_overdue_threshold": 3,
        "ongoing_report_every_months": 1,
        "due_soon_days": 7,
    }
    ORG_DEPT_CONTACT_EMAIL = os.environ.get("TRACKER_ORG_DEPT_EMAIL", "")
    DISCIPLINE_CONTACT_EMAIL = os.environ.get("TRACKER_DISCIPLINE_EMAIL", "")
    ORG_DEPT_NAME = os.environ.get("TRACKER_ORG_DEPT_NAME", "中共××县委组织部")  # signs the .docx drafts

    # Operations (tracker/ops, deploy/). CONFIG_NAME selects the production checks (tracker/ops/checks.py).
    CONFIG_NAME = "default"
    # Web worker processes: gunicorn reads WEB_CONCURRENCY itself, deploy/gunicorn.conf.py reads it here,
    # and the production check refuses SQLite with more than one (one process writes a SQLite file safely).
    WEB_WORKERS = _env_int("WEB_CONCURRENCY", 1)
    WEB_THREADS = _env_int("TRACKER_WEB_THREADS", 4)
    WEB_TIMEOUT_SECONDS = _env_int("TRACKER_WEB_TIMEOUT", 60)  # an Excel export of a province takes a while
    # /readyz: the scheduler's heartbeat (every SCHEDULER_HEARTBEAT_SECONDS) and the oldest mail that is due.
    READY_HEARTBEAT_MINUTES = _env_int("TRACKER_READY_HEARTBEAT_MINUTES", 5)
    READY_OUTBOX_MINUTES = _env_int("TRACKER_READY_OUTBOX_MINUTES", 30)
    # "json" (one JSON object a line, for the journal and log collectors) or "text" (key=value).
    LOG_FORMAT = os.environ.get("TRACKER_LOG_FORMAT", "json")
    LOG_LEVEL = os.environ.get("TRACKER_LOG_LEVEL", "INFO")
    # `tracker check-config` warns when the upload folder's disk has less free space than this.
    MIN_FREE_MB = _env_int("TRACKER_MIN_FREE_MB", 1024)
    PG_DUMP = os.environ.get("TRACKER_PG_DUMP", "pg_dump")
    PG_RESTORE = os.environ.get("TRACKER_PG_RESTORE", "pg_restore")


class ProductionConfig(Config):
    CONFIG_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # No development defaults in production: tracker/ops/checks.py refuses to start while these are empty
    # (empty, not None: code that only reads them, such as tracker.settings, still works).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "")
    BASE_URL = os.environ.get("TRACKER_BASE_URL", "")


CONFIGS = {"default": Config, "production": ProductionConfig}


def config_from_env():
    """TRACKER_CONFIG=production selects ProductionConfig (Secure cookies); the default suits one machine."""
    name = os.environ.get("TRACKER_CONFIG", "default")
    if name not in CONFIGS:
        raise RuntimeError(f"TRACKER_CONFIG must be one of {sorted(CONFIGS)}, not {name!r}")
    return CONFIGS[name]


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TRACKER_TEST_DATABASE_URL", "sqlite://")
    SERVER_NAME = None
    BASE_URL = "http://tracker.test"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 8025
    MAIL_TIMEOUT_SECONDS = 5
    MAIL_RETRY_BASE_SECONDS = 1
    MAX_EVIDENCE_BYTES = 200 * 1024
    MAX_DOCUMENT_BYTES = 200 * 1024
