"""The scan's per-person proposal mails, drafted once at the end of a scan from data, not per page.

A secretary's due tasks are spread over all the scan's pages: mailing per page told each proposal of its
creation and then again of each page's additions (≈7,600 mails for 5,556 due tasks one morning). The
pages only link tasks (added_at = the scan's now); the last step reads the person proposals that got links
today and drafts, per proposal, what no mail says yet:

- no mail with key proposal:<id> yet: the creation mail, listing all its tasks;
- else, none with today's add key: an add mail counting the links added after that creation mail;
- else nothing (a proposal is told of additions once a day, as before).

So a scan killed between its pages and its last step loses nothing (the next scan finds the links without
a mail), and a rerun sends nothing new (the keys are taken). The lease row MAILS_LEASE remembers when the
last step last ran: a scan reads only the links added after it (a killed scan's included), so a quiet
tick costs one read instead of all the day's links and their keys.
"""
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tracker.models.notify import Notice, OutboxMessage
from tracker.models.proposals import (
    Proposal,
    ProposalStatus,
    ProposalSubject,
    ProposalTask,
)
from tracker.proposals import per_person
from tracker.proposals.recipients import Staff
from tracker.services.leases import lease, touch_lease
from tracker.settings import settings
from tracker.timeutil import at_local, local_date

CHUNK = 500


MAILS_LEASE = "scan-proposal-mails"


def scan_mails(session, now: datetime, *, recipients: Staff | None = None, holder: str = "scan"):
    """The drafts (not stored) of the proposal mails today's links call for, see the module's text: an
    iterator of lists of at most CHUNK drafts, rendered one list at a time, so that the caller stores each
    before the next is rendered (a province morning drafts ~4,000 of them: 230 MB held at once)."""
    yield from _chunks(_wanted(session, now, holder=holder), session, now, recipients)


def _wanted(session, now: datetime, *, holder: str) -> dict[int, tuple[str, int]]:
    """Proposal id → (the key of the mail it needs now, how many tasks it adds), for today's links."""
    tz = settings().timezone
    today = local_date(now, tz)
    start = at_local(today, 0, tz)
    end = start + timedelta(days=1)
    done = lease(session, MAILS_LEASE)
    last = done.heartbeat_at if done is not None else None  # read first: touch_lease updates the object too
    touch_lease(session, MAILS_LEASE, holder, now)  # rolled back with the step if the step fails
    if last is not None and start <= last <= now:
        start = last + timedelta(microseconds=1)  # links up to it have been looked at
    added: dict[int, list[datetime]] = defaultdict(list)
    for pid, moment in session.execute(
            select(ProposalTask.proposal_id, ProposalTask.added_at)
            .join(Proposal, Proposal.id == ProposalTask.proposal_id)
            .where(Proposal.subject == ProposalSubject.PERSON, Proposal.status == ProposalStatus.PENDING,
                   ProposalTask.added_at >= start, ProposalTask.added_at < end)):
        added[pid].append(moment)
    if not added:
        return {}
    create = {pid: f"proposal:{pid}" for pid in added}
    add = {pid: f"proposal:{pid}:add:{today.isoformat()}" for pid in added}
    mailed = _mailed_at(session, [*create.values(), *add.values()])
    wanted: dict[int, tuple[str, int]] = {}
    for pid, moments in added.items():
        if create[pid] not in mailed:
            wanted[pid] = (create[pid], 0)
        elif add[pid] not in mailed:
            since = mailed[create[pid]]
            fresh = sum(1 for moment in moments if moment > since)
            if fresh:
                wanted[pid] = (add[pid], fresh)
    return wanted


def _chunks(wanted: dict, session, now: datetime, recipients):
    today = local_date(now, settings().timezone)
    order = sorted(wanted)
    recipients = recipients or (Staff.load(session) if order else None)
    for first in range(0, len(order), CHUNK):
        ids = order[first:first + CHUNK]
        proposals = {p.id: p for p in session.scalars(
            select(Proposal).where(Proposal.id.in_(ids))
            .options(selectinload(Proposal.unit), selectinload(Proposal.owner)))}
        lines, totals = per_person._lines(session, proposals)
        drafts = []
        for pid in ids:
            key, fresh = wanted[pid]
            drafts.append(per_person.proposal_draft(proposals[pid], lines.get(pid, []), today, recipients,
                                                    key=key, added=fresh, total=totals.get(pid, 0)))
        yield drafts


def _mailed_at(session, wanted: list[str]) -> dict[str, datetime]:
    """Key → when its mail (outbox row, or in-app notices for people without an address) was written."""
    found: dict[str, datetime] = {}
    for first in range(0, len(wanted), CHUNK):
        chunk = wanted[first:first + CHUNK]
        for model in (OutboxMessage, Notice):
            for key, moment in session.execute(select(model.key, func.min(model.created_at))
                                               .where(model.key.in_(chunk)).group_by(model.key)):
                found[key] = min(moment, found.get(key, moment))
    return found
