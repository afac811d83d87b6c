"""Shared fixtures: `app`, `db`, `client`, a real SMTP server, and login helpers.

The suite runs on SQLite by default and on the real PostgreSQL with TRACKER_TEST_DB=postgresql.
On PostgreSQL the run gets a schema of its own, dropped at the end; every test starts from empty tables.
"""
import os
import threading
import uuid
from pathlib import Path

import socket

import pytest
from flask import g, request_started
from sqlalchemy import create_engine, text

from config import TestConfig
from tracker import create_app
from tracker.extensions import db as _db

REPO_ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI") == "true"
TEST_DB = os.environ.get("TRACKER_TEST_DB", "sqlite")
PG_URL = os.environ.get("TRACKER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def samples_dir() -> Path:
    return Path(os.environ.get("TRACKER_SAMPLES_DIR", REPO_ROOT.parent / "shared" / "samples"))


def pytest_collection_modifyitems(config, items):
    if TEST_DB != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL: runs in the TRACKER_TEST_DB=postgresql pass")
        for item in items:
            if "postgres_only" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def pg_schema_url():
    """A private schema on the real PostgreSQL, for this test session only."""
    if TEST_DB != "postgresql":
        yield None
        return
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means the same thing here
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable in CI: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def _pg_tables_created():
    return {"done": False}


@pytest.fixture
def database_url(tmp_path, pg_schema_url):
    if pg_schema_url:
        return pg_schema_url
    # A file, not :memory:, so that threads and child processes (live server, schedulers) share it.
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture
def app(database_url, tmp_path, _pg_tables_created):
    class _Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        UPLOAD_DIR = str(tmp_path / "uploads")
        SCHEDULER_LOCK_FILE = str(tmp_path / "scheduler.lock")

    application = create_app(_Config)
    # The fixture keeps one app context open, and requests reuse it: without this, `g` (and the user
    # Flask-Login caches in it) would leak from one client's request into another's.
    request_started.connect(_clear_g, application)
    with application.app_context():
        if database_url.startswith("sqlite") or not _pg_tables_created["done"]:
            _db.create_all()
            _pg_tables_created["done"] = True
        yield application
        _db.session.remove()
        if database_url.startswith("postgresql"):
            tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            with _db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        _db.engine.dispose()


def _clear_g(sender, **extra):
    g.__dict__.clear()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo_clock(tmp_path):
    """The demo clock (tracker clock set) in a file of this test's own; off again afterwards."""
    from tracker import timeutil

    path = str(tmp_path / "demo_clock.json")
    timeutil.use_demo_clock(path)
    yield path
    timeutil.use_demo_clock(None)


@pytest.fixture
def sample_path() -> Path:
    path = samples_dir() / "review-meeting-2021.txt"
    if not path.exists():
        if IN_CI:
            pytest.fail(f"shared sample missing in CI: {path}", pytrace=False)
        pytest.skip(f"shared sample not found: {path}")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPRecorder:
    """What a real SMTP server (aiosmtpd on 127.0.0.1) received."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append({"from": envelope.mail_from, "rcpt": list(envelope.rcpt_tos), "message": message})
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    from aiosmtpd.controller import Controller

    recorder = SMTPRecorder()
    recorder.port = free_port()
    # aiosmtpd's start-up check connects to the port it was given, so port=0 cannot work.
    controller = Controller(recorder, hostname="127.0.0.1", port=recorder.port)
    controller.start()
    recorder.controller = controller  # tests stop and restart it to play an SMTP outage
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=recorder.port)
    yield recorder
    controller.stop()
