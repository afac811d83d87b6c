"""One mail per recipient address per local day: notices due together (task notices and the proposal mails
they cause) reach each address as one digest; a notice To A with Cc B sits in A's and in B's mail."""
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, select

from jobs.tasks import delivery_job, scan_job
from tests.escalation.conftest import ORG_CONTACT, at, received, run_tick, text_body
from tracker.models import Role, User
from tracker.models.notify import DigestMember, MailDay, Notice, OutboxMessage, OutboxStatus
from tracker.mail.outbox import enqueue_notice


def _owners(db, people, n):
    users = [User(name=f"书记{i}", username=f"owner{i}", email=f"owner{i}@town.test", role=Role.SECRETARY,
                  unit_id=people.unit.id) for i in range(n)]
    db.session.add_all(users)
    db.session.flush()
    return users


def test_org_dept_gets_one_mail_a_day_through_a_whole_escalation(app, db, people, smtp_server):
    """The review's demo: the organization department got 9–10 mails a day (one per 督办, one per proposal)."""
    for i, owner in enumerate(_owners(db, people, 4)):
        people.task(db.session, deadline=date(2026, 3, 31), owner=owner, text=f"问题{i}")
    db.session.commit()
    per_day: Counter = Counter()
    subjects: dict = {}
    seen = 0
    day = date(2026, 3, 20)
    while day <= date(2026, 5, 20):
        for hour in ("09:00", "09:10", "15:00"):  # later scans the same day must not start another mail
            run_tick(f"{day.isoformat()}T{hour}")
            new = received(smtp_server)[seen:]
            seen += len(new)
            for message in new:
                for address in message["rcpt"]:
                    per_day[(address.lower(), day)] += 1
                    subjects.setdefault((address.lower(), day), []).append(message["message"]["Subject"])
        day += timedelta(days=1)
    assert per_day, "nothing was sent"
    assert max(per_day.values()) == 1, [(k, subjects[k]) for k, v in per_day.items() if v > 1]
    # 督办 day (4月8日): four 督办 notices reach the organization department user as one mail saying what is in it
    [supervision] = subjects[("wang@county.test", date(2026, 4, 8))]
    assert supervision == "【整改督办】4项整改任务通知：督办4项"
    # every notice was delivered: sent itself, or merged into a digest that was sent
    db.session.expire_all()
    unsent = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED))))
    assert unsent == 0
    merged = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.MERGED)).all()
    assert merged and all(db.session.get(OutboxMessage, m.digest_id).status == OutboxStatus.SENT for m in merged)
    # a proposal mail joined the day's digest of the organization department too
    assert any(m.key.startswith("proposal:") for m in merged)
    # in-app notices stay one per user per notice
    assert db.session.scalar(select(func.count()).select_from(Notice).where(
        Notice.user_id == people.org.id, Notice.kind == "task_level1")) == 4


def test_each_address_gets_its_own_digest(app, db, people, smtp_server):
    """催办 goes To the owner with the organization department in Cc; the owner also has a 提醒 that day."""
    people.task(db.session, deadline=date(2026, 3, 31), text="催办的问题")
    people.task(db.session, deadline=date(2026, 4, 1), text="今天到期的问题")
    db.session.commit()
    scan_job(at("2026-04-01T09:00"))
    delivery_job(at("2026-04-01T09:00"))
    by_address = {}
    for message in received(smtp_server):
        for address in message["rcpt"]:
            by_address.setdefault(address, []).append(message["message"])
    assert {a: len(m) for a, m in by_address.items()} == {"sec-a@town.test": 1, ORG_CONTACT: 1,
                                                          "wang@county.test": 1}
    owner_mail = by_address["sec-a@town.test"][0]
    assert owner_mail["Subject"] == "【整改督办】2项整改任务通知：提醒1项、催办1项"
    body = text_body(owner_mail)
    assert "催办的问题" in body and "今天到期的问题" in body
    # the organization department's copy carries only the 催办, as the notice itself
    org_mail = by_address[ORG_CONTACT][0]
    assert org_mail["Subject"].startswith("【催办】") and "今天到期的问题" not in text_body(org_mail)
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind != "digest")).all()
    assert {r.status for r in rows} == {OutboxStatus.MERGED}
    urge = next(r for r in rows if r.kind == "task_urge")
    assert db.session.scalar(select(func.count()).select_from(DigestMember)
                             .where(DigestMember.message_id == urge.id)) == 3  # in all three addresses' mails


def test_a_single_notice_keeps_to_and_cc(app, db, people, smtp_server):
    people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-04-01T09:00")
    [urge] = received(smtp_server)
    assert urge["message"]["To"] == "sec-a@town.test" and ORG_CONTACT in urge["message"]["Cc"]
    assert db.session.scalar(select(func.count()).select_from(MailDay)) == 3


def _notice(db, key, when, subject="【督办】青山镇：另一项整改任务"):
    row = enqueue_notice(db.session, key=key, kind="task_level1", template="unit_overdue", now=at(when),
                         context={"subject": subject, "unit_name": "青山镇", "tasks": [], "count": 0,
                                  "threshold": 3, "today": ""}, to_addresses=["sec-a@town.test"])
    db.session.commit()
    return row


def test_a_later_notice_joins_the_pending_mail_or_waits_for_the_next_working_day(app, db, people, smtp_server):
    _notice(db, "t:1", "2026-04-01T09:00", "【提醒】第一项")
    _notice(db, "t:2", "2026-04-01T09:30", "【催办】第二项")  # the first is still pending: one digest
    delivery_job(at("2026-04-01T09:31"))
    [first] = received(smtp_server)
    assert first["message"]["Subject"] == "【整改督办】2项整改任务通知：提醒1项、催办1项"
    _notice(db, "t:3", "2026-04-01T15:00", "【督办】第三项")  # today's mail is gone: tomorrow's digest
    assert delivery_job(at("2026-04-01T15:01")).sent == 0
    assert delivery_job(at("2026-04-02T08:59")).sent == 0
    _notice(db, "t:4", "2026-04-02T09:00", "【督办】第四项")  # joins the waiting digest
    assert delivery_job(at("2026-04-02T09:01")).sent == 1
    second = received(smtp_server)[1]["message"]
    assert second["Subject"] == "【整改督办】2项整改任务通知：督办2项"
    assert "第三项" in text_body(second) and "第四项" in text_body(second)
    # the next day (2026-04-03, Friday) is a fresh day
    _notice(db, "t:5", "2026-04-03T09:00", "【督办】第五项")
    assert delivery_job(at("2026-04-03T09:01")).sent == 1
    assert received(smtp_server)[2]["message"]["Subject"] == "【督办】第五项"


def test_a_digest_waiting_over_a_holiday_goes_out_on_the_next_working_day(app, db, people, smtp_server):
    _notice(db, "h:1", "2026-04-03T09:00", "【提醒】第一项")
    delivery_job(at("2026-04-03T09:01"))
    _notice(db, "h:2", "2026-04-03T16:00", "【催办】第二项")  # 清明: 4月4日至6日 are rest days
    waiting = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "digest"))
    assert waiting.key == "digest:sec-a@town.test:2026-04-07" and waiting.next_attempt_at == at("2026-04-07T09:00")
    assert delivery_job(at("2026-04-06T12:00")).sent == 0
    assert delivery_job(at("2026-04-07T09:00")).sent == 1
