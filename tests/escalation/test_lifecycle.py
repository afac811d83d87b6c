"""A task's whole life with a moving `now`: each notice arrives once, to the right people, with working links."""
import re
from datetime import date

from sqlalchemy import select

from tests.escalation.conftest import DISCIPLINE_CONTACT, ORG_CONTACT, at, keys_of, received, run_tick, text_body, html_body
from tests.webhelpers import extract_csrf, login
from tracker.models import AuditEvent, EscalationLevel, Task
from tracker.models.notify import Notice, OutboxMessage, OutboxStatus
from tracker.services import workflow

LINK_RE = re.compile(r"http://tracker\.test(/notify/[^\s\"<]+)")


def _new(smtp, before: int):
    return received(smtp)[before:]


def test_whole_life_of_a_task(app, db, people, smtp_server, client):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    seen = 0

    def step(when, expected: int):
        nonlocal seen
        run_tick(when)
        new = _new(smtp_server, seen)
        seen += len(new)
        assert len(new) == expected, (when, [m["message"]["Subject"] for m in new])
        return new

    step("2026-03-23T09:00", 0)  # remind-5 is due on 3月24日
    step("2026-03-24T08:59", 0)  # before NOTICE_HOUR
    [remind5] = step("2026-03-24T09:00", 1)
    step("2026-03-24T09:05", 0)  # a second scan the same day adds nothing
    message = remind5["message"]
    assert remind5["rcpt"] == ["sec-a@town.test"]
    assert message["Subject"].startswith("【提醒】青山镇：整改任务将于2026年3月31日到期")
    body = text_body(message)
    assert "距整改时限还有5个工作日" in body and "干部队伍建设薄弱" in body and "甲书记同志" in body
    assert "2026年3月31日" in html_body(message)

    [remind2] = step("2026-03-27T09:00", 1)
    assert "距整改时限还有2个工作日" in text_body(remind2["message"])
    step("2026-03-28T09:00", 0)  # Saturday
    [remind0] = step("2026-03-31T09:00", 1)
    assert "今天到期" in text_body(remind0["message"])

    [urge] = step("2026-04-01T09:00", 1)
    assert urge["message"]["Subject"].startswith("【催办】")
    assert urge["message"]["To"] == "sec-a@town.test"
    assert set(urge["rcpt"]) == {"sec-a@town.test", ORG_CONTACT, "wang@county.test"}
    assert ORG_CONTACT in urge["message"]["Cc"]

    step("2026-04-07T09:00", 0)  # 4 working days overdue (清明 4月4日至6日 are rest days)
    [supervise] = step("2026-04-08T09:00", 1)
    assert supervise["message"]["Subject"].startswith("【督办】青山镇：整改任务逾期5个工作日")
    db.session.expire_all()
    assert db.session.get(Task, task.id).escalation_level == EscalationLevel.SUPERVISION

    talk = step("2026-04-15T09:00", 1)  # 10 working days: 约谈 proposed, to the org dept and the commission
    assert DISCIPLINE_CONTACT in talk[0]["rcpt"] and "sec-a@town.test" not in talk[0]["rcpt"]
    assert "约谈" in talk[0]["message"]["Subject"]
    circular = step("2026-04-29T09:00", 1)  # 20 working days (劳动节 does not start until 5月1日)
    assert "通报" in circular[0]["message"]["Subject"]
    step("2026-05-20T09:00", 0)

    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.escalation_level == EscalationLevel.CIRCULAR
    assert task.next_check_at is None  # nothing more can become due
    levels = db.session.scalars(select(AuditEvent.after).where(AuditEvent.task_id == task.id,
                                                               AuditEvent.field == "escalation_level")
                                .order_by(AuditEvent.id)).all()
    assert levels == ["1", "2", "3"]
    all_keys = keys_of(received(smtp_server))
    assert len(all_keys) == len(set(all_keys)) == 7

    # The links in the mail work: the task link (after login) and the 签收 link.
    links = LINK_RE.findall(text_body(supervise["message"]))
    task_link, ack_link = links
    response = client.get(task_link)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, "sec-a")
    response = client.get(task_link)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{task.id}")
    assert client.get(response.headers["Location"]).status_code == 200
    page = client.get(ack_link)
    assert page.status_code == 200 and "确认签收" in page.get_data(as_text=True)
    response = client.post(ack_link, data={"csrf_token": extract_csrf(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert "已签收" in client.get(ack_link).get_data(as_text=True)
    notice = db.session.scalar(select(Notice).where(Notice.user_id == people.owner.id,
                                                    Notice.key == f"task:{task.id}:c1:level1"))
    db.session.refresh(notice)
    assert notice.acknowledged_at is not None
    # 约谈 / 通报 went to the organization department, not to the owner: 督办 is the latest notice the owner
    # got, so signing it acknowledges the task.
    db.session.refresh(task)
    assert task.last_notice_key == f"task:{task.id}:c1:level1" and task.acknowledged_at is not None

    # 销号 stops everything.
    workflow.apply(db.session, task, "request_closure", actor=None, now=at("2026-05-21T10:00"), reason="已完成")
    workflow.apply(db.session, task, "close", actor=None, now=at("2026-05-22T10:00"))
    db.session.commit()
    step("2026-06-30T09:00", 0)
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)) is None


def test_extension_starts_a_new_cycle_and_levels_stay(app, db, people, smtp_server):
    from tracker.models import ExtensionRequest
    from tracker.services.tasks import decide_extension

    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-04-08T09:00")  # catch-up: 督办 directly
    db.session.refresh(task)
    assert task.escalation_level == 1
    request = ExtensionRequest(task=task, requested_by_id=people.owner.id, requested_deadline=date(2026, 5, 29),
                               reason="需协调资金")
    db.session.add(request)
    db.session.flush()
    decide_extension(db.session, request, actor=people.org, now=at("2026-04-09T10:00"), approve=True,
                     reason="同意延期", rules=app.config["ESCALATION_RULES"])
    db.session.commit()
    assert task.reminder_cycle == 2
    before = len(received(smtp_server))
    run_tick("2026-05-22T09:00")  # 5 working days before 5月29日
    new = received(smtp_server)[before:]
    assert [m["message"]["X-Tracker-Key"] for m in new] == [f"task:{task.id}:c2:remind-5"]
    db.session.refresh(task)
    assert task.escalation_level == 1  # levels never go back, even in a new cycle
