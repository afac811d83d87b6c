"""Reading the organization department's query strings and forms into typed values.

Each reader returns (value, error message or None), so views can show the message beside the field.
"""
from datetime import date

from tracker.models import EscalationLevel, TaskStatus, TaskType
from tracker.services.dashboard import UNIT_SORTS, TaskFilters
from tracker.web.hardening import parse_int
from tracker.services.lights import KEYS

OVERALL_UNIT = "overall"
LEVEL_CHOICES = [("", "全部"), ("any", "督办及以上")] + [
    (str(level), label) for level, label in EscalationLevel.LABELS.items()
]


def int_arg(value, default: int | None = None) -> int | None:
    return parse_int(value, default)  # beyond an id column's range: not given (never an overflow in the database)


def date_field(form, name: str, *, label: str = "日期", required: bool = True) -> tuple[date | None, str | None]:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None, (f"请填写{label}" if required else None)
    try:
        return date.fromisoformat(raw), None
    except ValueError:
        return None, f"{label}格式不正确，请按“年-月-日”填写"


def text_field(form, name: str, *, label: str, required: bool = True, max_length: int = 2000):
    value = (form.get(name) or "").strip()
    if required and not value:
        return value, f"请填写{label}"
    if len(value) > max_length:
        return value, f"{label}不能超过{max_length}个字"
    return value, None


def sort_arg(value: str | None) -> str:
    value = value or "worst"
    return value if value.lstrip("-") in UNIT_SORTS else "worst"


def task_filters(args) -> TaskFilters:
    status = args.get("status") or None
    task_type = args.get("type") or None
    level_raw = args.get("level", "")
    unit_raw = args.get("unit", "")
    return TaskFilters(
        review_id=int_arg(args.get("review")),
        unit_id=None if unit_raw == OVERALL_UNIT else int_arg(unit_raw),
        overall=unit_raw == OVERALL_UNIT,
        status=status if status in set(TaskStatus) else None,
        task_type=task_type if task_type in set(TaskType) else None,
        overdue=args.get("overdue") == "1",
        level=-1 if level_raw == "any" else int_arg(level_raw) if level_raw in {"0", "1", "2", "3"} else None,
        query=(args.get("q") or "")[:200],
        light=args.get("light") if args.get("light") in KEYS else None,
        extension_pending=args.get("extension") == "pending",
    )


def filter_args(args) -> dict:
    """The active list filters, to carry into pagination links."""
    keys = ("review", "unit", "status", "type", "overdue", "level", "q", "light", "extension")
    return {k: args.get(k) for k in keys if args.get(k)}
