"""The organization department's query strings and forms: the task list's filters, and one Flask-WTF form per
action on a task (each carries the CSRF token and turns what was typed into typed values for the services).

What a value must be given the task's state (a 整改时限 not in the past, a secretary of that unit) the services
decide; a rule that needs only the form and the page's facts (the old 整改时限 has passed, the county's today) is
checked here, so that its message stands beside its field.
"""
from datetime import date

from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import AnyOf, Length, StopValidation, ValidationError
from wtforms.widgets import HiddenInput, TextInput

from tracker.models import Assessment, EscalationLevel, TaskStatus, TaskType
from tracker.services.batch import UNKNOWN_SELECTED
from tracker.services.dashboard import UNIT_SORTS, TaskFilters
from tracker.services.lights import KEYS
from tracker.web.hardening import parse_int

OVERALL_UNIT = "overall"
LEVEL_CHOICES = [("", "全部"), ("any", "督办及以上")] + [
    (str(level), label) for level, label in EscalationLevel.LABELS.items()
]
MAX_REASON = 2000
SENDS_BACK = (Assessment.FAIR, Assessment.POOR)  # 一般 / 差: the task goes into 二次整改


def int_arg(value, default: int | None = None) -> int | None:
    return parse_int(value, default)  # beyond an id column's range: not given (never an overflow in the database)


def parse_day(raw: str | None, label: str) -> date | None:
    """A date typed as 年-月-日; None when left empty; ValueError with the message to show when malformed."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{label}格式不正确，请按“年-月-日”填写") from None


def date_field(args, name: str, *, label: str = "日期", required: bool = True) -> tuple[date | None, str | None]:
    """A date of a GET filter (no form object there): (value, message or None)."""
    try:
        value = parse_day(args.get(name), label)
    except ValueError as error:
        return None, str(error)
    return value, (f"请填写{label}" if required and value is None else None)


# --- Fields and checks ----------------------------------------------------------------------------------

class DayField(Field):
    """A date: None when left empty (whether that is allowed the form says), its own message when malformed."""

    widget = TextInput(input_type="date")

    def process_formdata(self, valuelist):
        self.data = None  # stays None when parse_day raises (WTForms keeps its message as a process error)
        self.data = parse_day(valuelist[0] if valuelist else "", self.label.text)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""


class IdField(Field):
    """A record id from a <select> or a hidden input: an int within the id column's range, or None."""

    widget = HiddenInput()

    def process_formdata(self, valuelist):
        self.data = int_arg(valuelist[0] if valuelist else None)

    def _value(self):
        return "" if self.data is None else str(self.data)


class IdListField(Field):
    """The ids of the ticked rows (name repeated), in the order sent, once each; a value that is no id refuses
    the whole selection (never a batch on fewer tasks than were ticked)."""

    widget = HiddenInput()

    def process_formdata(self, valuelist):
        ids = [int_arg(v) for v in valuelist]
        self.data = list(dict.fromkeys(i for i in ids if i is not None))
        if None in ids:
            raise ValueError(UNKNOWN_SELECTED)

    def _value(self):
        return ""


def _strip(value):
    return value.strip() if isinstance(value, str) else ""


def filled(message: str):
    """The field must hold something; a malformed date keeps its own message instead."""
    def check(_form, field):
        if field.data in (None, "", []) and not field.process_errors:
            raise StopValidation(message)
    return check


def _reason(label: str, *, required: bool = False) -> TextAreaField:
    checks = [filled(f"请填写{label}")] if required else []
    return TextAreaField(label, filters=[_strip],
                         validators=[*checks, Length(max=MAX_REASON, message=f"{label}不能超过{MAX_REASON}个字")])


def errors_of(form: FlaskForm) -> dict[str, str]:
    """{field name: its first message}, as the task page's field_error macro reads them; a form-level message
    (the CSRF token) under "_"."""
    errors = {name: field.errors[0] for name, field in form._fields.items() if field.errors and name != "csrf_token"}
    if "csrf_token" in form._fields and form.csrf_token.errors:
        errors["_"] = "页面已过期或表单校验失败，未保存任何内容。请刷新页面后重新提交。"
    return errors


def values_of(form: FlaskForm, prefix: str) -> dict[str, str]:
    """What was typed, keyed as the task page's fields are ("<form>-<field>"), to show it again."""
    return {f"{prefix}-{name}": field._value() or "" for name, field in form._fields.items() if name != "csrf_token"}


# --- The task page's actions ----------------------------------------------------------------------------

class DeadlineForm(FlaskForm):
    deadline = DayField("整改时限", validators=[filled("请填写整改时限")])
    reason = _reason("调整理由")


class ExtensionDecisionForm(FlaskForm):
    decision = StringField(validators=[AnyOf(("approve", "refuse"), message="请选择批准或驳回")])
    reason = _reason("驳回理由")

    @property
    def approve(self) -> bool:
        return self.decision.data == "approve"

    def validate_reason(self, field):
        if self.decision.data == "refuse" and not field.data:
            raise ValidationError("请填写驳回理由")


class _NewCycleForm(FlaskForm):
    """退回 / 二次整改 / 回头看: a new 整改时限, never before today, required once the old one has passed."""

    new_deadline = DayField("新的整改时限")

    def __init__(self, *args, deadline_passed: bool, today: date, **kwargs):
        self.deadline_passed, self.today = deadline_passed, today
        super().__init__(*args, **kwargs)

    def needs_new_deadline(self) -> bool:
        return self.deadline_passed

    def validate_new_deadline(self, field):
        if field.process_errors:
            return
        if field.data is None and self.needs_new_deadline():
            raise ValidationError("请填写新的整改时限（原整改时限已过，须重新设定）")
        if field.data is not None and field.data < self.today:
            raise ValidationError("新的整改时限不能早于今天")


class VerifyForm(_NewCycleForm):
    assessment = StringField(validators=[AnyOf(list(Assessment), message="请选择验收评价：好、较好、一般或差")])
    reason = _reason("理由")

    @property
    def sends_back(self) -> bool:
        return self.assessment.data in SENDS_BACK

    def needs_new_deadline(self) -> bool:
        return self.sends_back and self.deadline_passed

    def validate_reason(self, field):
        if self.sends_back and not field.data:
            raise ValidationError("请填写理由（验收评价为一般或差时任务进入二次整改）")


class ReturnForm(_NewCycleForm):
    reason = _reason("退回理由", required=True)


class ReopenForm(_NewCycleForm):
    reason = _reason("重新打开的理由", required=True)


class OwnerForm(FlaskForm):
    owner_id = IdField(validators=[filled("请选择新的责任人")])
    reason = _reason("更换理由")


# --- The task list's batch actions ----------------------------------------------------------------------

class BatchUrgeForm(FlaskForm):
    task_id = IdListField()  # none ticked, too many: batch.selected_tasks says so


class BatchDeadlineForm(BatchUrgeForm):
    deadline = DayField("整改时限", validators=[filled("请填写整改时限")])
    reason = _reason("调整理由")


# --- The task list's filters ----------------------------------------------------------------------------

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
