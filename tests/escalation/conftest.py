"""Fixtures for the notify tests: a small world of people, a clock, and a way to tick the jobs."""
from datetime import date

import pytest

from tests.factories import make_review, make_task, make_unit, make_user
from tracker.models import Role, TaskType
from tracker.timeutil import parse_local

ORG_CONTACT = "zzb-office@county.test"
DISCIPLINE_CONTACT = "jw-office@county.test"


@pytest.fixture(autouse=True)
def _notify_settings(app):
    app.config.update(ORG_DEPT_CONTACT_EMAIL=ORG_CONTACT, DISCIPLINE_CONTACT_EMAIL=DISCIPLINE_CONTACT,
                      MAIL_RETRY_BASE_SECONDS=1)


def at(text: str):
    """Local Asia/Shanghai wall time → aware UTC."""
    return parse_local(text, "Asia/Shanghai")


class People:
    def __init__(self, session):
        self.unit = make_unit(session, "青山镇")
        self.other_unit = make_unit(session, "绿水乡")
        self.owner = make_user(session, Role.SECRETARY, self.unit, username="sec-a", name="甲书记",
                               email="sec-a@town.test")
        self.other_owner = make_user(session, Role.SECRETARY, self.other_unit, username="sec-b", name="乙书记",
                                     email="sec-b@town.test")
        self.org = make_user(session, Role.ORG_DEPT, username="zzb", name="王组织", email="wang@county.test")
        self.disc = make_user(session, Role.DISCIPLINE, username="jw", name="李纪检", email="li@county.test")
        self.admin = make_user(session, Role.ADMIN, username="admin", name="管理员", email="admin@county.test")
        self.review = make_review(session)

    def task(self, session, *, deadline=date(2026, 3, 31), unit=None, owner=None, text="干部队伍建设薄弱",
             task_type=TaskType.TIME_LIMITED, created=None, rules=None):
        from flask import current_app

        task = make_task(session, unit or self.unit, owner or self.owner, self.review, deadline=deadline,
                         text=text, task_type=task_type, rules=rules or dict(current_app.config["ESCALATION_RULES"]))
        task.created_at = created or at("2026-02-02T10:00")
        task.next_check_at = task.created_at
        session.flush()
        return task


@pytest.fixture
def people(db):
    world = People(db.session)
    db.session.commit()
    return world


def run_tick(when):
    """One scan and one delivery at `when` (text or datetime), as `tracker jobs tick --now` does."""
    from jobs.tasks import tick

    return tick(at(when) if isinstance(when, str) else when)


def received(smtp) -> list[dict]:
    with smtp.lock:
        return list(smtp.messages)


def keys_of(messages) -> list[str]:
    return [m["message"]["X-Tracker-Key"] for m in messages]


def text_body(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content()


def html_body(message) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content()
