"""A throw-away app on its own database for the benchmarks, and a local aiosmtpd."""
import socket
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from config import TestConfig


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def bench_app(database_url: str | None = None):
    from tracker import create_app
    from tracker.extensions import db

    with tempfile.TemporaryDirectory() as tmp, _private_schema(database_url) as schema_url:
        url = schema_url or f"sqlite:///{Path(tmp) / 'bench.db'}"

        class BenchConfig(TestConfig):
            SQLALCHEMY_DATABASE_URI = url
            SCHEDULER_LOCK_FILE = str(Path(tmp) / "scheduler.lock")
            UPLOAD_DIR = str(Path(tmp) / "uploads")
            MAIL_BATCH_SIZE = 200

        app = create_app(BenchConfig)
        with app.app_context():
            db.drop_all()
            db.create_all()
            try:
                yield app
            finally:
                db.session.remove()
                db.drop_all()
                db.engine.dispose()


@contextmanager
def _private_schema(database_url: str | None):
    """On PostgreSQL the benchmark works in a schema of its own, dropped afterwards."""
    if not database_url:
        yield None
        return
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in database_url else "?"
        yield f"{database_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class Counter:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 OK"


@contextmanager
def smtp_sink():
    from aiosmtpd.controller import Controller

    handler = Counter()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    try:
        yield handler
    finally:
        controller.stop()


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result
