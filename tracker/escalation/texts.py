"""Texts the scan's mails share: a problem cut short for a subject line, and a task's link."""
from tracker.settings import settings


def short_text(text: str, limit: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def task_link(task_id: int) -> str:
    return settings().base_url + f"/notify/go/task/{task_id}"
