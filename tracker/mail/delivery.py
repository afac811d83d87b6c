"""The delivery job: claim due outbox rows, send them over one SMTP connection, mark each one at once.

Claiming is one UPDATE of rows still pending (or whose claim lease ran out on the real clock) to 'sending'
under a fresh claim token, after a SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL; concurrent senders
therefore get disjoint rows, and the rows are read once, as plain values (claims.py). The lease is renewed
when less than half of it is left (claims.Lease): a sender that finds a row no longer its own (it was paused
past its lease and another sender took the row) skips it instead of sending it twice. Each row is marked
sent, only while the claim is still ours, in a durable commit that runs while the next message goes out;
that message's final "." (the moment the server takes it) waits for the commit (marks.py). The only window
for a duplicate left is therefore a crash between the server's accept and that commit: at most one mail
per crashed sender (docs/exactly-once.md). A scheduler that lost its leadership stops before the next
message. Rows of a crashed sender come back after MAIL_CLAIM_LEASE_SECONDS, or at once when a new
scheduler takes over from a dead one.
"""
import email.charset
import logging
import re
import smtplib
import socket
import uuid
from datetime import datetime
from email.mime.text import MIMEText

from flask import current_app
from flask_mail import Connection, Message
from sqlalchemy import bindparam, update

from tracker.extensions import mail
from tracker.mail.claims import (  # noqa: F401  (renew, claim, backoff: this module's API since the start)
    ERROR_MAX,
    DeliveryResult,
    _always,
    _failed,
    backoff,
    claim,
    claim_lease_seconds,
    give_back,
    new_lease,
    renew,
)
from tracker.mail.marks import MarkWriter
from tracker.mail.outbox import clean_addresses, clean_subject, message_id
from tracker.models.notify import OutboxMessage, OutboxStatus
from tracker.settings import settings

log = logging.getLogger("tracker.delivery")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class _AcceptHook:
    """smtplib's data() with a hook right before the final ".": the server takes the message only with that
    dot, so whatever must be durable before it takes the next message (the previous one's mark) is waited
    for there, and the rest of the exchange overlaps it."""

    before_accept = None
    in_data = False

    def data(self, msg):
        if self.before_accept is None:
            return super().data(msg)
        self.putcmd("data")
        code, answer = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, answer)
        quoted = _LEADING_DOT.sub(b"..", msg)
        if not quoted.endswith(b"\r\n"):
            quoted += b"\r\n"
        self.in_data = True
        self.send(quoted)
        self.before_accept()
        self.send(b".\r\n")
        self.in_data = False
        return self.getreply()


class _SMTP(_AcceptHook, smtplib.SMTP):
    pass


class _SMTP_SSL(_AcceptHook, smtplib.SMTP_SSL):
    pass


class TimeoutConnection(Connection):
    """Flask-Mail 0.10 opens smtplib.SMTP without a timeout; a silent server would hang the batch forever."""

    def __init__(self, mail_state, timeout: float):
        super().__init__(mail_state)
        self.timeout = timeout

    def configure_host(self):
        cls = _SMTP_SSL if self.mail.use_ssl else _SMTP
        host = cls(self.mail.server, self.mail.port, timeout=self.timeout)
        # The final "." follows the body in a second small write: without NODELAY, Nagle's algorithm holds it
        # back until the server's delayed ACK (40 ms on Linux).
        host.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
    """Claims up to MAIL_BATCH_SIZE due mail rows in one commit and sends them over one SMTP connection.
    Each row is marked sent by the mark writer (marks.py) in a durable commit that overlaps the next
    message's SMTP exchange; that message's final "." waits for it. `still_leading` is asked before the
    batch and before each message: a scheduler that lost its leadership stops sending at once."""
    config = settings().mail
    if not still_leading():
        log.error("调度器已失去领导权，不再发送邮件")
        return DeliveryResult()
    problem = check_lease_settings(config)
    if problem:
        log.warning(problem)
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    lease = new_lease()
    rows = claim(session, now=now, token=token, limit=config.batch_size, lease=lease)
    result = DeliveryResult(claimed=len(rows))
    if not rows:
        return result
    failure = {"now": now, "max_attempts": config.max_attempts, "base": config.retry_base_seconds, "token": token}
    # Settings are read now, not at init_app: the SMTP server may be reconfigured at run time.
    state = mail.init_mail(current_app.config, bool(current_app.debug), testing=False)
    connection = TimeoutConnection(state, config.timeout_seconds)
    writer = MarkWriter(session.get_bind(), result)
    index, lost = 0, set()
    try:
        try:
            connection.host = connection.configure_host()
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionLost(f"无法连接邮件服务器 {config.server}:{config.port}："
                                 f"{type(exc).__name__}: {exc}") from exc
        connection.host.before_accept = writer.settle
        envelope_from = sender_address(config.sender)
        for index, row in enumerate(rows):
            if not still_leading():
                log.error("调度器已失去领导权，停止发送本批其余%d封邮件", len(rows) - index)
                writer.call(_give_back, [r.id for r in rows[index:]], token)
                break
            if lease.due():
                held = writer.call(_renew, token, lease)
                lost = {r.id for r in rows[index:]} - held
            if row.id in lost:
                # Our lease ran out and another sender may have it: sending now could send it twice.
                log.warning("邮件 %s 已不归本进程发送（租约已过期），跳过", row.key)
                result.lost += 1
                continue
            _send_one(writer, connection, row, sender=config.sender, envelope_from=envelope_from, failure=failure)
        else:
            index = len(rows)
    except ConnectionLost as gone:
        writer.settle()
        for row in rows[index:]:  # the server went away: every unsent row of the batch is retried later
            if row.id in lost:
                result.lost += 1
            else:
                writer.submit(_fail, row, str(gone), permanent=False, **failure)
    finally:
        _close(connection)
        try:
            writer.settle()
        finally:
            writer.close()
    return result


def _fail(conn, part, row, error, **failure):
    _failed(conn, row, error, result=part, **failure)


def _renew(conn, _part, token, lease):
    return renew(conn, token=token, lease=lease)


def _give_back(conn, _part, ids, token):
    give_back(conn, ids, token)


def _send_one(writer, connection, row, *, sender, envelope_from, failure) -> None:
    try:
        message = build_message(row, sender)
        recipients = list(message.send_to)
        if not recipients:
            writer.submit(_fail, row, "没有有效的收件人地址", permanent=True, **failure)
            return
        payload = message.as_bytes()
    except Exception as exc:  # noqa: BLE001 - a hostile row fails alone, the batch goes on
        writer.submit(_fail, row, f"邮件无法生成：{type(exc).__name__}: {exc}", permanent=True, **failure)
        return
    try:
        # Flask-Mail's Connection.send drops sendmail's return value (the partly refused recipients).
        refused = connection.host.sendmail(envelope_from, recipients, payload)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        error, permanent = _server_error(exc)
        _reset(connection)
        writer.submit(_fail, row, error, permanent=permanent, **failure)
        return
    except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError) as exc:
        raise ConnectionLost(f"邮件服务器连接中断：{type(exc).__name__}: {exc}") from exc
    writer.submit(_mark_sent, row.id, row.key, token=failure["token"], now=failure["now"], refused=refused)


def _mark_sent(conn, part, row_id: int, key: str, *, token: str, now: datetime, refused: dict) -> None:
    # Only while the claim is still ours; durable before the server takes the next message.
    params = {"row_id": row_id, "token": token, "sent_at": now}
    if refused:
        partly = {addr: f"{code} {_text(msg)}" for addr, (code, msg) in refused.items()}
        error = ("部分收件人被拒收：" + "；".join(f"{a}: {e}" for a, e in partly.items()))[:ERROR_MAX]
        statement = _MARK_SENT.values(refused=partly, last_error=error)
    else:
        statement = _MARK_SENT  # built once: no statement to build or cache key to compute per mail
    marked = conn.execute(statement, params).rowcount
    conn.commit()
    if marked:
        part.sent += 1
    else:
        part.lost += 1
        log.error("邮件 %s 已被服务器接收，但其发送权已被其他进程接手：可能重复一封（见 docs/exactly-once.md）", key)


_MARK_SENT = update(OutboxMessage).where(
    OutboxMessage.id == bindparam("row_id"), OutboxMessage.claimed_by == bindparam("token"),
    OutboxMessage.status == OutboxStatus.SENDING,
).values(attempts=OutboxMessage.attempts + 1, status=OutboxStatus.SENT, sent_at=bindparam("sent_at"),
         claimed_until=None)


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
    if getattr(connection.host, "in_data", False):
        # Stopped inside DATA (the previous mark failed): without the final "." the server drops the
        # message; a QUIT now would be read as part of its body.
        connection.host.close()
        connection.host = None
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
