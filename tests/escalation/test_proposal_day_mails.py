"""The per-person proposal mails are drafted by the scan's last step from data (tracker.proposals.day_mails):
a scan killed after its pages loses none (the next scan of the day mails them), a rerun sends nothing new,
and a proposal grown later the same day is told of it once that day."""
from datetime import timedelta

from sqlalchemy import select

from jobs.tasks import scan_job
from tests.escalation.conftest import at
from tests.escalation.test_statements import DEADLINE, NOW, _world
from tests.factories import make_task
from tracker.escalation.scan import Scanner
from tracker.models import Task, TaskStatus, User
from tracker.models.notify import OutboxMessage
from tracker.models.proposals import Proposal, ProposalSubject


def _person_mails(session) -> dict[str, str]:
    ids = set(session.scalars(select(Proposal.id).where(Proposal.subject == ProposalSubject.PERSON)))
    return {key: subject for key, subject in session.execute(
        select(OutboxMessage.key, OutboxMessage.subject).where(OutboxMessage.key.like("proposal:%")))
        if int(key.split(":")[1]) in ids}


def _late_task(app, session, owner, text):
    task = make_task(session, owner.unit, owner, session.scalars(select(Task)).first().review, deadline=DEADLINE,
                     text=text, status=TaskStatus.IN_PROGRESS, rules=dict(app.config["ESCALATION_RULES"]))
    task.created_at = at("2026-02-02T10:00")
    session.commit()
    return task


def test_a_scan_killed_after_its_pages_mails_its_proposals_at_the_next_scan(app, db):
    session = db.session
    _world(session, app, 10)  # two secretaries, five tasks each, all at 约谈
    scanner = Scanner(session, now=NOW)
    scanner.page()
    session.commit()  # killed here: the pages are committed, the last step never ran
    assert session.scalars(select(Proposal).where(Proposal.subject == ProposalSubject.PERSON)).all()
    assert _person_mails(session) == {}

    scan_job(NOW + timedelta(hours=1))  # nothing due any more: the last step finds the links without a mail
    mails = _person_mails(session)
    assert len(mails) == 2 and all(s.endswith("：5项整改任务") for s in mails.values()), mails
    assert not [k for k in mails if ":add:" in k]

    scan_job(NOW + timedelta(hours=2))  # a rerun sends nothing new
    assert _person_mails(session) == mails


def test_a_proposal_grown_later_the_same_day_is_told_once(app, db):
    session = db.session
    _world(session, app, 10)
    scan_job(NOW)
    first = _person_mails(session)
    assert len(first) == 2
    owner = session.scalars(select(User).where(User.username == "sec0")).one()
    _late_task(app, session, owner, "后来逾期的问题甲")
    scan_job(NOW + timedelta(hours=1))
    added = {k: s for k, s in _person_mails(session).items() if k not in first}
    assert len(added) == 1, added
    (key, subject), = added.items()
    assert ":add:2026-04-22" in key and "新增1项，共6项" in subject

    _late_task(app, session, owner, "后来逾期的问题乙")
    scan_job(NOW + timedelta(hours=2))  # grown again today: listed on the page, no second add mail today
    assert len(_person_mails(session)) == 3
