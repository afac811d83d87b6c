"""Structured logs: one line per event, JSON (TRACKER_LOG_FORMAT=json) or key=value (text), each request's
line carrying its request id.

The id is the client's X-Request-ID when it is a sane token (nginx passes $request_id, so the proxy's
access log and ours share it), else a new one; it is echoed in the response's X-Request-ID header and
put on every log line written while the request runs, so one complaint ("出错编号 …") finds every line.
"""
import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and . _ - only: the id goes into headers and log lines, where anything else could forge
# a line or a header.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_HANDLER_MARK = "_tracker_structured"


def request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def _fields(record: logging.LogRecord) -> dict:
    fields = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
              "level": record.levelname, "logger": record.name, "msg": record.getMessage()}
    rid = request_id()
    if rid:
        fields["request_id"] = rid
    for key, value in vars(record).items():
        if key not in _STANDARD and not key.startswith("_"):
            fields[key] = value
    if record.exc_info:
        fields["exc"] = logging.Formatter().formatException(record.exc_info)
    return fields


class JsonFormatter(logging.Formatter):
    def format(self, record):
        return json.dumps(_fields(record), ensure_ascii=False, default=str)


class KeyValueFormatter(logging.Formatter):
    def format(self, record):
        return " ".join(f"{key}={_quote(value)}" for key, value in _fields(record).items())


def _quote(value) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (not text or re.search(r'[\s"=]', text)) else text


class _StderrHandler(logging.StreamHandler):
    """Writes to the sys.stderr of the moment (gunicorn and pytest replace it), not the one at start."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure(config) -> None:
    """Our handler on the root logger, so that every library's lines (gunicorn's app errors, APScheduler)
    come out in the same format; only where nobody has configured logging yet (a test run has, and so
    has any embedding program), and once per process, however many apps are created."""
    root = logging.getLogger()
    if root.handlers:
        for handler in root.handlers:
            if getattr(handler, _HANDLER_MARK, False):
                handler.setFormatter(_formatter(config))
        return
    handler = _StderrHandler()
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(_formatter(config))
    root.addHandler(handler)
    root.setLevel(str(config.get("LOG_LEVEL") or "INFO").upper())


def _formatter(config) -> logging.Formatter:
    return KeyValueFormatter() if config.get("LOG_FORMAT") == "text" else JsonFormatter()


def register_logging(app: Flask) -> None:
    if not app.testing:
        configure(app.config)
    access = logging.getLogger("tracker.request")

    @app.before_request
    def _request_id():
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _VALID_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
            user = getattr(g, "_login_user", None)
            access.info("request", extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
                "remote_addr": request.remote_addr,
                "user_id": getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None})
        return response
