"""A long escalation through the real scan: 约谈 and 通报 proposed once each, 组织处理 never."""
import ast
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from jobs.tasks import scan_job
from tests.factories import make_review, make_task, make_unit, make_user
from tracker.models import Role
from tracker.models.notify import OutboxMessage
from tracker.models.proposals import (
    OrgHandling,
    Proposal,
    ProposalKind,
    ProposalSubject,
    ProposalTask,
)
from tracker.proposals.dossier import build_dossier
from tracker.timeutil import at_local

REPO = Path(__file__).resolve().parents[2]


def test_a_long_escalation_proposes_but_never_handles(app, db):
    session = db.session
    rules = dict(app.config["ESCALATION_RULES"])
    unit = make_unit(session, "青山镇")
    owner = make_user(session, Role.SECRETARY, unit, username="sec-a", name="甲书记")
    make_user(session, Role.ORG_DEPT, username="zzb", name="王组织", email="zzb@example.test")
    make_user(session, Role.DISCIPLINE, username="jw", name="李纪检", email="jw@example.test")
    review = make_review(session)
    tasks = [make_task(session, unit, owner, review, deadline=date(2026, 3, 31), text=f"问题{i}", rules=rules)
             for i in range(3)]
    for task in tasks:
        task.next_check_at = at_local(date(2026, 3, 2), 9)
    session.commit()
    day = date(2026, 3, 2)
    while day <= date(2026, 7, 31):  # four months, every day, twice a day
        for hour in (9, 15):
            scan_job(now=at_local(day, hour))
        day += timedelta(days=1)

    def count(*where):
        return session.scalar(select(func.count()).select_from(Proposal).where(*where))

    def listed(task, kind):
        return session.scalar(select(func.count()).select_from(ProposalTask).join(Proposal).where(
            ProposalTask.task_id == task.id, Proposal.kind == kind, Proposal.subject == ProposalSubject.PERSON))

    # Per person (issue 11.5; was one proposal per task and kind, 7 proposal mails): the three tasks of
    # one secretary reach 约谈 on the same day and sit in one 约谈 proposal, then in one 通报 proposal.
    for task in tasks:
        assert task.escalation_level == 3
        assert listed(task, ProposalKind.TALK) == 1 and listed(task, ProposalKind.CIRCULAR) == 1
    assert count(Proposal.subject == ProposalSubject.PERSON, Proposal.kind == ProposalKind.TALK) == 1
    assert count(Proposal.subject == ProposalSubject.PERSON, Proposal.kind == ProposalKind.CIRCULAR) == 1
    # The unit proposal waits for a decision: months go by without a second one.
    assert count(Proposal.subject == ProposalSubject.UNIT) == 1
    assert session.scalar(select(func.count()).select_from(OutboxMessage)
                          .where(OutboxMessage.key.like("proposal:%"))) == 3
    assert session.scalar(select(func.count()).select_from(OrgHandling)) == 0
    # The dossier of a 通报 proposal shows the ladder the scan walked and the notices it sent.
    circular = session.scalars(select(Proposal).where(Proposal.task_id == tasks[0].id,
                                                      Proposal.kind == ProposalKind.CIRCULAR)).one()
    entries = build_dossier(session, circular).tasks
    assert [e.task.id for e in entries] == [t.id for t in tasks]  # one 通报 proposal, the secretary's three tasks
    entry = entries[0]
    labels = [e.title for e in entry.timeline]
    assert labels.count("督办等级提升") == 3 and labels.count("系统提出建议") == 2
    assert len(entry.notices) >= 5  # 提醒 ×3, 催办, 督办, and the proposals' own mails


def _calls(tree, name):
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == name]


def test_only_the_form_creates_org_handling():
    """No code path but the org department's form: OrgHandling( is built in one service function, and that
    function is called from one view only."""
    builders, callers = [], []
    for path in sorted([*REPO.joinpath("tracker").rglob("*.py"), *REPO.joinpath("jobs").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            if _calls(function, "OrgHandling"):
                builders.append((path.relative_to(REPO).as_posix(), function.name))
            if _calls(function, "record_org_handling"):
                callers.append((path.relative_to(REPO).as_posix(), function.name))
    assert builders == [("tracker/proposals/decisions.py", "record_org_handling")]
    # Nor through a Core insert or any other use of the model outside these files.
    # units.py only re-points existing records when two units are merged (it never builds one: see builders).
    # queries.py only lists recorded ones (a select, checked by the builders above to never build one).
    allowed = {"tracker/models/proposals.py", "tracker/proposals/decisions.py", "tracker/proposals/queries.py",
               "tracker/web/proposals.py",
               "tracker/services/units.py"}
    users = {path.relative_to(REPO).as_posix()
             for path in [*REPO.joinpath("tracker").rglob("*.py"), *REPO.joinpath("jobs").rglob("*.py")]
             if "OrgHandling" in path.read_text(encoding="utf-8")}
    assert users <= allowed
    assert callers == [("tracker/web/proposals.py", "org_handling")]
