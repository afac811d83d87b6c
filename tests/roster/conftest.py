"""The notify world (units, secretaries, organization department) serves the roster tests too."""
import io

from tests.escalation.conftest import _notify_settings, people  # noqa: F401  (fixtures, found by name)


def roster_bytes(rows, *, header=("备注", "手机号码", "姓名", "单位", "职务", "电子邮箱"), title="2026年党组织书记名册"):
    """A roster workbook as a county would send it: a title row, then the header, columns in any order."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(list(header))
    for row in rows:
        sheet.append([row.get(column, "") for column in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
