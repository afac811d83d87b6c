"""Group robots: 企业微信 and 钉钉 group robot webhooks, and a generic signed webhook (政务微信, SMS gateways).

Pure formatting and one HTTP POST (urllib, with a timeout); the outbox rows, claims and marks are in
tracker.mail.robot_delivery. A robot answers HTTP 200 with {"errcode": 0} on success; any other errcode is
the robot's refusal and is recorded as the failure, in its own words.
"""
import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

WECOM, DINGTALK, WEBHOOK = "wecom", "dingtalk", "webhook"
KINDS = {WECOM: "企业微信群机器人", DINGTALK: "钉钉群机器人", WEBHOOK: "通用 Webhook（政务微信、短信网关）"}
SIGNATURE_HEADER = "X-Tracker-Signature"
MAX_TEXT = 3500  # 企业微信 refuses markdown content over 4096 bytes; Chinese is 3 bytes a character
ANSWER_MAX = 500


@dataclass(frozen=True)
class RobotTarget:
    kind: str
    url: str
    secret: str


def robot_key(key: str) -> str:
    return f"{key}:robot"


def unit_robot(unit) -> RobotTarget | None:
    if unit is None or unit.merged_into_id is not None:
        return None
    url = (unit.robot_url or "").strip()
    if not url:
        return None
    return RobotTarget(unit.robot_kind or WECOM, url, (unit.robot_secret or "").strip())


def check_url(url: str) -> str:
    """The URL as stored, or ValueError in words the organization department can act on."""
    url = (url or "").strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("机器人地址应以 https:// 或 http:// 开头，请从群机器人设置中完整复制")
    if any(c in url for c in "\r\n\t "):
        raise ValueError("机器人地址中不能有空格或换行")
    if len(url) > 500:
        raise ValueError("机器人地址过长（最多500个字符）")
    return url


def markdown(subject: str, text: str, link: str | None) -> tuple[str, str]:
    """(title, markdown text) of a notice: the subject as a heading, the body, the task link."""
    body = "\n".join(line.rstrip() for line in (text or "").strip().splitlines())
    if len(body) > MAX_TEXT:
        body = body[: MAX_TEXT - 1] + "…"
    parts = [f"### {subject}", body]
    if link:
        parts.append(f"[查看整改任务]({link})")
    return subject[:100], "\n\n".join(p for p in parts if p)


def payload(target: RobotTarget, *, key: str, title: str, text: str, now_ms: int | None = None) -> tuple[str, bytes, dict]:
    """(url, body, headers) of one post."""
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Tracker-Key": key[:150]}
    url = target.url
    if target.kind == DINGTALK:
        body = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
        if target.secret:
            stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
            url = _with_query(url, timestamp=stamp, sign=dingtalk_sign(target.secret, stamp))
    elif target.kind == WEBHOOK:
        body = {"key": key, "title": title, "text": text}
    else:
        body = {"msgtype": "markdown", "markdown": {"content": text}}
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    if target.kind == WEBHOOK and target.secret:
        headers[SIGNATURE_HEADER] = "sha256=" + hmac.new(target.secret.encode(), data, hashlib.sha256).hexdigest()
    return url, data, headers


def dingtalk_sign(secret: str, stamp: str) -> str:
    """钉钉 加签: base64(HMAC-SHA256(secret, "timestamp\\nsecret")), URL-quoted by the caller's urlencode."""
    digest = hmac.new(secret.encode("utf-8"), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _with_query(url: str, **params) -> str:
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + joiner + urllib.parse.urlencode(params)


class RobotError(Exception):
    """One post failed; the message is what to show on the outbox page."""


def post(target: RobotTarget, *, key: str, title: str, text: str, timeout: float) -> None:
    """Posts once; returns on success, raises RobotError with the robot's (or the network's) words."""
    url, data, headers = payload(target, key=key, title=title, text=text)
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, answer = response.status, response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        raise RobotError(f"机器人服务返回 HTTP {exc.code}：{_text(exc.read(ANSWER_MAX))}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RobotError(f"无法连接机器人服务：{type(reason).__name__}: {reason}") from exc
    if not 200 <= status < 300:
        raise RobotError(f"机器人服务返回 HTTP {status}：{_text(answer)}")
    if target.kind == WEBHOOK:
        return
    try:
        parsed = json.loads(answer.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RobotError(f"机器人服务的回答无法识别：{_text(answer)}") from exc
    errcode = parsed.get("errcode", 0) if isinstance(parsed, dict) else None
    if errcode != 0:
        message = parsed.get("errmsg", "") if isinstance(parsed, dict) else ""
        raise RobotError(f"机器人拒收：errcode {errcode} {message}".strip())


def _text(raw: bytes) -> str:
    return raw[:ANSWER_MAX].decode("utf-8", "replace")
