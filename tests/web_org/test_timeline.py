"""办理记录: the one timeline both task pages show — same entries, readable changes, file links, escaping, no N+1."""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.factories import make_user
from tests.webhelpers import World, client_as
from tracker.models import Evidence, Role, Task, TaskStatus
from tracker.models.notify import OutboxMessage
from tracker.models.types import utcnow
from tracker.services import tasks as task_service
from tracker.services import workflow
from tracker.services.timeline import task_timeline
from tracker.timeutil import cn_date

SCRIPT = "<script>alert('x')</script>"
RULES = {"due_soon_days": 7}


@pytest.fixture
def world(app, db):
    return World(app, db.session)


START = utcnow() - timedelta(days=3)


def _at(hours: int) -> datetime:
    return START + timedelta(hours=hours)


def _notice(db, task, n: int, subject: str = "整改时限提醒", status: str = "sent"):
    db.session.add(OutboxMessage(key=f"t{task.id}-{n}", kind="task_remind", task_id=task.id,
                                 to_addresses=["sec-a@example.test"], cc_addresses=[], subject=subject,
                                 body_text="x", body_html="x", status=status, next_attempt_at=_at(n),
                                 created_at=_at(n), sent_at=_at(n) if status == "sent" else None))


def _history(app, db, world, *, rounds: int, first: int = 1):
    """The plan, then `rounds` rounds, each by a new deputy secretary of unit A (so that every round brings
    other users to name): a new plan, progress with a file, a 延期申请 that 组织部 decides, the task handed
    to the deputy, a notice."""
    s, task, org = db.session, world.task_a, world.org
    tz = app.config["TIMEZONE"]
    if first == 1:
        task_service.submit_plan(s, task, actor=world.sec_a, now=_at(0), measures="召开专题会议",
                                 responsible_person="王副镇长")
    for n in range(first, first + rounds):
        deputy = make_user(s, Role.SECRETARY, world.unit_a, username=f"deputy{n}", name=f"副书记{n}", password=None)
        task_service.submit_plan(s, task, actor=deputy, now=_at(10 * n), measures=f"第{n}轮措施",
                                 responsible_person=f"负责人{n}")
        update = task_service.post_progress(s, task, actor=deputy, now=_at(10 * n + 1), body=f"第{n}次进展")
        s.add(Evidence(task_id=task.id, update_id=update.id, original_name=f"纪要{n}.pdf", stored_name=f"s{n}.pdf",
                       content_type="application/pdf", size=4096, sha256="0" * 64, uploaded_by_id=deputy.id,
                       uploaded_at=_at(10 * n + 1)))
        request = task_service.request_extension(s, task, actor=deputy, now=_at(10 * n + 2),
                                                 new_deadline=task.deadline + timedelta(days=30), reason=f"理由{n}")
        task_service.decide_extension(s, request, actor=org, now=_at(10 * n + 3), approve=n % 2 == 0,
                                      reason="" if n % 2 == 0 else f"驳回{n}", rules=RULES, tz=tz)
        task_service.set_owner(s, task, deputy, actor=org, now=_at(10 * n + 4), reason="工作调整")
        _notice(db, task, 10 * n + 5)
    s.commit()


def _statements(db, task_id: int) -> tuple[int, object]:
    """The statements one timeline costs, in a fresh session: nothing already loaded may hide a lazy load."""
    seen = []

    def count(*_args):
        seen.append(1)

    with Session(db.engine) as fresh:
        task = fresh.get(Task, task_id)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            timeline = task_timeline(fresh, task)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return len(seen), timeline


def test_the_timeline_costs_one_query_per_kind_however_long_it_is(app, db, world):
    _history(app, db, world, rounds=1)
    few, short = _statements(db, world.task_a.id)
    _history(app, db, world, rounds=8, first=2)
    many, long = _statements(db, world.task_a.id)
    assert len(long.entries) > len(short.entries) + 40
    # extension requests, updates, evidence, audit events, owners' names, outbox: six, however many entries
    # and however many people
    assert few == many <= 6, (few, many)


def test_both_task_pages_show_the_same_readable_timeline(app, db, world):
    deadline = world.task_a.deadline
    _history(app, db, world, rounds=2)
    pages = {role: client_as(app, world, role).get(url).get_data(as_text=True)
             for role, url in (("sec_a", f"/tasks/{world.task_a.id}"), ("org", f"/org/tasks/{world.task_a.id}"))}
    timelines = {role: html[html.index('<section class="card" id="timeline">'):] for role, html in pages.items()}
    for role, timeline in timelines.items():
        for text in ("开始整改", "状态：待整改 → 整改中", "具体责任人：（无） → 王副镇长", "整改措施", "召开专题会议",
                     "第1次进展", "纪要1.pdf", "延期申请", f"申请延期至{cn_date(deadline + timedelta(days=30))}",
                     "延期申请已驳回", "驳回1", "延期申请已批准", "整改时限变更", "新一轮提醒",
                     "具体责任人：王副镇长 → 负责人1", "第1轮措施", "副书记1", "副书记2",
                     "更换责任人", "责任人：甲书记 → 副书记1", "工作调整", "责任人：副书记1 → 副书记2",
                     "通知：整改时限提醒", "收件人：sec-a@example.test", "发送状态：已发送", "甲书记", "王组织"):
            assert text in timeline, (role, text)
        links = re.findall(r'<a href="/evidence/(\d+)">([^<]+)</a>', timeline)
        names = sorted(name for _id, name in links)
        assert names == ["照片a.png", "纪要1.pdf", "纪要2.pdf"], (role, names)
        assert timeline.index("召开专题会议") < timeline.index("第1次进展") < timeline.index("第2次进展")
    strip = lambda html: re.sub(r"\s+", " ", html)  # noqa: E731
    assert strip(timelines["sec_a"]) == strip(timelines["org"])  # one partial, one service


def test_the_org_pages_file_link_downloads_the_file(app, world):
    from tests.webhelpers import tiny_png

    client = client_as(app, world, "org")
    page = client.get(f"/org/tasks/{world.task_a.id}").get_data(as_text=True)
    file_id = re.search(r'<a href="/evidence/(\d+)">照片a.png</a>', page).group(1)
    assert int(file_id) == world.evidence["a"].id
    with client.get(f"/evidence/{file_id}") as response:
        assert response.status_code == 200 and response.data == tiny_png()


def test_user_text_in_the_timeline_is_escaped(app, db, world):
    s = db.session
    task_service.post_progress(s, world.task_a, actor=world.sec_a, now=_at(1), body=f"进展{SCRIPT}")
    task_service.request_extension(s, world.task_a, actor=world.sec_a, now=_at(2),
                                   new_deadline=world.task_a.deadline + timedelta(days=5), reason=f"理由{SCRIPT}")
    _notice(db, world.task_a, 3, subject=f"提醒{SCRIPT}", status="pending")
    world.task_a.status = TaskStatus.AWAITING_VERIFICATION
    workflow.return_task(s, world.task_a, actor=world.org, now=_at(4), reason=f"退回{SCRIPT}")
    s.commit()
    for role, url in (("sec_a", f"/tasks/{world.task_a.id}"), ("org", f"/org/tasks/{world.task_a.id}")):
        html = client_as(app, world, role).get(url).get_data(as_text=True)
        timeline = html[html.index('id="timeline"'):]
        assert SCRIPT not in html, role
        for text in ("进展", "理由", "提醒", "退回"):
            assert f"{text}&lt;script&gt;" in timeline, (role, text)
        assert "发送状态：待发送" in timeline and "待审批" in timeline


def test_a_task_without_history_says_so(app, db, world):
    html = client_as(app, world, "org").get(f"/org/tasks/{world.task_b.id}").get_data(as_text=True)
    assert "绿水乡的问题" in html and "b进展" in html  # the seeded update
    db.session.delete(world.evidence["b"])
    db.session.flush()
    from tracker.models import ProgressUpdate

    db.session.query(ProgressUpdate).filter_by(task_id=world.task_b.id).delete()
    db.session.commit()
    html = client_as(app, world, "org").get(f"/org/tasks/{world.task_b.id}").get_data(as_text=True)
    assert "暂无办理记录" in html
