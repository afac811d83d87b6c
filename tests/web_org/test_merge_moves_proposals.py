"""Merging a unit moves its 约谈/通报 proposals and 组织处理 records too, so its secretary keeps access."""
from datetime import timedelta

from sqlalchemy import func, select

from tests.factories import make_task, make_unit
from tests.web_org.conftest import quick_user, today
from tests.webhelpers import login, post_form
from tracker.models import AuditEvent, Role
from tracker.models.proposals import OrgHandling, Proposal, ProposalStatus
from tracker.models.types import utcnow
from tracker.proposals import decisions
from tracker.proposals import service as proposal_service


def _flagged_unit_with_proposals(db, world):
    unit = make_unit(db.session, "XX镇")
    unit.needs_rename = True
    secretary = quick_user(db.session, Role.SECRETARY, unit, username="sec-x", name="某书记")
    late = [make_task(db.session, unit, secretary, world.review, deadline=today() - timedelta(days=40 + i),
                      text=f"匿名单位逾期问题{i}") for i in range(3)]
    for task in late:
        task.escalation_level = 2
    now = utcnow()
    talk = proposal_service.propose_for_task(db.session, late[0], 2, now)
    unit_talk = proposal_service.propose_for_unit(db.session, unit, late, now)
    handling = decisions.record_org_handling(
        db.session, actor=world.users["org_dept"], now=now, unit_id=unit.id, cadre_id=secretary.id,
        measure="停职检查", doc_number="组干〔2026〕1号", decided_on=today(), proposal_id=talk.id)
    db.session.commit()
    return unit, secretary, talk, unit_talk, handling


def _merge(app, db, source, target):
    client = app.test_client()
    login(client, "zzb")
    response = post_form(client, f"/org/units/{source.id}/merge", {"target_id": str(target.id)},
                         form_url="/org/units")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()


def test_merge_moves_proposals_and_keeps_them_internal(app, db, world):
    unit, secretary, talk, unit_talk, handling = _flagged_unit_with_proposals(db, world)
    target = world.unit_a
    _merge(app, db, unit, target)

    assert db.session.get(Proposal, talk.id).unit_id == target.id
    moved_unit_talk = db.session.get(Proposal, unit_talk.id)
    assert moved_unit_talk.unit_id == target.id
    assert moved_unit_talk.scope_key == f"unit:{target.id}:{today():%Y-%m}"
    assert db.session.get(OrgHandling, handling.id).unit_id == target.id
    events = {(e.entity_type, e.entity_id, e.field, e.before, e.after) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "merge_unit"))}
    assert ("proposal", talk.id, "unit_id", str(unit.id), str(target.id)) in events
    assert ("proposal", unit_talk.id, "scope_key", f"unit:{unit.id}:{today():%Y-%m}",
            f"unit:{target.id}:{today():%Y-%m}") in events
    assert ("org_handling", handling.id, "unit_id", str(unit.id), str(target.id)) in events

    # A pending proposal stays internal (issue 13): the moved secretary, like every secretary, gets 404;
    # a 情况说明 is asked for by the organization department (tests/proposals/test_owner_view.py).
    for username in (secretary.username, "sec-b"):
        client = app.test_client()
        login(client, username)
        assert client.get(f"/notify/proposals/{talk.id}").status_code == 404

    # The merged unit's monthly 约谈 now counts for the target: the scan does not propose it again.
    target_tasks = [make_task(db.session, target, world.users["secretary_own"], world.review,
                              deadline=today() - timedelta(days=50), text=f"目标单位逾期{i}") for i in range(3)]
    db.session.get(Proposal, unit_talk.id).status = ProposalStatus.DISMISSED
    assert proposal_service.propose_for_unit(db.session, target, target_tasks, utcnow()) is None


def test_merge_keeps_the_key_when_the_target_already_has_a_proposal_that_month(app, db, world):
    unit, _secretary, _talk, unit_talk, _handling = _flagged_unit_with_proposals(db, world)
    target = world.unit_a
    target_tasks = [make_task(db.session, target, world.users["secretary_own"], world.review,
                              deadline=today() - timedelta(days=50), text=f"目标单位逾期{i}") for i in range(3)]
    own = proposal_service.propose_for_unit(db.session, target, target_tasks, utcnow())
    db.session.commit()
    assert own.scope_key == f"unit:{target.id}:{today():%Y-%m}"
    _merge(app, db, unit, target)

    moved = db.session.get(Proposal, unit_talk.id)
    assert moved.unit_id == target.id and moved.scope_key == f"unit:{unit.id}:{today():%Y-%m}"
    assert db.session.scalar(select(func.count()).select_from(Proposal)
                             .where(Proposal.unit_id == target.id, Proposal.subject == "unit")) == 2
