"""The holiday table: the organization department pastes or uploads the State Council's schedule.

One date per line: "2027-01-01 休 元旦" (rest day) or "2027-02-07 班" (调休 workday). Commas, tabs and
spaces separate; 2027/1/1 and 2027年1月1日 are read too. Nothing is saved unless every line is valid.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update

from tracker.models import Task, TaskStatus
from tracker.models.notify import HolidayDay
from tracker.services import audit
from tracker.services.errors import DomainError

REST_WORDS = {"休", "假", "休息", "放假", "节假日", "rest", "holiday", "off"}
WORK_WORDS = {"班", "上班", "补班", "调休上班", "工作日", "work", "workday"}
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
MAX_LINES = 400
MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class HolidayEntry:
    day: date
    is_workday: bool
    note: str


def decode_upload(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise DomainError("文件过大：节假日清单不应超过64KB")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("无法识别文件编码，请上传UTF-8或GBK编码的.txt/.csv文件")


def parse_holiday_text(text: str) -> list[HolidayEntry]:
    entries: dict[date, HolidayEntry] = {}
    errors = []
    lines = (text or "").splitlines()
    if len(lines) > MAX_LINES:
        raise DomainError(f"一次最多导入{MAX_LINES}行")
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p for p in re.split(r"[,，\t ]+", line) if p]
        if len(parts) >= 2 and DATE_RE.match(" ".join(parts[:3])) and not DATE_RE.match(parts[0]):
            parts = [" ".join(parts[:3]), *parts[3:]]
        match = DATE_RE.match(parts[0]) if parts else None
        if match is None:
            if number == 1 and not any(ch.isdigit() for ch in line):
                continue  # a CSV header such as "日期,类型,说明"
            errors.append(f"第{number}行：无法识别日期“{_short(line)}”，格式应为 2027-01-01 休")
            continue
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            errors.append(f"第{number}行：日期不存在“{parts[0]}”")
            continue
        word = parts[1].lower() if len(parts) > 1 else ""
        if word in REST_WORDS:
            is_workday = False
        elif word in WORK_WORDS:
            is_workday = True
        else:
            errors.append(f"第{number}行：请注明“休”或“班”（{_short(line)}）")
            continue
        if day in entries and entries[day].is_workday != is_workday:
            errors.append(f"第{number}行：{day.isoformat()}前后标注矛盾")
            continue
        entries[day] = HolidayEntry(day, is_workday, " ".join(parts[2:])[:100])
    if errors:
        raise DomainError("；".join(errors[:10]) + ("；……" if len(errors) > 10 else "") + "。未保存任何日期。")
    if not entries:
        raise DomainError("没有读到任何日期，请按“2027-01-01 休”或“2027-02-07 班”每行一个填写")
    return sorted(entries.values(), key=lambda e: e.day)


def _short(text: str) -> str:
    return text if len(text) <= 30 else text[:29] + "…"


def save_holidays(session, entries: list[HolidayEntry], *, actor, now: datetime) -> int:
    """Adds or changes the listed days (audited) and asks the scan to look at open tasks again."""
    existing = {row.day: row for row in session.scalars(
        select(HolidayDay).where(HolidayDay.day.in_([e.day for e in entries])))}
    changed = 0
    for entry in entries:
        row = existing.get(entry.day)
        if row is None:
            row = HolidayDay(day=entry.day, year=entry.day.year, is_workday=entry.is_workday, note=entry.note,
                             created_by_id=actor.id if actor else None, created_at=now)
            session.add(row)
            session.flush()
            audit.record(session, actor=actor, now=now, action="add_holiday", entity=row, field="is_workday",
                         after="班" if entry.is_workday else "休", note=f"{entry.day.isoformat()} {entry.note}")
            changed += 1
        else:
            if audit.change(session, actor=actor, now=now, entity=row, field="is_workday", value=entry.is_workday,
                            note=entry.day.isoformat()):
                changed += 1
            row.note = entry.note or row.note
    if changed:
        reschedule_open_tasks(session, now)
    return changed


def delete_holiday(session, row: HolidayDay, *, actor, now: datetime) -> None:
    audit.record(session, actor=actor, now=now, action="delete_holiday", entity=row, field="is_workday",
                 before="班" if row.is_workday else "休", note=row.day.isoformat())
    session.delete(row)
    reschedule_open_tasks(session, now)


def reschedule_open_tasks(session, now: datetime) -> None:
    """Working days moved: every waiting task's next check is recomputed by the next scan."""
    session.execute(update(Task).where(Task.next_check_at.is_not(None), Task.next_check_at > now,
                                       Task.status != TaskStatus.CLOSED).values(next_check_at=now))


def holidays_of_year(session, year: int) -> list[HolidayDay]:
    return session.scalars(select(HolidayDay).where(HolidayDay.year == year).order_by(HolidayDay.day)).all()


def years_in_table(session) -> dict[int, int]:
    return dict(session.execute(select(HolidayDay.year, func.count()).group_by(HolidayDay.year)).all())
