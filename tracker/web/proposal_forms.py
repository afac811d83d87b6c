"""Flask-WTF forms of the 约谈/通报 pages and the secretary's 情况说明. They parse (dates, ids) and carry the
CSRF token; what a value must be (not in the future, the unit's secretary, a 文号) the services decide, with
their messages shown beside the same fields."""
from flask_wtf import FlaskForm
from wtforms import DateField, Field, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import HiddenInput

from tracker.proposals.decisions import MAX_TEXT, decision_labels

DATE_FORMAT_MESSAGE = "{label}格式不正确，请按 2026-03-31 的格式填写"


class IdField(Field):
    """A record id from a <select>: an int, or None for empty or anything that is not one (the service then
    says what to choose)."""

    widget = HiddenInput()

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = int(raw) if raw.isdigit() else None

    def _value(self):
        return "" if self.data is None else str(self.data)


def _date(label: str) -> DateField:
    # Optional: an empty date is None for the service ("请填写…"); a malformed one is this message.
    return DateField(label, validators=[Optional()], invalid_value_message=DATE_FORMAT_MESSAGE.format(label=label))


class _DecisionForm(FlaskForm):
    held_by = StringField()
    doc_number = StringField()
    note = TextAreaField()
    owner_notice = TextAreaField("告知责任人的事项")


_DECISION_FORMS: dict[str, type] = {}


def decision_form(kind: str, **kwargs) -> FlaskForm:
    """The decision form of a 约谈 or a 通报: its date is called 约谈日期 or 通报印发日期, also in its messages."""
    if kind not in _DECISION_FORMS:
        label = decision_labels(kind)["held_on"]
        _DECISION_FORMS[kind] = type(f"DecisionForm_{len(_DECISION_FORMS)}", (_DecisionForm,),
                                     {"held_on": _date(label)})
    return _DECISION_FORMS[kind](**kwargs)


class DismissForm(FlaskForm):
    reason = TextAreaField("驳回理由")


class ExplanationRequestForm(FlaskForm):
    due_on = _date("提交期限")
    message = TextAreaField("说明")


class ExplanationForm(FlaskForm):
    # Checked here as well as in the service: on the task page the message belongs beside the field.
    # Not "body": the progress form on the same page has one, and ids must stay unique.
    explanation = TextAreaField("情况说明", validators=[DataRequired("请填写情况说明"),
                                                     Length(max=MAX_TEXT, message=f"情况说明不能超过{MAX_TEXT}字")])


class HandlingForm(FlaskForm):
    unit_id = IdField()
    cadre_id = IdField()
    measure = StringField()
    doc_number = StringField()
    decided_on = _date("决定日期")
    note = TextAreaField()
    proposal_id = IdField()


def errors_of(form: FlaskForm) -> dict[str, str]:
    """{field name: its first message}, as the templates' field_error macro reads them."""
    return {name: field.errors[0] for name, field in form._fields.items() if field.errors}


def values_of(form: FlaskForm) -> dict[str, str]:
    """What the user typed, to show again beside the messages (escaped by the template)."""
    return {name: (field._value() or "") for name, field in form._fields.items() if name != "csrf_token"}


def add_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """A service's messages, beside the fields they are about (a field the form lacks: on the first)."""
    for name, message in errors.items():
        field = form._fields.get(name)
        if field is None:
            field = next(f for n, f in form._fields.items() if n != "csrf_token")
        field.errors = [*field.errors, message]
