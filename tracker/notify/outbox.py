"""The email outbox: notices become rows in the caller's transaction; the delivery job sends them later.

Public entry point for every part of the app (reminders, proposals, digests, invitations):

    enqueue_email(session, key=..., kind=..., template=..., context=..., now=..., to_users=..., ...)

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

from tracker.models import User
from tracker.models.notify import Notice, OutboxMessage, OutboxStatus

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


def render(template: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) from templates/email/{template}.txt/.html; HTML autoescaped."""
    env = current_app.jinja_env
    full = {"base_url": current_app.config.get("BASE_URL", "").rstrip("/"), **context}
    text = env.get_template(f"email/{template}.txt").render(full)
    html = env.get_template(f"email/{template}.html").render(full)
    subject = context.get("subject")
    if not subject:
        first, _, rest = text.lstrip("\n").partition("\n")
        if first.startswith(SUBJECT_PREFIX):
            subject, text = first[len(SUBJECT_PREFIX):], rest.lstrip("\n")
    return clean_subject(subject or "整改督办台账通知"), text, html


def draft_email(*, key: str, kind: str, template: str, context: dict, to_users=(), to_addresses=(),
                cc_addresses=(), task_id: int | None = None, unit_id: int | None = None) -> Draft:
    users = [u for u in dict.fromkeys(to_users) if u is not None]
    to = clean_addresses([*user_addresses(users), *to_addresses])
    cc = clean_addresses(cc_addresses, exclude=to)
    if not to and cc:  # a copy with nobody in To is still a notice: the copied people become the recipients
        to, cc = cc, []
    subject, text, html = render(template, context)
    return Draft(key=key, kind=kind, subject=subject, body_text=text, body_html=html, to=to, cc=cc,
                 users=users, task_id=task_id, unit_id=unit_id, context=context)


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
    row = None
    if draft.mailable or keep_row:
        row = OutboxMessage(key=draft.key, kind=draft.kind, task_id=draft.task_id, unit_id=draft.unit_id,
                            to_addresses=draft.to, cc_addresses=draft.cc, subject=draft.subject,
                            body_text=draft.body_text, body_html=draft.body_html, status=status, attempts=0,
                            next_attempt_at=now, created_at=now, digest_id=digest.id if digest else None)
        session.add(row)
        session.flush()
    for user in draft.users:
        session.add(Notice(user_id=user.id, key=draft.key, kind=draft.kind, task_id=draft.task_id,
                           unit_id=draft.unit_id, outbox_id=row.id if row else None, title=draft.subject,
                           body=draft.body_text, created_at=now))
    return row


def enqueue_drafts(session, drafts: list[Draft], now: datetime, *, digest_template: str = "notice_digest",
                   today_text: str = "") -> list[OutboxMessage]:
    """Stores drafts made at one scan; several for the same recipients become one digest mail.

    Every notice keeps its own row (status merged, pointing at the digest) so that its key stays
    taken and the outbox page still shows it; only the digest row is delivered.
    """
    taken = existing_keys(session, [d.key for d in drafts])
    drafts = [d for d in drafts if d.key not in taken]
    groups: dict[tuple, list[Draft]] = {}
    stored = []
    for draft in drafts:
        if not draft.mailable:
            store_draft(session, draft, now)
            continue
        groups.setdefault((tuple(sorted(a.lower() for a in draft.to)), tuple(sorted(a.lower() for a in draft.cc))),
                          []).append(draft)
    for members in groups.values():
        if len(members) == 1:
            stored.append(store_draft(session, members[0], now))
            continue
        digest = _digest_draft(members, digest_template, today_text)
        digest_row = store_draft(session, digest, now)
        stored.append(digest_row)
        for member in members:
            store_draft(session, member, now, status=OutboxStatus.MERGED, digest=digest_row)
    return stored


def _digest_draft(members: list[Draft], template: str, today_text: str) -> Draft:
    keys = sorted(m.key for m in members)
    key = "digest:" + hashlib.sha256("\n".join(keys).encode()).hexdigest()[:32]
    context = {"notices": [m.context | {"subject": m.subject} for m in members], "count": len(members),
               "today_text": today_text}
    subject, text, html = render(template, context)
    return Draft(key=key, kind="digest", subject=subject, body_text=text, body_html=html, to=members[0].to,
                 cc=members[0].cc, users=[], context=context)


def message_id(key: str) -> str:
    """Deterministic Message-ID: a mail re-sent after a crash (the one window left) can be deduplicated."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@zgdb.tracker>"
