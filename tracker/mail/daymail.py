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
from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from tracker.mail.rows import insert_outbox_rows
from tracker.models.notify import DigestMember, MailDay, OutboxMessage, OutboxStatus
from tracker.timeutil import cn_date, local_date
from tracker.settings import settings
from tracker.services import keys

DIGEST_KIND = "digest"
DIRTY = "tracker.daymail.dirty_digests"
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


def linkify(text: str) -> Markup:
    """Escapes the text first, then makes its URLs clickable: user text never reaches HTML unescaped."""
    escaped = str(escape(text))
    return Markup(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped).replace("\n", "<br>\n"))


@dataclass
class Item:
    """What a digest needs of one member notice (bodies only for the ones it lists)."""

    id: int
    subject: str
    unit_id: int | None
    task_id: int | None
    body_text: str = ""
    body_html: str = ""


def render_digest(rows, day: date, *, total: int | None = None, units: list | None = None,
                  labels: dict | None = None) -> tuple[str, str, str]:
    """(subject, text, html) of an address's digest; one notice alone is sent as it is.

    Bounded: at most DIGEST_MAX_ITEMS notices in full, then "另有N项" with a link and, when some are left
    out, a count per unit; never over MAIL_MAX_MESSAGE_BYTES — past it the notices are dropped and the
    per-unit lines cut until it fits (the app lists everything). Never refused for its size. `rows` may be
    only the first ones: then `total` counts them all and `labels` counts them per label."""
    if len(rows) == 1 and not total:
        return rows[0].subject, rows[0].body_text, rows[0].body_html
    current = settings()
    env = current_app.jinja_env
    count = total if total is not None else len(rows)
    listed = rows[:current.digest_max_items]
    units = units or []

    def build(items, unit_lines, cut=0):
        context = {"day": cn_date(day), "count": count, "more": count - len(items), "base_url": current.base_url,
                   "items": [{"subject": r.subject, "label": label_of(r.subject), "text": r.body_text,
                              "html": linkify(r.body_text)} for r in items],
                   "units": unit_lines if count > len(items) else [], "units_cut": cut}
        return (env.get_template("email/notice_digest.txt").render(context),
                env.get_template("email/notice_digest.html").render(context))

    text, html = build(listed, units)
    limit = current.mail_max_message_bytes
    if len(text.encode()) + len(html.encode()) > limit:
        keep = len(units)
        text, html = build([], units[:keep], len(units) - keep)
        while keep and len(text.encode()) + len(html.encode()) > limit:
            keep //= 2
            text, html = build([], units[:keep], len(units) - keep)
    return digest_subject_counts(labels if labels is not None else _label_counts(rows), count), text, html


def _label_counts(rows) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[label_of(row.subject)] = counts.get(label_of(row.subject), 0) + 1
    return counts


def digest_subject_counts(counts: dict[str, int], total: int) -> str:
    order = sorted(counts, key=lambda lab: (LABEL_ORDER.index(lab) if lab in LABEL_ORDER else 99, lab))
    parts = "、".join(f"{lab}{counts[lab]}项" for lab in order)
    return f"【整改督办】{total}项整改任务通知：{parts}"


def digest_key(address: str, day: date) -> str:
    return keys.day_digest(address, day)


def settle(session, rows: list[OutboxMessage], now: datetime) -> None:
    """Gives the freshly stored, mailable notice rows their day's mail (see the module docstring).

    In sets: a fixed number of statements for all the rows and addresses of one call (a scan page),
    never one query or locking UPDATE per address or per notice."""
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
    mail_days = []
    for member in members:
        if id(member) in alone:
            member.row.status = OutboxStatus.PENDING
            mail_days += [{"address": a, "day": today, "message_id": member.row.id} for a in member.addresses]
        else:
            member.row.status = OutboxStatus.MERGED
    session.flush()
    if mail_days:
        session.execute(insert(MailDay), mail_days)
    wanting = [a for a, its in by_address.items() if not (len(its) == 1 and id(its[0]) in alone)]
    digests = _digests_for(session, wanting, days, today, now)
    _add_members(session, {address: (digests[address], [m.row for m in by_address[address]]) for address in wanting})


def _absorb_pending_singletons(session, members: list[Member], today: date) -> dict[str, MailDay]:
    """A notice already sent alone today but still pending is taken back into the digests being built."""
    while True:
        addresses = sorted({a for m in members for a in m.addresses})
        found = session.execute(select(MailDay, OutboxMessage).join(OutboxMessage, OutboxMessage.id == MailDay.message_id)
                                .where(MailDay.address.in_(addresses), MailDay.day == today)).all()
        days = {day.address: day for day, _ in found}
        ours = {m.row.id for m in members}
        candidates = {row.id: row for _, row in found if row.id not in ours and row.kind != DIGEST_KIND}
        if not candidates:
            return days
        # Conditional: a sender that has claimed the row wins, and the notice joins tomorrow's digest.
        taken = set(session.execute(update(OutboxMessage).where(
            OutboxMessage.id.in_(list(candidates)), OutboxMessage.status == OutboxStatus.PENDING,
        ).values(status=OutboxStatus.MERGED).returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)).scalars())
        if not taken:
            return days
        session.execute(delete(MailDay).where(MailDay.message_id.in_(list(taken))))
        for row_id in taken:
            set_committed_value(candidates[row_id], "status", OutboxStatus.MERGED)
            members.append(Member.of(candidates[row_id]))


def _digests_for(session, addresses: list[str], days: dict, today: date, now: datetime) -> dict[str, OutboxMessage]:
    """Each address's digest that may still take notices: today's, or the next working day's (all the
    addresses of one call together, one round per day looked at)."""
    result: dict[str, OutboxMessage] = {}
    day, mails = today, {a: days.get(a) for a in addresses}
    while mails:
        fresh = [a for a, mail in mails.items() if mail is None]
        if fresh:
            result.update(_new_digests(session, fresh, day, now))
        held = {a: mail for a, mail in mails.items() if mail is not None}
        if not held:
            break
        rows = {r.id: r for r in session.scalars(select(OutboxMessage).where(
            OutboxMessage.id.in_({m.message_id for m in held.values()})))}
        digest_ids = [i for i, r in rows.items() if r.kind == DIGEST_KIND]
        # Holds the digest rows (PostgreSQL row lock) while notices are added; a sender that has one wins.
        locked = set(session.execute(update(OutboxMessage).where(
            OutboxMessage.id.in_(digest_ids), OutboxMessage.status == OutboxStatus.PENDING,
        ).values(attempts=OutboxMessage.attempts).returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)).scalars()) if digest_ids else set()
        later = []
        for address, mail in held.items():
            if mail.message_id in locked:
                result[address] = rows[mail.message_id]
            else:
                later.append(address)
        if not later:
            break
        day = _next_workday(session, day)
        found = {m.address: m for m in session.scalars(select(MailDay).where(MailDay.address.in_(later),
                                                                             MailDay.day == day))}
        mails = {a: found.get(a) for a in later}
    return result


def _new_digests(session, addresses: list[str], day: date, now: datetime) -> dict[str, OutboxMessage]:
    send_at = now if day <= local_date(now, settings().timezone) else _morning(day)
    values = [dict(key=digest_key(a, day), kind=DIGEST_KIND, to_addresses=[a], cc_addresses=[], subject="",
                   body_text="", body_html="", status=OutboxStatus.PENDING, attempts=0, next_attempt_at=send_at,
                   created_at=now) for a in addresses]
    rows = dict(zip(addresses, insert_outbox_rows(session, values)))
    session.execute(insert(MailDay), [{"address": a, "day": day, "message_id": row.id} for a, row in rows.items()])
    return rows


def _add_members(session, wanted: dict) -> None:
    if not wanted:
        return
    digest_ids = {digest.id for digest, _ in wanted.values()}
    message_ids = {row.id for _, rows in wanted.values() for row in rows}
    # Only this call's notices can already sit in these digests (absorbed singletons): not the digests' members.
    known = set(session.execute(select(DigestMember.digest_id, DigestMember.message_id)
                                .where(DigestMember.digest_id.in_(digest_ids),
                                       DigestMember.message_id.in_(message_ids))).all())
    added = []
    for digest, rows in wanted.values():
        for row in rows:
            if (digest.id, row.id) not in known:
                added.append({"digest_id": digest.id, "message_id": row.id})
                known.add((digest.id, row.id))
            if row.digest_id is None:
                row.digest_id = digest.id
    session.flush()
    if added:
        session.execute(insert(DigestMember), added)
    # Rendered once per transaction (render_dirty, run before commit), not once per added notice: the
    # organization department's digest can gather hundreds of notices in one scan.
    session.info.setdefault(DIRTY, set()).update(digest_ids)


def render_dirty(session) -> None:
    """Renders every digest that gained notices in this transaction, from aggregates: one GROUP BY for the
    counts (per digest, unit and label), one read of the listed members (the first DIGEST_MAX_ITEMS of each
    digest, by a window function) and one of the units' names — bounded per digest, however many notices
    it has gathered (the organization department's gathers thousands over a scan's pages)."""
    dirty = session.info.pop(DIRTY, set())
    if not dirty:
        return
    session.flush()
    from sqlalchemy import func

    from tracker.models import Unit

    digests = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(dirty))).all()
    # A label sits in the subject's first characters (【…】, at most 12 inside): grouping on a prefix keeps
    # one row per (digest, unit, label) give or take a few subject variants.
    prefix = func.substr(OutboxMessage.subject, 1, 14)
    tallies: dict[int, list] = {}
    for digest_id, unit_id, head, count in session.execute(
            select(DigestMember.digest_id, OutboxMessage.unit_id, prefix, func.count())
            .join(OutboxMessage, OutboxMessage.id == DigestMember.message_id)
            .where(DigestMember.digest_id.in_(dirty)).group_by(DigestMember.digest_id, OutboxMessage.unit_id, prefix)):
        tallies.setdefault(digest_id, []).append((unit_id, label_of(head), count))
    limit = settings().digest_max_items
    ranked = (select(DigestMember.message_id, DigestMember.digest_id,
                     func.row_number().over(partition_by=DigestMember.digest_id,
                                            order_by=DigestMember.message_id).label("n"))
              .where(DigestMember.digest_id.in_(dirty)).subquery())
    items: dict[int, list[Item]] = {}
    for digest_id, mid, subject, unit_id, task_id, text, html in session.execute(
            select(ranked.c.digest_id, OutboxMessage.id, OutboxMessage.subject, OutboxMessage.unit_id,
                   OutboxMessage.task_id, OutboxMessage.body_text, OutboxMessage.body_html)
            .join(ranked, ranked.c.message_id == OutboxMessage.id).where(ranked.c.n <= max(limit, 1))
            .order_by(ranked.c.digest_id, OutboxMessage.id)):
        items.setdefault(digest_id, []).append(Item(mid, subject, unit_id, task_id, text, html))
    # Read for every digest (not only the long ones) so that a page costs the same statements at any size.
    unit_ids = {unit_id for rows in tallies.values() for unit_id, _, _ in rows if unit_id}
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    for digest in digests:
        members, rows = items.get(digest.id, []), tallies.get(digest.id, [])
        total = sum(count for _, _, count in rows)
        if total == 1 and members and members[0].task_id is not None:
            digest.task_id, digest.unit_id = members[0].task_id, members[0].unit_id
        else:
            digest.task_id = None
        labels: dict[str, int] = {}
        for _, label, count in rows:
            labels[label] = labels.get(label, 0) + count
        day = date.fromisoformat(digest.key.rsplit(":", 1)[1])
        digest.subject, digest.body_text, digest.body_html = render_digest(
            members, day, total=total if total > 1 else None,
            units=_per_unit(rows, names) if total > limit else None, labels=labels)
    session.flush()


def _per_unit(rows: list, names: dict) -> list[dict]:
    """The digest's notices counted per unit and kind, the unit with most first: `rows` are
    (unit id, label, count)."""
    table: dict[str, dict[str, int]] = {}
    for unit_id, label, count in rows:
        name = names.get(unit_id, "全县共性问题" if unit_id is None else f"单位{unit_id}")
        row = table.setdefault(name, {})
        row[label] = row.get(label, 0) + count
    lines = [{"unit": name, "count": sum(c.values()),
              "kinds": "、".join(f"{k}{v}项" for k, v in sorted(c.items(), key=lambda kv: -kv[1]))}
             for name, c in table.items()]
    return sorted(lines, key=lambda line: (-line["count"], line["unit"]))


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
