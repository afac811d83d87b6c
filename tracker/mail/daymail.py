"""One mail per recipient address per local day.

Notices due together (a scan's task notices, the 约谈/通报 proposal mails it causes) are stored each as
its own outbox row, so that every key stays taken and the outbox page shows every notice. Then, per
individual address (To or Cc):

- an address that gets only this one notice today, on a notice whose every address is in that case,
  gets the notice as it is (To and Cc kept): the common case of one reminder to one secretary;
- otherwise the address gets that day's digest (key digest:<address>:<date>) listing its notices, and
  the notice rows become `merged` (digest_id points at the digest of their first address; the
  outbox_digest_member table lists every digest a notice sits in);
- a notice for an address whose mail of the day is still pending joins it (a singleton is turned into a
  digest); when that mail is already on its way or sent, the notice waits for the address's digest of
  the next working day at NOTICE_HOUR. Its in-app notice is there at once either way.

outbox_mail_day (address, day) is the primary key that makes "one mail per address per day" a rule of
the database rather than of this code.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import delete, event, select, update

from tracker.models.notify import DigestMember, MailDay, OutboxMessage, OutboxStatus
from tracker.timeutil import cn_date, local_date
from tracker.settings import settings
from tracker.services import keys

DIGEST_KIND = "digest"
DIRTY = "tracker.daymail.dirty_digests"
MAX_LISTED = 100  # a digest lists this many notices in full and counts the rest (the app lists them all)
LABEL_ORDER = ["提醒", "进展报告提醒", "催办", "督办", "约谈建议", "通报建议"]
_LABEL = re.compile(r"^【([^】]{1,12})】")
_URL = re.compile(r"https?://[^\s<>\"'，。；）]+")


@dataclass
class Member:
    row: OutboxMessage
    addresses: list[str] = field(default_factory=list)  # lower-cased, To first

    @classmethod
    def of(cls, row: OutboxMessage) -> "Member":
        seen = []
        for address in [*(row.to_addresses or []), *(row.cc_addresses or [])]:
            if address.lower() not in seen:
                seen.append(address.lower())
        return cls(row, seen)


def label_of(subject: str) -> str:
    match = _LABEL.match(subject or "")
    return match.group(1) if match else "通知"


def digest_subject(rows) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        counts[label_of(row.subject)] = counts.get(label_of(row.subject), 0) + 1
    order = sorted(counts, key=lambda lab: (LABEL_ORDER.index(lab) if lab in LABEL_ORDER else 99, lab))
    parts = "、".join(f"{lab}{counts[lab]}项" for lab in order)
    return f"【整改督办】{len(rows)}项整改任务通知：{parts}"


def linkify(text: str) -> Markup:
    """Escapes the text first, then makes its URLs clickable: user text never reaches HTML unescaped."""
    escaped = str(escape(text))
    return Markup(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped).replace("\n", "<br>\n"))


def render_digest(rows: list[OutboxMessage], day: date) -> tuple[str, str, str]:
    """(subject, text, html) of an address's digest; one notice alone is sent as it is."""
    if len(rows) == 1:
        return rows[0].subject, rows[0].body_text, rows[0].body_html
    env = current_app.jinja_env
    listed = rows[:MAX_LISTED]
    context = {"day": cn_date(day), "count": len(rows), "more": len(rows) - len(listed),
               "base_url": settings().base_url,
               "items": [{"subject": r.subject, "label": label_of(r.subject), "text": r.body_text,
                          "html": linkify(r.body_text)} for r in listed]}
    text = env.get_template("email/notice_digest.txt").render(context)
    html = env.get_template("email/notice_digest.html").render(context)
    return digest_subject(rows), text, html


def digest_key(address: str, day: date) -> str:
    return keys.day_digest(address, day)


def settle(session, rows: list[OutboxMessage], now: datetime) -> None:
    """Gives the freshly stored, mailable notice rows their day's mail (see the module docstring)."""
    if not rows:
        return
    tz = settings().timezone
    today = local_date(now, tz)
    members = [Member.of(row) for row in rows]
    days = _absorb_pending_singletons(session, members, today)
    by_address: dict[str, list[Member]] = {}
    for member in members:
        for address in member.addresses:
            by_address.setdefault(address, []).append(member)
    alone = {id(m) for m in members
             if all(len(by_address[a]) == 1 and a not in days for a in m.addresses)}
    for member in members:
        if id(member) in alone:
            member.row.status = OutboxStatus.PENDING
            session.add_all(MailDay(address=a, day=today, message_id=member.row.id) for a in member.addresses)
        else:
            member.row.status = OutboxStatus.MERGED
    session.flush()
    for address, its in by_address.items():
        if len(its) == 1 and id(its[0]) in alone:
            continue
        digest = _digest_for(session, address, days.get(address), today, now)
        _add_members(session, digest, [m.row for m in its])


def _absorb_pending_singletons(session, members: list[Member], today: date) -> dict[str, MailDay]:
    """A notice already sent alone today but still pending is taken back into the digests being built."""
    while True:
        addresses = sorted({a for m in members for a in m.addresses})
        days = {d.address: d for d in session.scalars(select(MailDay).where(
            MailDay.address.in_(addresses), MailDay.day == today))}
        ours = {m.row.id for m in members}
        absorbed = False
        for day in days.values():
            row = session.get(OutboxMessage, day.message_id)
            if row.id in ours or row.kind == DIGEST_KIND:
                continue
            # Conditional: a sender that has claimed the row wins, and the notice joins tomorrow's digest.
            taken_back = session.execute(update(OutboxMessage).where(
                OutboxMessage.id == row.id, OutboxMessage.status == OutboxStatus.PENDING,
            ).values(status=OutboxStatus.MERGED).execution_options(synchronize_session="fetch")).rowcount
            if taken_back:
                session.execute(delete(MailDay).where(MailDay.message_id == row.id))
                session.flush()
                members.append(Member.of(row))
                absorbed = True
                break
        if not absorbed:
            return days


def _digest_for(session, address: str, today_mail: MailDay | None, today: date, now: datetime) -> OutboxMessage:
    """The address's digest that may still take notices: today's, or the next working day's."""
    day, mail = today, today_mail
    while True:
        if mail is None:
            return _new_digest(session, address, day, now)
        row = session.get(OutboxMessage, mail.message_id)
        if row.kind == DIGEST_KIND and _lock_if_pending(session, row):
            return row
        day = _next_workday(session, day)
        mail = session.get(MailDay, (address, day))


def _lock_if_pending(session, row: OutboxMessage) -> bool:
    """Holds the digest row (PostgreSQL row lock) while notices are added; False once a sender has it."""
    return bool(session.execute(update(OutboxMessage).where(
        OutboxMessage.id == row.id, OutboxMessage.status == OutboxStatus.PENDING,
    ).values(attempts=OutboxMessage.attempts)).rowcount)


def _new_digest(session, address: str, day: date, now: datetime) -> OutboxMessage:
    display = address
    send_at = now if day <= local_date(now, settings().timezone) else _morning(day)
    row = OutboxMessage(key=digest_key(address, day), kind=DIGEST_KIND, to_addresses=[display], cc_addresses=[],
                        subject="", body_text="", body_html="", status=OutboxStatus.PENDING, attempts=0,
                        next_attempt_at=send_at, created_at=now)
    session.add(row)
    session.flush()
    session.add(MailDay(address=address, day=day, message_id=row.id))
    return row


def _add_members(session, digest: OutboxMessage, rows: list[OutboxMessage]) -> None:
    known = set(session.scalars(select(DigestMember.message_id).where(DigestMember.digest_id == digest.id)))
    for row in rows:
        if row.id not in known:
            session.add(DigestMember(digest_id=digest.id, message_id=row.id))
            known.add(row.id)
        if row.digest_id is None:
            row.digest_id = digest.id
    # Rendered once per transaction (render_dirty, run before commit), not once per added notice: the
    # organization department's digest can gather hundreds of notices in one scan.
    session.info.setdefault(DIRTY, set()).add(digest.id)


def render_dirty(session) -> None:
    """Renders every digest that gained notices in this transaction."""
    dirty = session.info.pop(DIRTY, set())
    if not dirty:
        return
    session.flush()
    for digest in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(dirty))):
        members = session.scalars(select(OutboxMessage).join(DigestMember, DigestMember.message_id == OutboxMessage.id)
                                  .where(DigestMember.digest_id == digest.id).order_by(OutboxMessage.id)).all()
        if len(members) == 1 and members[0].task_id is not None:
            digest.task_id, digest.unit_id = members[0].task_id, members[0].unit_id
        else:
            digest.task_id = None
        day = date.fromisoformat(digest.key.rsplit(":", 1)[1])
        digest.subject, digest.body_text, digest.body_html = render_digest(members, day)
    session.flush()


def _render_before_commit(session) -> None:
    render_dirty(session)


def _forget_on_rollback(session) -> None:
    session.info.pop(DIRTY, None)


def install(session_class) -> None:
    """Hooks digest rendering into every commit of `session_class` (create_app calls it once)."""
    if not event.contains(session_class, "before_commit", _render_before_commit):
        event.listen(session_class, "before_commit", _render_before_commit)
        event.listen(session_class, "after_rollback", _forget_on_rollback)


def _next_workday(session, day: date) -> date:
    from tracker.escalation.calendar import WorkCalendar

    calendar = WorkCalendar.load(session)
    day += timedelta(days=1)
    for _ in range(60):
        if calendar.is_workday(day):
            return day
        day += timedelta(days=1)
    return day


def _morning(day: date) -> datetime:
    from zoneinfo import ZoneInfo

    current = settings()
    local = datetime.combine(day, time(current.notice_hour), tzinfo=ZoneInfo(current.timezone))
    from datetime import timezone

    return local.astimezone(timezone.utc)


def digests_of(session, message_id: int) -> list[OutboxMessage]:
    """The digest mails that carry a notice (for the outbox page's detail)."""
    return session.scalars(select(OutboxMessage).join(DigestMember, DigestMember.digest_id == OutboxMessage.id)
                           .where(DigestMember.message_id == message_id).order_by(OutboxMessage.id)).all()


def members_of(session, digest_id: int) -> list[OutboxMessage]:
    return session.scalars(select(OutboxMessage).join(DigestMember, DigestMember.message_id == OutboxMessage.id)
                           .where(DigestMember.digest_id == digest_id).order_by(OutboxMessage.id)).all()
