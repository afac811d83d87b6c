"""Times are stored in UTC and shown in the county's zone (Asia/Shanghai by default)."""
import json
import os
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"


def zone(tz_name: str | None = None) -> ZoneInfo:
    return ZoneInfo(tz_name or DEFAULT_TZ)


def local_date(now: datetime, tz_name: str | None = None) -> date:
    return now.astimezone(zone(tz_name)).date()


def local_datetime(now: datetime, tz_name: str | None = None) -> datetime:
    return now.astimezone(zone(tz_name))


def at_local(day: date, hour: int, tz_name: str | None = None) -> datetime:
    """The UTC instant of `hour`:00 on `day` in the county's zone."""
    return datetime.combine(day, time(hour), tzinfo=zone(tz_name)).astimezone(timezone.utc)


def parse_local(text: str, tz_name: str | None = None) -> datetime:
    """'2026-03-01T09:00' (local wall time unless it carries an offset) -> aware UTC."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(tz_name))
    return value.astimezone(timezone.utc)


def cn_date(value: date | datetime | None, tz_name: str | None = None) -> str:
    """2026年3月31日"""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(zone(tz_name)).date() if value.tzinfo else value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: datetime | None, tz_name: str | None = None) -> str:
    if value is None:
        return ""
    local = value.astimezone(zone(tz_name))
    return f"{cn_date(local.date())} {local:%H:%M}"


# --- the demo clock -------------------------------------------------------------------------------------
# Outside production `tracker clock set …` stores an offset from the wall clock in the instance folder, so
# that the pages, the scan, the drafts and the mails of a demo all live on the same moved "now". Read with
# one stat() a call (the file is parsed again only when it changes); production never enables it.

_clock = {"path": None, "mtime": None, "offset": None}


def use_demo_clock(path: str | None) -> None:
    """Consult `path` (instance/demo_clock.json) from now on; None switches the demo clock off."""
    _clock.update(path=path, mtime=None, offset=None)


def demo_offset() -> timedelta | None:
    path = _clock["path"]
    if path is None:
        return None
    try:
        mtime = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        _clock.update(mtime=None, offset=None)
        return None
    if mtime != _clock["mtime"]:
        with open(path, encoding="utf-8") as handle:
            seconds = json.load(handle)["offset_seconds"]
        _clock.update(mtime=mtime, offset=timedelta(seconds=float(seconds)))
    return _clock["offset"]


def wall_now() -> datetime:
    return datetime.now(timezone.utc)


def set_demo_clock(path: str, moment: datetime) -> timedelta:
    """Moves the demo's "now" to `moment` (aware); the clock keeps running from there."""
    offset = moment - wall_now()
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"offset_seconds": offset.total_seconds(), "set_to": moment.isoformat()}, handle)
    os.replace(tmp, path)
    return offset


def reset_demo_clock(path: str) -> bool:
    try:
        os.remove(path)
        return True
    except FileNotFoundError:
        return False
