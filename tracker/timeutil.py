"""Times are stored in UTC and shown in the county's zone (Asia/Shanghai by default)."""
from datetime import date, datetime, time, timezone
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
