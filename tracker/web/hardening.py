"""Input that no view should have to think about: ids beyond the columns, control characters, a full disk.

Registered once by create_app (before the blueprints, so that every `<int:…>` in a route uses the bounded
converter):
- `<int:…>` in a URL matches 0 … 2³¹−1 only (the range of an INTEGER column on PostgreSQL): a larger id names
  no record and answers 404 instead of an overflow inside the database driver;
- `page` in a query string beyond that range answers 404 (no list has that many pages);
- control characters (NUL, ESC, DEL, C1…) are stripped from query strings (search boxes, filters: nothing is
  stored from them) and refused with a 400 in a form field or a file name, before any view runs — including
  /login and /forgot-password before logging in; a URL path holding one names nothing (404);
- a full or read-only upload folder (safe_files.StorageError, or such an OSError from anywhere) rolls the
  transaction back and answers a Chinese page that tells the user to call the administrator (507), logged as
  an error for the operator;
- as a last net, a value the database refuses for its type (a text longer than its column, a number beyond
  its range) rolls back and answers 400 in Chinese, logged so that the form gets its own check.

parse_int is the one reader of integers from query strings and forms: out of range is "not given";
coerce_int is its form for WTForms choice fields (coerce=coerce_int).
"""
import logging
import re

from flask import Flask, abort, render_template, request
from sqlalchemy.exc import DataError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from tracker.extensions import db
from tracker.services.safe_files import STORAGE_ERRNOS, StorageError, describe

log = logging.getLogger("tracker.hardening")

INT32_MAX = 2**31 - 1
# C0 (but tab, line feed, carriage return, which a 文本框 legitimately holds), DEL and C1.
FORM_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = "提交的内容含有不可见的控制字符（如 NUL），未保存任何内容。请删除这些字符（可重新输入，不要从其他文件直接粘贴）后再提交。"
DATA_MESSAGE = "提交的内容超出了允许的范围（文字过长或数字过大），未保存任何内容。请检查后重新提交。"


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` limited to a signed 32-bit column unless a route asks for another max."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT32_MAX, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_int(value, default=None, *, minimum: int = -INT32_MAX - 1, maximum: int = INT32_MAX):
    """An integer from a query string or form field, or `default` when it is missing, not a number or beyond
    [minimum, maximum] (so that it never reaches a column it would overflow)."""
    if value is None:
        return default
    text = str(value).strip()
    if not re.fullmatch(r"[+-]?\d{1,11}", text):
        return default
    number = int(text)
    return number if minimum <= number <= maximum else default


def coerce_int(value) -> int:
    """`coerce=` for WTForms choice fields of ids: a value beyond the column fails the field's validation
    (ValueError) instead of overflowing in the query."""
    number = parse_int(value)
    if number is None:
        raise ValueError("不是有效的编号")
    return number


def register_hardening(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_check_input)
    app.register_error_handler(StorageError, _storage_error)
    app.register_error_handler(OSError, _os_error)
    app.register_error_handler(DataError, _data_error)
    app.register_error_handler(OverflowError, _data_error)  # SQLite's driver: an int beyond 64 bits


def _check_input():
    if ANY_CONTROL.search(request.path):
        abort(404)
    args = request.args
    if any(ANY_CONTROL.search(k) or ANY_CONTROL.search(v) for k, v in args.items(multi=True)):
        request.args = ImmutableMultiDict(
            [(ANY_CONTROL.sub("", k), ANY_CONTROL.sub("", v)) for k, v in args.items(multi=True)])
    page = request.args.get("page")
    if page is not None and page.strip().isdigit() and parse_int(page) is None:
        abort(404)  # beyond any list's last page
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    fields = request.form.items(multi=True)
    if any(FORM_CONTROL.search(k) or FORM_CONTROL.search(v) for k, v in fields) or any(
            ANY_CONTROL.search(k) or ANY_CONTROL.search(f.filename or "") for k, f in request.files.items(multi=True)):
        return _refused(CONTROL_MESSAGE, 400, title="提交内容无效")
    return None


def _refused(message: str, status: int, *, title: str):
    return render_template("errors/refused.html", title=title, message=message), status


def _storage_error(error: StorageError):
    db.session.rollback()
    log.error("上传目录写入失败：%s（%s）: %s", request.path, getattr(error, "path", ""), error.cause or error)
    return _refused(str(error), 507, title="文件未能保存")


def _os_error(error: OSError):
    if error.errno not in STORAGE_ERRNOS:
        raise error
    db.session.rollback()
    log.error("写入文件失败：%s: %s", request.path, error)
    return _refused(f"{describe(error)}，本次提交的内容未保存。请联系系统管理员处理后重新提交。", 507,
                    title="文件未能保存")


def _data_error(error: Exception):
    db.session.rollback()
    log.warning("数据库拒绝了输入的值（该表单缺少长度或范围检查）：%s %s: %s", request.method, request.path,
                str(error).splitlines()[0] if str(error) else type(error).__name__)
    return _refused(DATA_MESSAGE, 400, title="提交内容无效")
