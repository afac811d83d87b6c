"""约谈 / 通报 per person (issue 11.5) and bounded digests (issue 10.3), through the real scan and 销号 path."""
import re
from datetime import date, timedelta

from sqlalchemy import func, select

from tests.escalation.conftest import at, run_tick
from tracker.models import AuditEvent, TaskStatus
from tracker.models.notify import OutboxMessage
from tracker.models.proposals import Proposal, ProposalKind, ProposalStatus, ProposalSubject, ProposalTask
from tracker.mail import daymail
from tracker.proposals import per_person
from tracker.services import workflow


def _count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_three_late_tasks_of_one_secretary_are_one_proposal_that_resolves_itself(app, db, people, smtp_server):
    # Deadlines on three days: the tasks reach 约谈 (10 working days late) on three different mornings.
    tasks = [people.task(db.session, deadline=date(2026, 3, 30) + timedelta(days=i), text=f"问题{i}") for i in range(3)]
    other = people.task(db.session, deadline=date(2026, 3, 30), owner=people.other_owner, unit=people.other_unit,
                        text="乙的问题")
    db.session.commit()
    for day in ("2026-04-01", "2026-04-14", "2026-04-15", "2026-04-16", "2026-04-17"):
        run_tick(f"{day}T09:00")
    talks = db.session.scalars(select(Proposal).where(Proposal.kind == ProposalKind.TALK,
                                                      Proposal.subject == ProposalSubject.PERSON)
                               .order_by(Proposal.id)).all()
    assert [(p.owner_id, p.status) for p in talks] == [(people.owner.id, ProposalStatus.PENDING),
                                                       (people.other_owner.id, ProposalStatus.PENDING)]
    mine = talks[0]
    assert [link.task_id for link in mine.tasks] == [t.id for t in tasks]
    assert "名下有3项整改任务" in mine.reason and "甲书记" in mine.reason
    # One mail when it was made, then at most one a day for the tasks added to it — never one per task.
    keys = set(db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like(f"proposal:{mine.id}%"))))
    assert keys == {f"proposal:{mine.id}", f"proposal:{mine.id}:add:2026-04-15", f"proposal:{mine.id}:add:2026-04-16"}
    assert _count(db, AuditEvent, AuditEvent.entity_type == "proposal", AuditEvent.entity_id == mine.id,
                  AuditEvent.action == "propose_add") == 2
    # 销号 of the three, through the workflow: the third closes the proposal as 已整改, dated and audited.
    for i, task in enumerate(tasks):
        task.status = TaskStatus.AWAITING_VERIFICATION
        workflow.apply(db.session, task, "close", actor=people.org, now=at(f"2026-04-2{i}T10:00"))
        db.session.flush()
        assert mine.status == (ProposalStatus.RESOLVED if i == 2 else ProposalStatus.PENDING)
    db.session.commit()
    assert mine.resolved_on == date(2026, 4, 22)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "proposal",
                                                        AuditEvent.entity_id == mine.id,
                                                        AuditEvent.action == "resolve")).one()
    assert (event.actor_id, event.after) == (None, "已整改") and "已全部销号" in event.note
    assert talks[1].status == ProposalStatus.PENDING and other.status != TaskStatus.CLOSED


def test_the_wording_says_reached_at_the_threshold_and_beyond_above_it():
    assert per_person.reach_word(10, 10) == "达到" and per_person.reach_word(13, 10) == "超过"
    assert per_person.reach_word(3, 3) == "达到" and per_person.reach_word(4, "3") == "超过"


def test_a_task_exactly_at_the_rule_reads_reached(app, db, people):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    from tracker.proposals import service

    proposal = service.propose_for_task(db.session, task, 2, at("2026-04-15T09:00"))  # 10 working days late
    assert "已逾期10个工作日（达到10个工作日）" in proposal.reason


def test_a_digest_is_bounded_by_items_and_bytes_and_never_refused(app, db, people, smtp_server):
    app.config.update(DIGEST_MAX_ITEMS=2)
    for i in range(8):
        people.task(db.session, deadline=date(2026, 3, 31), text=f"很长的问题描述{i}" * 20)
    db.session.commit()
    run_tick("2026-04-01T09:00")  # 8 催办 to one secretary, the organization department in copy
    digests = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all()
    assert digests and all(d.status == "sent" for d in digests)
    owner_digest = next(d for d in digests if d.to_addresses == ["sec-a@town.test"])
    text = owner_digest.body_text
    assert len(re.findall(r"━━━━ \d+\. ", text)) == 2 and "另有6项通知未在本邮件列出" in text
    assert "按单位汇总" in text and "青山镇：8项（催办8项）" in text
    # Under a byte limit the notices are dropped (the count stays): the mail fits, nothing is refused.
    app.config.update(MAIL_MAX_MESSAGE_BYTES=6000)
    _, text, html = daymail.render_digest(daymail.members_of(db.session, owner_digest.id), date(2026, 4, 1))
    assert len(text.encode()) + len(html.encode()) <= 6000
    assert "另有8项通知未在本邮件列出" in text
    # A limit too small even for the summary: the mail still goes, as small as it can be.
    app.config.update(MAIL_MAX_MESSAGE_BYTES=100)
    for i in range(3):
        people.task(db.session, deadline=date(2026, 4, 1), owner=people.other_owner, unit=people.other_unit,
                    text=f"另一单位问题{i}")
    db.session.commit()
    run_tick("2026-04-02T09:00")
    small = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest",
                                                           OutboxMessage.key.like("digest:sec-b@%"))).one()
    assert small.status == "sent" and "3项整改任务通知" in small.subject
    # Nothing here reached 约谈 per person (the units' own 约谈 proposals list their overdue tasks).
    assert _count(db, Proposal, Proposal.subject == ProposalSubject.PERSON) == 0
    assert _count(db, ProposalTask) == 8 + 3
