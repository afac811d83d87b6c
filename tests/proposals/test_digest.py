"""Weekly digests: per unit to the organization department, per secretary their open tasks; never empty,
once per recipient per ISO week, delivered over real SMTP."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.factories import make_review, make_task, make_unit, make_user
from tracker.escalation.digest import enqueue_weekly_digests, unit_summary, week_label
from tracker.models import EscalationLevel, Role, TaskStatus, TaskType
from tracker.models.notify import Notice, OutboxMessage
from tracker.proposals import service as service

MONDAY = datetime(2026, 4, 20, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai, ISO week 2026-W17
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def setup(app, db):
    app.config.update(ORG_DEPT_CONTACT_EMAIL="zzb-office@example.test")
    session = db.session
    a, b, c = make_unit(session, "青山镇"), make_unit(session, "绿水乡"), make_unit(session, "白云街道")
    sec_a = make_user(session, Role.SECRETARY, a, username="sec-a", name="甲书记")
    sec_b = make_user(session, Role.SECRETARY, b, username="sec-b", name="乙书记")
    sec_c = make_user(session, Role.SECRETARY, c, username="sec-c", name="丙书记")
    org = make_user(session, Role.ORG_DEPT, username="zzb", name="王组织", email="zzb@example.test")
    org_no_mail = make_user(session, Role.ORG_DEPT, username="zzb2", name="赵组织")
    org_no_mail.email = None
    review = make_review(session)
    overdue = make_task(session, a, sec_a, review, deadline=date(2026, 4, 1), text=SCRIPT)
    overdue.escalation_level = EscalationLevel.SUPERVISION
    overdue.last_notice_at = MONDAY - timedelta(days=3)  # reminded, never acknowledged
    soon = make_task(session, a, sec_a, review, deadline=date(2026, 4, 24), text="青山镇问题二")
    soon.last_notice_at = MONDAY - timedelta(days=3)
    soon.acknowledged_at = MONDAY - timedelta(days=2)
    make_task(session, a, sec_a, review, deadline=date(2026, 3, 1), text="已销号问题", status=TaskStatus.CLOSED)
    level3 = make_task(session, b, sec_b, review, deadline=date(2026, 2, 1), text="绿水乡问题")
    level3.escalation_level = EscalationLevel.CIRCULAR
    make_task(session, b, sec_b, review, deadline=None, text="长期坚持问题", task_type=TaskType.ONGOING)
    make_task(session, c, sec_c, review, deadline=date(2026, 3, 1), text="白云已销号", status=TaskStatus.CLOSED)
    level3_proposal = service.propose_for_task(session, level3, 3, MONDAY - timedelta(days=7))
    session.commit()
    return {"session": session, "org": org, "org_no_mail": org_no_mail, "sec_a": sec_a, "sec_b": sec_b,
            "sec_c": sec_c, "proposal": level3_proposal}


def digest_rows(session):
    return {row.key: row for row in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "weekly_digest"))}


def test_unit_summary_counts(setup):
    lines = {line.unit_name: line for line in unit_summary(setup["session"], date(2026, 4, 20))}
    assert set(lines) == {"青山镇", "绿水乡"}  # 白云街道 has nothing open
    a, b = lines["青山镇"], lines["绿水乡"]
    assert (a.open, a.overdue, a.level1, a.level2, a.level3, a.unacknowledged) == (2, 1, 1, 0, 0, 1)
    assert (b.open, b.overdue, b.level1, b.level2, b.level3, b.unacknowledged) == (2, 1, 0, 0, 1, 0)


def test_weekly_digests_once_per_recipient_per_week(app, setup):
    session = setup["session"]
    assert week_label(date(2026, 4, 20)) == "2026-W17"
    added = enqueue_weekly_digests(session, MONDAY)
    session.commit()
    rows = digest_rows(session)
    org, sec_a, sec_b, sec_c = setup["org"], setup["sec_a"], setup["sec_b"], setup["sec_c"]
    assert set(rows) == {f"digest:org:2026-W17:user:{org.id}", f"digest:secretary:2026-W17:user:{sec_a.id}",
                         f"digest:secretary:2026-W17:user:{sec_b.id}",
                         next(k for k in rows if k.startswith("digest:org:2026-W17:addr:"))}
    assert added == 5  # plus the org member without an email, in the app only
    assert session.scalar(select(func.count()).select_from(Notice).where(
        Notice.user_id == setup["org_no_mail"].id, Notice.key.like("digest:org:%"))) == 1
    assert not any(str(sec_c.id) in key and "secretary" in key for key in rows)  # never an empty digest

    org_row = rows[f"digest:org:2026-W17:user:{org.id}"]
    assert org_row.to_addresses == ["zzb@example.test"] and "在办4项，逾期2项" in org_row.subject
    assert "青山镇：2 / 1 / 1 / 0 / 0 / 1" in org_row.body_text and "绿水乡：2 / 1 / 0 / 0 / 1 / 0" in org_row.body_text
    assert "待决定的约谈建议0项、通报建议1项" in org_row.body_text
    assert "白云街道" not in org_row.body_text
    addr_row = next(r for k, r in rows.items() if ":addr:" in k)
    assert addr_row.to_addresses == ["zzb-office@example.test"]

    a_row = rows[f"digest:secretary:2026-W17:user:{sec_a.id}"]
    assert a_row.to_addresses == ["sec-a@example.test"]
    assert "在办整改任务2项，其中红灯（逾期或督办中）1项" in a_row.body_text
    assert SCRIPT in a_row.body_text and "青山镇问题二" in a_row.body_text and "已销号问题" not in a_row.body_text
    assert "<script>" not in a_row.body_html and "&lt;script&gt;" in a_row.body_html
    assert "绿水乡问题" not in a_row.body_text  # only their own unit
    b_row = rows[f"digest:secretary:2026-W17:user:{sec_b.id}"]
    assert "长期坚持问题" in b_row.body_text and "逾期" in b_row.body_text

    # Again in the same week, even days later: nothing added.
    assert enqueue_weekly_digests(session, MONDAY + timedelta(days=3)) == 0
    session.commit()
    assert len(digest_rows(session)) == 4
    # The next week: a new round.
    assert enqueue_weekly_digests(session, MONDAY + timedelta(days=7)) == 5


def test_nothing_open_means_no_digest(app, setup):
    session = setup["session"]
    from tracker.models import Task

    for task in session.scalars(select(Task)):
        task.status = TaskStatus.CLOSED
    session.commit()
    assert enqueue_weekly_digests(session, MONDAY) == 0
    assert digest_rows(session) == {}


def test_digests_reach_a_real_smtp_server_once(app, setup, smtp_server):
    from tracker.mail.delivery import deliver

    session = setup["session"]
    enqueue_weekly_digests(session, MONDAY)
    session.commit()
    for minute in range(3):
        deliver(session, now=MONDAY + timedelta(minutes=minute))
        session.commit()
    digests = [m for m in smtp_server.messages if "周" in m["message"]["Subject"]]
    assert sorted(tuple(m["rcpt"]) for m in digests) == [("sec-a@example.test",), ("sec-b@example.test",),
                                                        ("zzb-office@example.test",), ("zzb@example.test",)]
    secretary_mail = next(m for m in digests if m["rcpt"] == ["sec-a@example.test"])["message"]
    body = secretary_mail.get_body(("plain",)).get_content()
    assert "甲书记同志" in body and "http://tracker.test/" in body


def test_digest_wording_week_and_proposed_levels(app, setup):
    """The week as people say it; a secretary reads 督办, never a 约谈/通报 proposal still to be decided."""
    from tracker.escalation.digest import week_text

    session = setup["session"]
    assert week_text(date(2026, 12, 16)) == "2026年第51周（2026年12月14日至2026年12月20日）"
    enqueue_weekly_digests(session, MONDAY)
    rows = digest_rows(session)
    org_row = next(r for k, r in rows.items() if k.startswith("digest:org:") and ":user:" in k)
    assert "2026年第17周" in org_row.body_text and "W17" not in org_row.body_text + org_row.body_html
    b_row = rows[f"digest:secretary:2026-W17:user:{setup['sec_b'].id}"]
    assert "绿水乡问题" in b_row.body_text and "，督办\n" in b_row.body_text and "（督办）" in b_row.body_html
    for text in (b_row.body_text, b_row.body_html, b_row.subject):
        assert "建议" not in text and "待决定" not in text and "通报" not in text


def test_a_decided_per_person_proposal_reads_on_every_task_it_lists(app, db):
    """One 约谈 proposal listing two tasks of a secretary, decided: the weekly digest shows the decision and
    what is asked on both tasks, not only on the first (the proposal's own task_id)."""
    from tracker.proposals import decisions, per_person

    app.config.update(ORG_DEPT_CONTACT_EMAIL="zzb-office@example.test")
    session = db.session
    unit = make_unit(session, "青山镇")
    secretary = make_user(session, Role.SECRETARY, unit, username="sec-a", name="甲书记")
    org = make_user(session, Role.ORG_DEPT, username="zzb", name="王组织", email="zzb@example.test")
    review = make_review(session)
    tasks = [make_task(session, unit, secretary, review, deadline=date(2026, 3, 2), text=f"第{i}项问题")
             for i in range(2)]
    for task in tasks:
        task.escalation_level = EscalationLevel.TALK
    session.commit()
    batch = per_person.propose_reached(session, [(t, EscalationLevel.TALK) for t in tasks], MONDAY - timedelta(days=7))
    [proposal] = {id(p): p for p in batch.carried.values()}.values()
    assert proposal.task_id == tasks[0].id and len(batch.carried) == 2
    decisions.decide(session, proposal, actor=org, now=MONDAY - timedelta(days=1), held_on=date(2026, 4, 17),
                     held_by="县委组织部", doc_number="青组约[2026]3号", note="", owner_notice="请于月底前报送整改方案")
    session.commit()
    enqueue_weekly_digests(session, MONDAY)
    session.commit()
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("digest:secretary:%"))).one()
    assert mail.to_addresses == [secretary.email]
    assert mail.body_text.count("县委组织部已决定") == 2
    assert mail.body_text.count("县委组织部要求：请于月底前报送整改方案") == 2
