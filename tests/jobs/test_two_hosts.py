"""Two hosts against one PostgreSQL: each runs a web process (gunicorn) and a scheduler, in its own network
namespace with its own address where the machine allows (tests/jobs/hosts.py), else on two ports.

A secretary logged in on both hosts posts 整改进展 through both at once; time is advanced by the scan of
`tracker jobs tick --now …` run on both hosts at the same moment (the schedulers deliver, with real SMTP).
Every update is stored once, every notice is one outbox row and one mail, and one scheduler leads.
"""
import http.cookiejar
import subprocess
import threading
import urllib.parse
import urllib.request
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tests.conftest import SMTPRecorder, free_port
from tests.escalation.conftest import received
from tests.factories import PASSWORD
from tests.jobs.hosts import Relay, make_network
from tests.jobs.procs import BIN, child_env, log_text, stop, wait_for
from tests.webhelpers import extract_csrf
from tracker.models import ProgressUpdate, User
from tracker.models.notify import OutboxMessage, OutboxStatus, SchedulerLease

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
LEADER = "调度器已成为领导者"
TASKS = 12
UPDATES_PER_HOST = 8
MOMENTS = ["2026-03-24T09:00", "2026-04-13T09:00", "2026-04-27T09:00"]


class Browser:
    """A secretary's session on one host: cookies, CSRF tokens from the pages, real HTTP."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base + path, timeout=20) as response:
            return response.status, response.read().decode("utf-8")

    def post(self, path: str, fields: dict, form_path: str) -> tuple[int, str]:
        fields = {**fields, "csrf_token": extract_csrf(self.get(form_path)[1])}
        request = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(fields).encode())
        with self.opener.open(request, timeout=20) as response:  # redirects followed: the page after
            return response.status, response.url

    def login(self, username: str) -> None:
        _status, landed = self.post("/login", {"identifier": username, "password": PASSWORD}, "/login")
        assert "/login" not in urllib.parse.urlsplit(landed).path, f"login on {self.base} failed"


def _start(host, argv, env, log_path) -> subprocess.Popen:
    handle = open(log_path, "wb")  # noqa: SIM115 - closed by procs.stop
    process = subprocess.Popen(host.command(argv), env=env, stdout=handle, stderr=subprocess.STDOUT)
    process.log_handle, process.log_path = handle, log_path
    return process


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


# The scan at a given moment, as `tracker jobs tick --now` runs it, but without the tick's delivery: this
# test is about the schedulers' delivery. (A past --now tick delivering beside them no longer re-sends:
# claim leases run on the real clock — tests/mail/test_delivery_costs.py.)
SCAN_AT = """
import sys
from tracker.wsgi import app
from jobs.tasks import scan_job
from tracker.timeutil import parse_local
with app.app_context():
    result = scan_job(parse_local(sys.argv[1], app.config.settings.timezone), holder=sys.argv[2])
    print(result.notices)
"""


def _scan_everywhere(network, env, moment: str) -> None:
    """The scan at `moment` on every host at once: the scans race for the same notices."""
    scans = [subprocess.Popen(host.command([str(BIN / "python"), "-c", SCAN_AT, moment, f"scan:{host.name}"]),
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for host in network.hosts]
    for process in scans:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()


def _count(db, query) -> int:
    db.session.rollback()
    return db.session.scalar(query)


def test_two_hosts_store_each_update_once_and_send_each_notice_once(app, db, people, tmp_path):
    from aiosmtpd.controller import Controller

    network = make_network(2)
    relay, controller, processes = None, None, []
    try:
        pg = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        relay = Relay(network.gateway, (pg.host, pg.port or 5432))
        smtp = SMTPRecorder()
        smtp_port = free_port()
        controller = Controller(smtp, hostname=network.gateway, port=smtp_port)
        controller.start()
        app.config.update(MAIL_SERVER=network.gateway, MAIL_PORT=smtp_port)
        url = pg.set(host=relay.address[0], port=relay.address[1]).render_as_string(hide_password=False)
        env = child_env(app, TRACKER_DATABASE_URL=url)
        port = 8000 if not network.why_not else None
        bases = []
        for i, host in enumerate(network.hosts):
            web_port = port or free_port()
            processes.append(_start(host, [str(BIN / "gunicorn"), "-w", "2", "-b", f"{host.address}:{web_port}",
                                           "tracker.wsgi:app"], env, tmp_path / f"web{i}.log"))
            bases.append(f"http://{host.address}:{web_port}")
        for base in bases:
            wait_for(lambda base=base: _answers(base), timeout=60, message=f"{base} to answer")
        schedulers = [_start(host, [str(BIN / "tracker"), "scheduler"], env, tmp_path / f"scheduler{i}.log")
                      for i, host in enumerate(network.hosts)]
        processes.extend(schedulers)
        wait_for(lambda: sum(LEADER in log_text(s) for s in schedulers) == 1, message="one scheduler to lead")
        # Its first scan runs at start, on the real clock: the tasks come after it, so that only the ticks'
        # moments decide which notices are due.
        wait_for(lambda: _count(db, select(func.count()).select_from(SchedulerLease)
                                .where(SchedulerLease.name == "scan")), message="the leader's first scan")

        owners = [people.owner] + [User(name=f"书记{i}", username=f"owner{i}", email=f"owner{i}@town.test",
                                        role=people.owner.role, unit_id=people.unit.id) for i in range(TASKS - 1)]
        db.session.add_all(owners[1:])
        db.session.flush()
        tasks = [people.task(db.session, deadline=date(2026, 3, 31), owner=owner, text=f"问题{i}")
                 for i, owner in enumerate(owners)]
        db.session.commit()
        task_id = tasks[0].id

        browsers = [Browser(base) for base in bases]
        for browser in browsers:
            browser.login(people.owner.username)
        posted, errors = [], []

        def post_updates(index: int, browser: Browser):
            for n in range(UPDATES_PER_HOST):
                body = f"整改进展：第{n + 1}次（经{network.hosts[index].name}提交）"
                try:
                    status, landed = browser.post(f"/tasks/{task_id}/updates", {"body": body}, f"/tasks/{task_id}")
                    assert status == 200 and landed.endswith(f"/tasks/{task_id}"), (status, landed)
                    posted.append(body)
                except Exception as error:  # noqa: BLE001 - reported below with the body that failed
                    errors.append(f"{body}: {error!r}")

        threads = [threading.Thread(target=post_updates, args=(i, b)) for i, b in enumerate(browsers)]
        for thread in threads:
            thread.start()
        outbox_sizes = []
        for moment in MOMENTS:  # time advances while the updates are still arriving
            _scan_everywhere(network, env, moment)
            outbox_sizes.append(_count(db, select(func.count()).select_from(OutboxMessage)))
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, "\n".join(errors)

        bodies = _stored_bodies(db, task_id)
        assert sorted(bodies) == sorted(posted) and len(posted) == 2 * UPDATES_PER_HOST

        assert 0 < outbox_sizes[0] < outbox_sizes[1] <= outbox_sizes[2], outbox_sizes  # each moment brought notices
        open_states = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED)
        wait_for(lambda: _count(db, select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.status.in_(open_states))) == 0,
                 timeout=90, message="every notice delivered")
        sent_keys = set(db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.status == OutboxStatus.SENT)))
        mail_keys = [m["message"]["X-Tracker-Key"] for m in received(smtp)]
        assert len(mail_keys) == len(set(mail_keys)), "a notice was mailed twice"
        assert set(mail_keys) == sent_keys and len(sent_keys) >= outbox_sizes[0]
        assert sum(LEADER in log_text(s) for s in schedulers) == 1
        for process in processes:
            assert "Traceback" not in log_text(process), log_text(process)[-3000:]
        if not network.why_not:
            assert relay.connections > 0  # the hosts really went through their own network
    finally:
        for process in processes:
            stop(process)
        if controller is not None:
            controller.stop()
        if relay is not None:
            relay.close()
        network.close()


def _stored_bodies(db, task_id: int) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(ProgressUpdate.body).where(ProgressUpdate.task_id == task_id,
                                                                     ProgressUpdate.body.like("整改进展：%"))))
