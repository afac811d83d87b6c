"""/healthz, /readyz and the request id on every response and log line."""
import json
import logging
from datetime import timedelta

from tracker.models.notify import OutboxMessage, OutboxStatus, SchedulerLease
from tracker.models.types import utcnow
from tracker.ops.logging import JsonFormatter, KeyValueFormatter


def _lease(db, age: timedelta):
    now = utcnow()
    db.session.merge(SchedulerLease(name="scheduler", holder="scheduler:host:1", acquired_at=now - age,
                                    heartbeat_at=now - age, runs=1))
    db.session.commit()


def _mail(db, due_ago: timedelta, status=OutboxStatus.PENDING, key="k1"):
    db.session.add(OutboxMessage(key=key, kind="task_notice", to_addresses=["a@b.c"], cc_addresses=[],
                                 subject="提醒", body_text="x", body_html="x", status=status,
                                 next_attempt_at=utcnow() - due_ago))
    db.session.commit()


def test_healthz_needs_no_database(app, client, db):
    db.engine.dispose()
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"


def test_ready_with_a_live_scheduler_and_a_moving_queue(client, db):
    _lease(db, timedelta(seconds=20))
    _mail(db, timedelta(minutes=2))
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["checks"]["scheduler"]["ok"] and response.json["checks"]["mail_queue"]["ok"]


def test_not_ready_without_a_scheduler(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "调度器从未运行" in response.json["checks"]["scheduler"]["message"]
    _lease(db, timedelta(minutes=30))
    response = client.get("/readyz")
    assert response.status_code == 503 and "心跳已停止" in response.json["checks"]["scheduler"]["message"]


def test_not_ready_with_stuck_mail(client, db):
    _lease(db, timedelta(seconds=5))
    _mail(db, timedelta(hours=3), status=OutboxStatus.SENT, key="sent")  # sent long ago: not stuck
    _mail(db, timedelta(minutes=-10), key="later")  # a retry due later: not stuck either
    assert client.get("/readyz").status_code == 200
    _mail(db, timedelta(hours=2), key="stuck")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["mail_queue"]["oldest_due_seconds"] >= 7200


def test_not_ready_when_the_database_is_down(client, db, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == {"ok": False, "message": "数据库无法连接", "error": "OperationalError"}


def test_request_id_is_honoured_or_generated_and_logged(client, caplog):
    with caplog.at_level(logging.INFO, logger="tracker.request"):
        given = client.get("/healthz", headers={"X-Request-ID": "nginx-3f2a9c1d"})
        made = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert given.headers["X-Request-ID"] == "nginx-3f2a9c1d"
    assert made.headers["X-Request-ID"] != "<script>alert(1)</script>" and len(made.headers["X-Request-ID"]) == 32
    records = [r for r in caplog.records if r.name == "tracker.request"]
    assert [r.path for r in records] == ["/healthz", "/healthz"] and records[0].status == 200


def test_log_lines_are_one_line_json_or_key_value(app):
    with app.test_request_context("/x"):
        from flask import g

        g.request_id = "rid-12345678"
        record = logging.LogRecord("tracker.request", logging.INFO, __file__, 1, "request", (), None)
        record.path, record.status = "/登录 页", 200
        line = JsonFormatter().format(record)
        assert "\n" not in line
        assert json.loads(line) | {"ts": None} == {"ts": None, "level": "INFO", "logger": "tracker.request",
                                                   "msg": "request", "request_id": "rid-12345678",
                                                   "path": "/登录 页", "status": 200}
        assert 'path="/登录 页" status=200' in KeyValueFormatter().format(record)
