"""Flask-WTF forms of the account, secretary and user-admin pages (every one carries a CSRF token)."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    MultipleFileField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from tracker.models import Role
from tracker.services.accounts import MIN_PASSWORD_LENGTH

REQUIRED = "此项为必填项"


class LoginForm(FlaskForm):
    identifier = StringField("用户名或邮箱", validators=[DataRequired(REQUIRED), Length(max=200)])
    password = PasswordField("密码", validators=[DataRequired(REQUIRED), Length(max=200)])
    submit = SubmitField("登录")


class SetPasswordForm(FlaskForm):
    username = StringField("登录用户名（可不填，不填则用邮箱登录）", validators=[Optional(), Length(max=80)])
    password = PasswordField(
        "新密码", validators=[DataRequired(REQUIRED),
                            Length(min=MIN_PASSWORD_LENGTH, max=200, message=f"密码至少 {MIN_PASSWORD_LENGTH} 位")])
    confirm = PasswordField("再次输入新密码",
                            validators=[DataRequired(REQUIRED), EqualTo("password", message="两次输入的密码不一致")])
    submit = SubmitField("设置密码")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired(REQUIRED)])
    password = SetPasswordForm.password
    confirm = SetPasswordForm.confirm
    submit = SubmitField("修改密码")


class ForgotPasswordForm(FlaskForm):
    identifier = StringField("用户名或邮箱", validators=[DataRequired(REQUIRED), Length(max=200)])
    submit = SubmitField("发送重置链接")


# --- Secretary task pages ----------------------------------------------------------------------------
# Several of these forms share one page: field names differ so that ids stay unique, and the buttons
# are written in the template.

class PlanForm(FlaskForm):
    measures = TextAreaField("整改措施", validators=[DataRequired("请填写整改措施"), Length(max=5000)])
    responsible_person = StringField("具体责任人", validators=[Optional(), Length(max=100)])


class ProgressForm(FlaskForm):
    body = TextAreaField("整改进展", validators=[DataRequired("请填写整改进展内容"), Length(max=5000)])
    files = MultipleFileField("佐证材料（可多选：PDF、Word、Excel、JPG、PNG）")


class ExtensionForm(FlaskForm):
    # InputRequired, not DataRequired: the latter would hide the "wrong format" message behind "required".
    new_deadline = DateField("申请延期至", validators=[InputRequired("请填写申请延期至的日期")],
                             invalid_value_message="日期格式不正确，请按“2026-03-31”的格式填写")
    reason = TextAreaField("延期理由", validators=[DataRequired("请填写延期理由"), Length(max=2000)])


class ClosureForm(FlaskForm):
    summary = TextAreaField("整改完成情况", validators=[DataRequired("请填写整改完成情况"), Length(max=5000)])
    closure_files = MultipleFileField("佐证材料（可多选）")
    # Asked for (and required) only when the task has no 整改措施 or no 佐证材料: the view says which.
    confirm_empty = BooleanField("我已知晓，仍要申请销号")


# --- User administration ------------------------------------------------------------------------------

def role_choices(actor_role: str) -> list[tuple[str, str]]:
    roles = list(Role) if actor_role == Role.ADMIN else [Role.SECRETARY]
    return [(r.value, r.label) for r in roles]


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[Optional(), Length(max=80)])
    name = StringField("姓名", validators=[DataRequired(REQUIRED), Length(max=50)])
    role = SelectField("角色", validators=[DataRequired(REQUIRED)])
    unit_id = SelectField("责任单位", coerce=int, validators=[Optional()])
    # The service checks the address itself (normalise_email), with a message in Chinese.
    email = EmailField("邮箱", validators=[Optional(), Length(max=200)])
    submit = SubmitField("保存")


class ConfirmForm(FlaskForm):
    """An action button (deactivate, send invitation) that needs nothing but the CSRF token."""

    submit = SubmitField("确定")


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField("姓名、用户名或邮箱", validators=[Optional(), Length(max=100)])
    include_inactive = BooleanField("显示已停用")
