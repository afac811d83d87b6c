"""Proposing: once per (task, kind, cycle) and once per unit per month; the proposal's mail and audit."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.factories import make_review, make_task, make_unit, make_user
from tracker.models import AuditEvent, EscalationLevel, Role, TaskStatus
from tracker.models.notify import Notice, OutboxMessage
from tracker.models.proposals import (
    Proposal,
    ProposalKind,
    ProposalStatus,
    ProposalSubject,
    ProposalTask,
)
from tracker.proposals import decisions
from tracker.proposals import service as service

NOW = datetime(2026, 4, 20, 1, 0, tzinfo=timezone.utc)  # 09:00 in Asia/Shanghai, a Monday
RULES = {"level2_after_workdays": 10, "level3_after_workdays": 20}


@pytest.fixture
def setup(app, db):
    session = db.session
    unit = make_unit(session, "青山镇")
    other = make_unit(session, "绿水乡")
    owner = make_user(session, Role.SECRETARY, unit, username="sec-a", name="甲书记")
    org = make_user(session, Role.ORG_DEPT, username="zzb", name="王组织", email="zzb@example.test")
    org_no_mail = make_user(session, Role.ORG_DEPT, username="zzb2", name="赵组织")
    org_no_mail.email = None
    disc = make_user(session, Role.DISCIPLINE, username="jw", name="李纪检", email="jw@example.test")
    review = make_review(session)
    task = make_task(session, unit, owner, review, deadline=date(2026, 3, 31), text="党建引领基层治理不够有力",
                     rules=RULES)
    task.escalation_level = EscalationLevel.TALK
    session.flush()
    return {"session": session, "unit": unit, "other": other, "owner": owner, "org": org,
            "org_no_mail": org_no_mail, "disc": disc, "review": review, "task": task}


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_level_two_proposes_a_talk_once_per_cycle(app, setup):
    session, task = setup["session"], setup["task"]
    proposal = service.propose_for_task(session, task, 2, NOW)
    assert proposal is not None
    # Per person since issue 11.5: the proposal is about the secretary (owner), its first task kept in task_id.
    assert (proposal.kind, proposal.subject, proposal.status) == (ProposalKind.TALK, ProposalSubject.PERSON,
                                                                  ProposalStatus.PENDING)
    assert proposal.task_id == task.id and proposal.unit_id == setup["unit"].id and proposal.source_level == 2
    assert proposal.owner_id == setup["owner"].id
    assert "青山镇" in proposal.reason and "已逾期13个工作日" in proposal.reason and "2026年3月31日" in proposal.reason
    assert "超过10个工作日" in proposal.reason
    assert [(link.task_id, link.days_overdue) for link in proposal.tasks] == [(task.id, 13)]
    session.commit()
    assert service.propose_for_task(session, task, 2, NOW + timedelta(hours=1)) is None
    assert service.propose_for_task(session, task, 2, NOW + timedelta(days=3)) is None
    session.commit()
    assert count(session, Proposal) == 1
    # An approved extension starts a new cycle: a task late again in it may be proposed again. Changed by
    # issue 11.5 (proposals per person): while the secretary's proposal waits, the task joins it (a second
    # link, not a second proposal); once that one is decided, a new proposal is made.
    task.reminder_cycle += 1
    assert service.propose_for_task(session, task, 2, NOW + timedelta(days=40)) is None  # listed already
    assert service.proposal_for_milestone(session, task, 2, NOW + timedelta(days=40)).id == proposal.id
    session.commit()
    assert count(session, Proposal) == 1 and count(session, ProposalTask) == 1
    decisions.dismiss(session, proposal, actor=setup["org"], now=NOW + timedelta(days=41), reason="已专题研究")
    task.reminder_cycle += 1
    third = service.propose_for_task(session, task, 2, NOW + timedelta(days=42))
    assert third is not None and third.id != proposal.id and third.scope_key.startswith(f"person:{task.owner_id}:")
    session.commit()
    assert count(session, Proposal) == 2


def test_level_three_proposes_a_circular_beside_the_talk(app, setup):
    session, task = setup["session"], setup["task"]
    talk = service.propose_for_task(session, task, 2, NOW)
    circular = service.propose_for_task(session, task, 3, NOW + timedelta(days=14))
    assert talk.kind == ProposalKind.TALK and circular.kind == ProposalKind.CIRCULAR
    assert "建议通报" in circular.reason and "超过20个工作日" in circular.reason
    session.commit()
    assert count(session, Proposal, Proposal.task_id == task.id) == 2


@pytest.mark.parametrize("level", [0, 1, 4])
def test_other_levels_are_refused(app, setup, level):
    with pytest.raises(ValueError):
        service.propose_for_task(setup["session"], setup["task"], level, NOW)


def test_closed_or_county_wide_tasks_are_not_proposed(app, setup):
    session, task = setup["session"], setup["task"]
    task.status = TaskStatus.CLOSED
    assert service.propose_for_task(session, task, 2, NOW) is None
    task.status = TaskStatus.IN_PROGRESS
    task.unit_id = None
    session.flush()
    session.expire(task, ["unit"])
    assert service.propose_for_task(session, task, 2, NOW) is None
    assert count(session, Proposal) == 0


def test_a_proposal_mails_org_dept_and_discipline_in_its_transaction(app, setup):
    app.config.update(ORG_DEPT_CONTACT_EMAIL="zzb-office@example.test", DISCIPLINE_CONTACT_EMAIL="jw-office@example.test")
    session, task = setup["session"], setup["task"]
    proposal = service.propose_for_task(session, task, 2, NOW)
    session.commit()
    row = session.scalars(select(OutboxMessage)).one()
    assert row.key == f"proposal:{proposal.id}" and row.task_id == task.id and row.unit_id == setup["unit"].id
    assert set(row.to_addresses) == {"zzb@example.test", "jw@example.test", "zzb-office@example.test",
                                     "jw-office@example.test"}
    assert "sec-a@example.test" not in row.to_addresses + row.cc_addresses  # the owner is not told of this
    assert row.subject.startswith("【约谈建议】青山镇")
    assert "党建引领基层治理不够有力" in row.body_text and "已逾期13个工作日" in row.body_text
    assert f"http://tracker.test/notify/proposals/{proposal.id}" in row.body_text
    assert f'href="http://tracker.test/notify/proposals/{proposal.id}"' in row.body_html
    # In-app notices for every org/discipline user, the one without an email included.
    noticed = set(session.scalars(select(Notice.user_id).where(Notice.key == row.key)))
    assert noticed == {setup["org"].id, setup["org_no_mail"].id, setup["disc"].id}
    audit = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "proposal")).one()
    assert (audit.action, audit.actor_id, audit.task_id, audit.after) == ("propose", None, task.id, "待决定")


def test_a_rolled_back_scan_leaves_no_proposal_and_no_mail(app, setup):
    session, task = setup["session"], setup["task"]
    session.commit()
    service.propose_for_task(session, task, 2, NOW)
    session.rollback()
    assert count(session, Proposal) == 0 and count(session, OutboxMessage) == 0 and count(session, ProposalTask) == 0


def test_user_text_is_escaped_in_the_html_mail(app, setup):
    session, task = setup["session"], setup["task"]
    task.problem_text = "<script>alert('x')</script>"
    service.propose_for_task(session, task, 2, NOW)
    row = session.scalars(select(OutboxMessage)).one()
    assert "<script>" not in row.body_html and "&lt;script&gt;" in row.body_html
    assert "<script>" in row.body_text  # text/plain is shown as text


def _overdue_tasks(setup, n):
    session = setup["session"]
    return [make_task(session, setup["unit"], setup["owner"], setup["review"], deadline=date(2026, 3, 1) + timedelta(days=i),
                      text=f"问题{i}") for i in range(n)]


def test_unit_proposal_once_a_month_and_not_while_one_waits(app, setup):
    session = setup["session"]
    tasks = _overdue_tasks(setup, 3)
    first = service.propose_for_unit(session, setup["unit"], tasks, NOW)
    assert first is not None and first.subject == ProposalSubject.UNIT and first.kind == ProposalKind.TALK
    assert first.task_id is None and first.scope_key == f"unit:{setup['unit'].id}:2026-04"
    assert "3项整改任务逾期" in first.reason and "问题较多、长期打不开局面" in first.reason
    assert [link.task_id for link in first.tasks] == [t.id for t in tasks]
    # Working days after 3月1日/2日/3日 up to 4月20日 (50, 49, 48 calendar days; weekends and 清明 not counted).
    assert [link.days_overdue for link in first.tasks] == [35, 34, 33]
    session.commit()
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.key == f"proposal:{first.id}")).one()
    assert row.unit_id == setup["unit"].id and "3项整改任务逾期未完成" in row.subject
    assert service.propose_for_unit(session, setup["unit"], tasks, NOW + timedelta(days=5)) is None
    # Next month, still pending: the same situation awaits its decision, nothing new.
    assert service.propose_for_unit(session, setup["unit"], tasks, NOW + timedelta(days=20)) is None
    decisions.dismiss(session, first, actor=setup["org"], now=NOW + timedelta(days=21), reason="已专题研究")
    session.commit()
    # Dismissed this month: not again this month (05-?) — but next month, yes.
    second = service.propose_for_unit(session, setup["unit"], tasks, NOW + timedelta(days=21))
    assert second is not None and second.scope_key.endswith("2026-05")
    session.commit()
    assert service.propose_for_unit(session, setup["unit"], tasks, NOW + timedelta(days=22)) is None


def test_unit_proposal_needs_open_tasks(app, setup):
    tasks = _overdue_tasks(setup, 3)
    for task in tasks:
        task.status = TaskStatus.CLOSED
    assert service.propose_for_unit(setup["session"], setup["unit"], tasks, NOW) is None
    assert service.propose_for_unit(setup["session"], setup["unit"], [], NOW) is None


def test_the_proposal_mail_arrives_once_over_smtp(app, setup, smtp_server):
    from tracker.mail.delivery import deliver

    app.config.update(DISCIPLINE_CONTACT_EMAIL="jw-office@example.test")
    session = setup["session"]
    proposal = service.propose_for_task(session, setup["task"], 2, NOW)
    session.commit()
    for minute in range(3):  # later runs find nothing left to send
        deliver(session, now=NOW + timedelta(minutes=minute))
        session.commit()
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert sorted(received["rcpt"]) == ["jw-office@example.test", "jw@example.test", "zzb@example.test"]
    message = received["message"]
    assert message["Subject"] == "【约谈建议】青山镇：党建引领基层治理不够有力"
    plain = message.get_body(("plain",)).get_content()
    assert f"http://tracker.test/notify/proposals/{proposal.id}" in plain
    assert "整改时限：2026年3月31日，已逾期13个工作日" in plain  # 20 calendar days
    assert "<td>13个工作日</td>" in message.get_body(("html",)).get_content()
