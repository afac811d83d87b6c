"""The email outbox: notices become rows in the caller's transaction; the delivery job sends them later.

Public entry points for every part of the app:

    enqueue_email(session, key=..., kind=..., template=..., context=..., now=..., to_users=..., ...)
        a mail of its own, at once (invitations, password resets, weekly digests);
    enqueue_notice(...) / enqueue_drafts(session, drafts, now)
        reminders and proposals: one mail per recipient address per local day (tracker.mail.daymail).

Templates: templates/email/{template}.txt and templates/email/{template}.html, rendered at enqueue
time with `context` plus `base_url` (config BASE_URL). The subject is context["subject"]; without one,
the first line of the .txt template is used when it starts with "主题：" (and is then cut from the body).
"""
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from tracker.mail.rows import insert_outbox_rows
from tracker.models.notify import Channel, Notice, OutboxMessage, OutboxStatus
from tracker.services import bulk
from tracker.settings import settings

SUBJECT_MAX = 200
SUBJECT_PREFIX = "主题："
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029\x00]+")


@dataclass
class Draft:
    """One rendered notice, before it is stored (possibly merged into a digest)."""

    key: str
    kind: str
    subject: str
    body_text: str
    body_html: str
    to: list[str]
    cc: list[str]
    users: list = field(default_factory=list)
    task_id: int | None = None
    unit_id: int | None = None
    context: dict = field(default_factory=dict)
    # The person the notice is for (a task's owner): their reach is recorded, and their unit's robot posts it.
    main_user: object = None

    @property
    def mailable(self) -> bool:
        return bool(self.to)


def clean_subject(subject: str) -> str:
    """Newlines would let a title forge headers; very long Chinese titles are cut, not refused."""
    subject = _LINE_BREAKS.sub(" ", subject or "").strip()
    return subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 1] + "…"


def clean_addresses(addresses, exclude=()) -> list[str]:
    seen = {a.lower() for a in exclude}
    result = []
    for address in addresses:
        address = (address or "").strip()
        if not address or "@" not in address or _LINE_BREAKS.search(address) or len(address) > 200:
            continue
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        result.append(address)
    return result


def user_addresses(users) -> list[str]:
    return [u.email for u in users if u is not None and u.email and u.active]


def render(template: str, context: dict, *, html: bool = True) -> tuple[str, str, str]:
    """(subject, text, html) from templates/email/{template}.txt/.html; HTML autoescaped (`html=False`:
    "" for it)."""
    env = current_app.jinja_env
    full = {"base_url": settings().base_url, **context}
    text = env.get_template(f"email/{template}.txt").render(full)
    html = env.get_template(f"email/{template}.html").render(full) if html else ""
    subject = context.get("subject")
    if not subject:
        first, _, rest = text.lstrip("\n").partition("\n")
        if first.startswith(SUBJECT_PREFIX):
            subject, text = first[len(SUBJECT_PREFIX):], rest.lstrip("\n")
    return clean_subject(subject or "整改督办台账通知"), text, html


def draft_email(*, key: str, kind: str, template: str, context: dict, to_users=(), to_addresses=(),
                cc_addresses=(), task_id: int | None = None, unit_id: int | None = None,
                main_user=None, html: bool = True) -> Draft:
    """`html=False`: the text body only, for a row that is kept but never sent (a delegated notice)."""
    users = [u for u in dict.fromkeys(to_users) if u is not None]
    to = clean_addresses([*user_addresses(users), *to_addresses])
    cc = clean_addresses(cc_addresses, exclude=to)
    if not to and cc:  # a copy with nobody in To is still a notice: the copied people become the recipients
        to, cc = cc, []
    subject, text, body_html = render(template, context, html=html)
    return Draft(key=key, kind=kind, subject=subject, body_text=text, body_html=body_html, to=to, cc=cc,
                 users=users, task_id=task_id, unit_id=unit_id, context=context, main_user=main_user)


def existing_keys(session, keys) -> set[str]:
    keys = list(set(keys))
    if not keys:
        return set()
    found = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        found.update(session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(chunk))))
        found.update(session.scalars(select(Notice.key).where(Notice.key.in_(chunk))))
    return found


def enqueue_email(session, *, key: str, kind: str, template: str, context: dict, now: datetime,
                  to_users=(), to_addresses=(), cc_addresses=(), task_id: int | None = None,
                  unit_id: int | None = None) -> "OutboxMessage | None":
    """Adds one outbox row (rendered from templates/email/{template}.txt and .html with `context` +
    base_url) and an in-app Notice per user in to_users, in the caller's transaction. Idempotent: a row
    with the same key exists → returns None and adds nothing. No recipient with an email and no user →
    no row (never an empty mail). Users without an email still get the in-app Notice."""
    if existing_keys(session, [key]):
        return None
    draft = draft_email(key=key, kind=kind, template=template, context=context, to_users=to_users,
                        to_addresses=to_addresses, cc_addresses=cc_addresses, task_id=task_id, unit_id=unit_id)
    return store_draft(session, draft, now)


def store_draft(session, draft: Draft, now: datetime, *, status: str = OutboxStatus.PENDING,
                digest: OutboxMessage | None = None, keep_row: bool = False) -> OutboxMessage | None:
    """keep_row: store the row even without recipients (a delegated notice still takes its key)."""
    return store_drafts(session, [draft], now, status=status, digest=digest, keep_row=keep_row)[0]


def store_drafts(session, drafts: list[Draft], now: datetime, *, status: str = OutboxStatus.PENDING,
                 digest: OutboxMessage | None = None, keep_row: bool = False) -> list[OutboxMessage | None]:
    """store_draft for many drafts with one flush for all their rows (a scan page stores hundreds). Delegated
    rows (status DELEGATED: never sent, no in-app notice of their own) are not read back: the list holds
    None for them."""
    values = [dict(key=draft.key, kind=draft.kind, task_id=draft.task_id, unit_id=draft.unit_id,
                   to_addresses=draft.to, cc_addresses=draft.cc, subject=draft.subject, body_text=draft.body_text,
                   body_html=draft.body_html, status=status, attempts=0, next_attempt_at=now, created_at=now,
                   digest_id=digest.id if digest else None)
              if draft.mailable or keep_row else None for draft in drafts]
    if status == OutboxStatus.DELEGATED and not any(draft.users or draft.main_user for draft in drafts):
        insert_outbox_rows(session, [v for v in values if v is not None], read_back=False)
        return [None] * len(drafts)
    stored = iter(insert_outbox_rows(session, [v for v in values if v is not None]))
    rows = [next(stored) if v is not None else None for v in values]
    notices = []
    for draft, row in zip(drafts, rows):
        unreached = None
        if draft.main_user is not None and status != OutboxStatus.DELEGATED:
            unreached = _reach_main_user(session, draft, now)
        for user in dict.fromkeys(draft.users):
            notices.append({"user_id": user.id, "key": draft.key, "kind": draft.kind, "task_id": draft.task_id,
                            "unit_id": draft.unit_id, "outbox_id": row.id if row else None, "title": draft.subject,
                            "body": draft.body_text, "created_at": now,
                            "reach": unreached if user is draft.main_user else None})
    if notices:
        # In sets: in-app notices are thousands per scan page, and nothing reads them back here.
        bulk.insert_rows(session, Notice.__table__, notices)
    return rows


def _reach_main_user(session, draft: Draft, now: datetime) -> str | None:
    """The unit's robot gets its own row (key + ":robot"); a main recipient that nothing reaches goes on the
    待电话转达 list. Both in the caller's transaction, with the notice itself. Returns the notice's 无法送达
    text when nothing reaches the main recipient."""
    from tracker.mail import robot
    from tracker.mail.reach import reach_of, record_unreached, unreached_text
    from tracker.models import Unit

    user = draft.main_user
    unit = session.get(Unit, draft.unit_id) if draft.unit_id else None
    if robot.unit_robot(unit) is not None and user.active:
        title, text = robot.markdown(draft.subject, draft.body_text, draft.context.get("task_url"))
        session.add(OutboxMessage(key=robot.robot_key(draft.key), kind=draft.kind, channel=Channel.ROBOT,
                                  task_id=draft.task_id, unit_id=draft.unit_id, to_addresses=[], cc_addresses=[],
                                  subject=title, body_text=text, body_html="", status=OutboxStatus.PENDING,
                                  attempts=0, next_attempt_at=now, created_at=now))
    reach = reach_of(user, unit)
    if reach.reached:
        return None
    record_unreached(session, user=user, notice=None, key=draft.key, title=draft.subject, body=draft.body_text,
                     task_id=draft.task_id, unit_id=draft.unit_id, reach=reach, now=now)
    return unreached_text(reach)


def enqueue_drafts(session, drafts: list[Draft], now: datetime, **_ignored) -> list[OutboxMessage]:
    """Stores the notices due together (one scan): each keeps its own row, and every recipient address
    gets one mail for the day (tracker.mail.daymail). Returns the rows that will be mailed themselves."""
    from tracker.mail.daymail import settle

    taken = existing_keys(session, [d.key for d in drafts])
    fresh: dict[str, Draft] = {}
    for draft in drafts:
        if draft.key not in taken:
            fresh.setdefault(draft.key, draft)
    mailable = [row for row in store_drafts(session, list(fresh.values()), now) if row is not None]
    settle(session, mailable, now)
    return [row for row in mailable if row.status == OutboxStatus.PENDING]


def enqueue_notice(session, *, key: str, kind: str, template: str, context: dict, now: datetime, to_users=(),
                   to_addresses=(), cc_addresses=(), task_id: int | None = None,
                   unit_id: int | None = None) -> OutboxMessage | None:
    """enqueue_email for notices that count toward an address's one mail per day (task notices,
    proposals): the row joins the day's digest of any address that already has a mail today."""
    if existing_keys(session, [key]):
        return None
    draft = draft_email(key=key, kind=kind, template=template, context=context, to_users=to_users,
                        to_addresses=to_addresses, cc_addresses=cc_addresses, task_id=task_id, unit_id=unit_id)
    stored = enqueue_drafts(session, [draft], now)
    return stored[0] if stored else session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))


def message_id(key: str) -> str:
    """Deterministic Message-ID: a mail re-sent after a crash (the one window left) can be deduplicated."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@zgdb.tracker>"
