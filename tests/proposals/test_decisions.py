"""Deciding, dismissing, 组织处理: people only, every field checked, nothing written on bad input, all audited."""
import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_review, make_task, make_unit, make_user
from tracker.models import AuditEvent, EscalationLevel, Role, TaskStatus, UpdateKind
from tracker.models.notify import OutboxMessage
from tracker.models.proposals import (
    OrgHandling,
    Proposal,
    ProposalDecision,
    ProposalStatus,
)
from tracker.proposals import decisions, queries
from tracker.proposals import service as service
from tracker.proposals.owner import request_explanation, submit_explanation
from tracker.services.errors import DomainError, PermissionDenied

PROPOSED = datetime(2026, 4, 20, 1, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 4, 27, 2, 0, tzinfo=timezone.utc)  # a week later: 2026-04-27 in Shanghai


@pytest.fixture
def setup(app, db):
    session = db.session
    unit = make_unit(session, "青山镇")
    other = make_unit(session, "绿水乡")
    owner = make_user(session, Role.SECRETARY, unit, username="sec-a", name="甲书记")
    owner.title = "党委书记"
    stranger = make_user(session, Role.SECRETARY, other, username="sec-b", name="乙书记")
    org = make_user(session, Role.ORG_DEPT, username="zzb", name="王组织")
    disc = make_user(session, Role.DISCIPLINE, username="jw", name="李纪检")
    task = make_task(session, unit, owner, make_review(session), deadline=date(2026, 3, 31), text="问题甲")
    task.escalation_level = EscalationLevel.TALK
    proposal = service.propose_for_task(session, task, 2, PROPOSED)
    session.commit()
    return {"session": session, "unit": unit, "other": other, "owner": owner, "stranger": stranger, "org": org,
            "disc": disc, "task": task, "proposal": proposal}


def audits(session, action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_decide_records_and_audits(setup):
    session, proposal, org = setup["session"], setup["proposal"], setup["org"]
    decision = decisions.decide(session, proposal, actor=org, now=NOW, held_on=date(2026, 4, 24), held_by="王组织、李纪检",
                              doc_number="青组约[2026]3号", note="当面约谈，书记作表态发言")
    session.commit()
    assert proposal.status == ProposalStatus.DECIDED
    assert (decision.held_on, decision.held_by, decision.doc_number) == (date(2026, 4, 24), "王组织、李纪检",
                                                                         "青组约〔2026〕3号")
    assert decision.decided_by_id == org.id and decision.decided_at == NOW
    event = audits(session, "decide_proposal")[0]
    assert (event.actor_id, event.before, event.after, event.at) == (org.id, "待决定", "已决定", NOW)
    assert event.task_id == setup["task"].id and "青组约〔2026〕3号" in event.note and "2026年4月24日" in event.note


# A malformed date is the form's to refuse (tracker.web.proposal_forms): see test_views.
@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"held_on": None}, "held_on", "请填写约谈日期"),
    ({"held_on": date(2026, 4, 28)}, "held_on", "约谈日期不能晚于今天（2026年4月27日）"),
    ({"held_on": date(2026, 4, 19)}, "held_on", "不能早于建议提出的日期（2026年4月20日）"),
    ({"held_by": "  "}, "held_by", "请填写约谈人"),
    ({"doc_number": "", "note": ""}, "doc_number", "请填写文号或备注（至少填写一项）"),
    ({"doc_number": "号" * 61}, "doc_number", "文号不能超过60字"),
])
def test_bad_decisions_write_nothing(setup, fields, field, message):
    session, proposal = setup["session"], setup["proposal"]
    values = {"held_on": date(2026, 4, 24), "held_by": "王组织", "doc_number": "〔2026〕3号", "note": ""} | fields
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(decisions.ProposalFormError) as caught:
        decisions.decide(session, proposal, actor=setup["org"], now=NOW, **values)
    assert message in caught.value.errors[field]
    session.commit()
    assert proposal.status == ProposalStatus.PENDING
    assert session.scalar(select(func.count()).select_from(ProposalDecision)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_a_note_alone_is_enough_and_circulars_need_no_names(setup):
    session, task = setup["session"], setup["task"]
    circular = service.propose_for_task(session, task, 3, PROPOSED)
    decision = decisions.decide(session, circular, actor=setup["org"], now=NOW, held_on=date(2026, 4, 27), held_by="",
                              doc_number="", note="经部务会研究，在全县范围通报")
    assert decision.note.startswith("经部务会") and decision.doc_number == ""


@pytest.mark.parametrize("role", ["owner", "stranger", "disc"])
def test_only_the_org_dept_decides(setup, role):
    session, proposal = setup["session"], setup["proposal"]
    with pytest.raises(PermissionDenied):
        decisions.decide(session, proposal, actor=setup[role], now=NOW, held_on=date(2026, 4, 24), held_by="x",
                       doc_number="〔2026〕1号", note="")
    with pytest.raises(PermissionDenied):
        decisions.dismiss(session, proposal, actor=setup[role], now=NOW, reason="理由")
    assert proposal.status == ProposalStatus.PENDING


def test_dismiss_needs_a_reason_and_is_final(setup):
    session, proposal, org = setup["session"], setup["proposal"], setup["org"]
    with pytest.raises(decisions.ProposalFormError) as caught:
        decisions.dismiss(session, proposal, actor=org, now=NOW, reason="   ")
    assert caught.value.errors == {"reason": "驳回必须填写理由"}
    assert proposal.status == ProposalStatus.PENDING
    decisions.dismiss(session, proposal, actor=org, now=NOW, reason="已批准延期，情况属实")
    session.commit()
    event = audits(session, "dismiss_proposal")[0]
    assert (event.actor_id, event.before, event.after, event.note) == (org.id, "待决定", "已驳回", "已批准延期，情况属实")
    with pytest.raises(DomainError, match="已驳回，不能再次处理"):
        decisions.decide(session, proposal, actor=org, now=NOW, held_on=date(2026, 4, 24), held_by="x",
                       doc_number="〔2026〕1号", note="")
    with pytest.raises(DomainError):
        decisions.dismiss(session, proposal, actor=org, now=NOW, reason="again")
    assert session.scalar(select(func.count()).select_from(ProposalDecision)) == 1


def test_org_handling_is_recorded_only_with_every_field(setup):
    session, org, unit, owner = setup["session"], setup["org"], setup["unit"], setup["owner"]
    with pytest.raises(decisions.ProposalFormError) as caught:
        decisions.record_org_handling(session, actor=org, now=NOW, unit_id=unit.id, cadre_id=setup["stranger"].id,
                                    measure="枪毙", doc_number="", decided_on=date(2099, 1, 1), proposal_id=999)
    assert caught.value.errors == {
        "cadre_id": "请选择该责任单位的书记", "measure": "请选择组织处理方式", "doc_number": "请填写组织处理决定的文号",
        "decided_on": "决定日期不能晚于今天（2026年4月27日）", "proposal_id": "关联的约谈、通报建议不属于该单位"}
    with pytest.raises(PermissionDenied):
        decisions.record_org_handling(session, actor=setup["disc"], now=NOW, unit_id=unit.id, cadre_id=owner.id,
                                    measure="免职", doc_number="〔2026〕9号", decided_on=date(2026, 4, 25))
    assert session.scalar(select(func.count()).select_from(OrgHandling)) == 0
    handling = decisions.record_org_handling(
        session, actor=org, now=NOW, unit_id=unit.id, cadre_id=owner.id, measure="调整职务",
        doc_number="青组〔2026〕9号", decided_on=date(2026, 4, 25), note="县委常委会研究决定",
        proposal_id=setup["proposal"].id)
    session.commit()
    assert (handling.cadre_name, handling.cadre_title, handling.measure, handling.proposal_id) == (
        "甲书记", "党委书记", "调整职务", setup["proposal"].id)
    event = audits(session, "record_org_handling")[0]
    assert event.actor_id == org.id and event.after == "甲书记：调整职务（青组〔2026〕9号）"


def test_secretary_explanation(setup):
    session, proposal, owner, task = setup["session"], setup["proposal"], setup["owner"], setup["task"]
    with pytest.raises(DomainError, match="没有要求"):  # only when the organization department asks for one
        submit_explanation(session, task, actor=owner, now=NOW, body="x")
    request_explanation(session, proposal, actor=setup["org"], now=NOW, due_on=date(2026, 4, 30), message="")
    with pytest.raises(PermissionDenied):
        submit_explanation(session, task, actor=setup["stranger"], now=NOW, body="x")
    with pytest.raises(decisions.ProposalFormError) as caught:
        submit_explanation(session, task, actor=owner, now=NOW, body=" ")
    assert caught.value.errors == {"body": "请填写情况说明"}
    update = submit_explanation(session, task, actor=owner, now=NOW, body="因征地问题延误，已协调解决")
    session.commit()
    assert (update.kind, update.task_id, update.author_id) == (UpdateKind.EXPLANATION, setup["task"].id, owner.id)
    assert setup["task"].status == TaskStatus.PENDING  # explaining a delay does not start the work
    assert audits(session, "post_update")[0].task_id == setup["task"].id


def test_lists_and_counts(setup):
    session, org = setup["session"], setup["org"]
    circular = service.propose_for_task(session, setup["task"], 3, PROPOSED + timedelta(days=1))
    decisions.dismiss(session, setup["proposal"], actor=org, now=NOW, reason="情况属实")
    session.commit()
    counts = queries.proposal_counts(session)
    assert counts[("约谈", "pending")] == 0 and counts[("约谈", "closed")] == 1
    assert counts[("通报", "pending")] == 1 and counts[("通报", "closed")] == 0
    assert [p.id for p in queries.proposals_for_task(session, setup["task"].id)] == [circular.id, setup["proposal"].id]
    page = queries.list_proposals(session, kind="通报", state="pending")
    assert [p.id for p in page.items] == [circular.id] and page.pages == 1
    assert queries.list_proposals(session, kind="约谈", state="pending").total == 0


@pytest.mark.postgres_only
def test_two_concurrent_scans_propose_once(app, setup, db):
    """Two transactions propose the same thing at once: the second waits on the first and adds nothing."""
    task_id = setup["task"].id
    setup["session"].commit()
    first, second = Session(db.engine), Session(db.engine)
    from tracker.models import Task

    result = {}
    try:
        made = service.propose_for_task(first, first.get(Task, task_id), 3, NOW)
        assert made is not None

        def other():
            with app.app_context():
                result["other"] = service.propose_for_task(second, second.get(Task, task_id), 3, NOW)
                second.commit()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # blocked on the first transaction's row
        first.commit()
        thread.join(10)
        assert result["other"] is None
    finally:
        first.close()
        second.close()
    session = setup["session"]
    assert session.scalar(select(func.count()).select_from(Proposal).where(Proposal.kind == "通报")) == 1
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2  # 约谈 + 通报, each once
