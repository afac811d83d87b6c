"""The delivery job: claim due outbox rows, send them over one SMTP connection, mark each one at once.

Claiming is an UPDATE of rows still pending (or whose claim lease ran out) to 'sending' under a fresh
claim token, after a SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL; concurrent senders therefore get
disjoint rows. Before each message the sender renews the lease of the rows it still holds (claimed_by is
its token, status 'sending', lease not run out) and sends the message only if that row was among them;
it marks the row sent under the same condition. A batch longer than the lease therefore keeps its rows,
and a sender that lost a row (its lease ran out during one slow message, and another sender took it)
skips it instead of sending it again. A scheduler that lost its leadership stops before the next batch
and the next message. The only window for a duplicate left is a crash (or a lost claim) between the
server's accept and the commit of the mark: at most one mail per crashed sender (docs/exactly-once.md).
Rows of a crashed sender come back after MAIL_CLAIM_LEASE_SECONDS, or at once when a new scheduler takes
over from a dead one.
"""
import email.charset
import logging
import smtplib
import socket
import uuid
from datetime import datetime
from email.mime.text import MIMEText

from flask import current_app
from flask_mail import Connection, Message
from sqlalchemy import update

from tracker.extensions import mail
from tracker.models.notify import OutboxMessage, OutboxStatus
from tracker.mail.claims import (  # noqa: F401  (renew, claim, backoff, Clock: this module's API since the start)
    ERROR_MAX,
    Clock,
    DeliveryResult,
    _always,
    _failed,
    backoff,
    claim,
    claim_lease_seconds,
    renew,
)
from tracker.mail.outbox import clean_addresses, clean_subject, message_id
from tracker.settings import settings

log = logging.getLogger("tracker.delivery")


class TimeoutConnection(Connection):
    """Flask-Mail 0.10 opens smtplib.SMTP without a timeout; a silent server would hang the batch forever."""

    def __init__(self, mail_state, timeout: float):
        super().__init__(mail_state)
        self.timeout = timeout

    def configure_host(self):
        cls = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = cls(self.mail.server, self.mail.port, timeout=self.timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host



class ConnectionLost(Exception):
    """The SMTP session is unusable; the rest of the batch waits for the next attempt."""



def check_lease_settings(mail_settings) -> str | None:
    """The lease is renewed before every message, so it must outlast one message (the SMTP timeout), with
    room for the database round trips. Returns the problem in words, or None."""
    lease, timeout = mail_settings.claim_lease_seconds, mail_settings.timeout_seconds
    if lease <= 2 * timeout:
        return (f"MAIL_CLAIM_LEASE_SECONDS（{lease}秒）应大于两倍的 MAIL_TIMEOUT_SECONDS（{timeout:g}秒），"
                "否则一封很慢的邮件发送期间，其他发送进程可能接手同一批邮件")
    return None



def release_dead_claims(session, prefix: str, except_holder: str) -> int:
    """A new leader knows the previous scheduler died: its claimed rows need not wait for the lease."""
    count = session.execute(update(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_by.like(f"{prefix}%"),
        ~OutboxMessage.claimed_by.like(f"{except_holder}%"),
    ).values(status=OutboxStatus.PENDING, claimed_by=None, claimed_until=None)).rowcount
    session.commit()
    return count


class SafeMessage(Message):
    """Flask-Mail registers utf-8 with 8bit bodies: a long Chinese line then breaks SMTP's 998-byte
    limit ("500 Line too long"). Bodies go out base64-encoded instead."""

    def _mimetext(self, text, subtype="plain"):
        charset = email.charset.Charset("utf-8")
        charset.body_encoding = email.charset.BASE64
        return MIMEText(text or "", _subtype=subtype, _charset=charset)


def build_message(row: OutboxMessage, sender: str) -> Message:
    message = SafeMessage(subject=clean_subject(row.subject), sender=sender,
                      recipients=clean_addresses(row.to_addresses or []),
                      cc=clean_addresses(row.cc_addresses or [], exclude=row.to_addresses or []),
                      body=row.body_text or "", html=row.body_html or None,
                      extra_headers={"X-Tracker-Key": row.key[:150]})
    message.msgId = message_id(row.key)
    return message


def _server_error(exc: Exception) -> tuple[str, bool]:
    """(the server's own words, permanent?) for one failed message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in exc.recipients.items()]
        permanent = all(code >= 500 for code, _ in exc.recipients.values())
        return "全部收件人被拒收：" + "；".join(parts), permanent
    if isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        label = "发件人被拒绝" if isinstance(exc, smtplib.SMTPSenderRefused) else "邮件内容被拒绝"
        return f"{label}：{exc.smtp_code} {_text(exc.smtp_error)}", exc.smtp_code >= 500
    return f"{type(exc).__name__}: {exc}", False


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)



def deliver(session, *, now: datetime, worker: str = "tick", still_leading=_always) -> DeliveryResult:
    """Every channel: a batch of mails, then a batch of robot posts (same claims, leases and marks)."""
    # Imported here: robot_delivery builds on this module's claims and marks.
    from tracker.mail.robot_delivery import deliver_robots

    result = deliver_email(session, now=now, worker=worker, still_leading=still_leading)
    robots = deliver_robots(session, now=now, worker=worker, still_leading=still_leading)
    for name in ("claimed", "sent", "retried", "failed", "lost"):
        setattr(result, name, getattr(result, name) + getattr(robots, name))
    result.errors += robots.errors
    return result


def deliver_email(session, *, now: datetime, worker: str = "tick", still_leading=_always) -> DeliveryResult:
    """Claims up to MAIL_BATCH_SIZE due mail rows and sends them; commits per row. `still_leading` is asked
    before the batch and before each message: a scheduler that lost its leadership stops sending at once."""
    config = settings().mail
    if not still_leading():
        log.error("调度器已失去领导权，不再发送邮件")
        return DeliveryResult()
    problem = check_lease_settings(config)
    if problem:
        log.warning(problem)
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    clock = Clock(now)
    rows = claim(session, now=now, token=token, limit=config.batch_size)
    result = DeliveryResult(claimed=len(rows))
    if not rows:
        return result
    max_attempts, base, sender = config.max_attempts, config.retry_base_seconds, config.sender
    # Settings are read now, not at init_app: the SMTP server may be reconfigured at run time.
    state = mail.init_mail(current_app.config, bool(current_app.debug), testing=False)
    connection = TimeoutConnection(state, config.timeout_seconds)
    pending = list(rows)
    try:
        try:
            connection.host = connection.configure_host()
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionLost(f"无法连接邮件服务器 {config.server}:{config.port}："
                                 f"{type(exc).__name__}: {exc}") from exc
        while pending:
            row = pending[0]
            if not still_leading():
                log.error("调度器已失去领导权，停止发送本批其余%d封邮件", len(pending))
                _give_back(session, pending, token)
                pending = []
                break
            if row.id not in renew(session, token=token, now=clock()):
                # Our lease ran out and another sender may have it: sending now could send it twice.
                log.warning("邮件 %s 已不归本进程发送（租约已过期），跳过", row.key)
                result.lost += 1
                session.expire(row)
                pending.pop(0)
                continue
            _send_one(session, connection, row, sender=sender, now=now, max_attempts=max_attempts, base=base,
                      result=result, token=token)
            pending.pop(0)
    except ConnectionLost as lost:
        for row in pending:  # the server went away: every unsent row of the batch is retried later
            _failed(session, row, str(lost), permanent=False, now=now, max_attempts=max_attempts, base=base,
                    result=result, token=token)
    finally:
        _close(connection)
    return result


def _give_back(session, rows, token: str) -> None:
    """Unsent rows of a sender that stops early go back to pending at once (only those it still holds)."""
    session.execute(update(OutboxMessage).where(
        OutboxMessage.id.in_([r.id for r in rows]), OutboxMessage.claimed_by == token,
        OutboxMessage.status == OutboxStatus.SENDING,
    ).values(status=OutboxStatus.PENDING, claimed_by=None, claimed_until=None).execution_options(
        synchronize_session=False))
    session.commit()


def _send_one(session, connection, row, *, sender, now, max_attempts, base, result, token) -> None:
    try:
        message = build_message(row, sender)
        recipients = list(message.send_to)
        if not recipients:
            _failed(session, row, "没有有效的收件人地址", permanent=True, now=now, max_attempts=max_attempts,
                    base=base, result=result, token=token)
            return
        payload = message.as_bytes()
    except Exception as exc:  # noqa: BLE001 - a hostile row fails alone, the batch goes on
        _failed(session, row, f"邮件无法生成：{type(exc).__name__}: {exc}", permanent=True, now=now,
                max_attempts=max_attempts, base=base, result=result, token=token)
        return
    try:
        # Flask-Mail's Connection.send drops sendmail's return value (the partly refused recipients).
        refused = connection.host.sendmail(sender_address(sender), recipients, payload)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        error, permanent = _server_error(exc)
        _reset(connection)
        _failed(session, row, error, permanent=permanent, now=now, max_attempts=max_attempts, base=base,
                result=result, token=token)
        return
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError, socket.timeout) as exc:
        raise ConnectionLost(f"邮件服务器连接中断：{type(exc).__name__}: {exc}") from exc
    values = {"attempts": OutboxMessage.attempts + 1, "status": OutboxStatus.SENT, "sent_at": now,
              "claimed_until": None}
    if refused:
        partly = {addr: f"{code} {_text(msg)}" for addr, (code, msg) in refused.items()}
        values["refused"] = partly
        values["last_error"] = ("部分收件人被拒收：" + "；".join(f"{a}: {e}" for a, e in partly.items()))[:ERROR_MAX]
    # Marked right after the accept, and only while the claim is still ours: the crash window is this commit.
    marked = session.execute(update(OutboxMessage).where(
        OutboxMessage.id == row.id, OutboxMessage.claimed_by == token, OutboxMessage.status == OutboxStatus.SENDING,
    ).values(**values).execution_options(synchronize_session=False)).rowcount
    session.commit()
    session.expire(row)
    if marked:
        result.sent += 1
    else:
        result.lost += 1
        log.error("邮件 %s 已被服务器接收，但其发送权已被其他进程接手：可能重复一封（见 docs/exactly-once.md）", row.key)



def sender_address(sender) -> str:
    from flask_mail import sanitize_address

    return sanitize_address(sender)


def _reset(connection) -> None:
    """After a refused message the SMTP session must be reset before the next MAIL FROM."""
    try:
        connection.host.rset()
    except (smtplib.SMTPException, OSError) as exc:
        raise ConnectionLost(f"邮件服务器连接中断：{type(exc).__name__}: {exc}") from exc


def _close(connection) -> None:
    if connection.host is None:
        return
    try:
        connection.host.quit()
    except (smtplib.SMTPException, OSError):
        connection.host.close()
    connection.host = None


def retry(session, row: OutboxMessage, *, actor, now: datetime) -> None:
    """An operator's retry of a failed row: pending again, attempts counted afresh, audited."""
    from tracker.services import audit
    from tracker.services.errors import DomainError

    if row.status != OutboxStatus.FAILED:
        raise DomainError("只有发送失败的邮件可以重新发送")
    audit.change(session, actor=actor, now=now, entity=row, field="status", value=OutboxStatus.PENDING,
                 action="retry_mail", note=row.last_error or "")
    row.attempts = 0
    row.next_attempt_at = now
