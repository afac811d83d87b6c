"""党组织书记名册 import: preview (换届, conflicts, near matches, bad rows with their numbers), nothing written
before confirm, then one transaction: the old secretary inactive, their open tasks moved with an audited
reason, new accounts without password, invitations in the outbox."""
import io
import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import make_unit, make_user
from tests.roster.conftest import roster_bytes
from tests.webhelpers import csrf_token, login
from tracker.models import AuditEvent, Role, Task, User
from tracker.models.accounts import AccountToken
from tracker.models.notify import OutboxMessage
from tracker.roster.workbook import RosterFileError, check_xlsx, read_sheet

ROWS = [
    # row 3: 换届 — 青山镇's secretary 甲书记 is replaced by 赵新
    {"单位": "青山镇", "姓名": "赵新", "职务": "党委书记", "手机号码": "13900001111", "电子邮箱": "zhaoxin@town.test"},
    # row 4: conflict — the email is the organization department's
    {"单位": "绿水乡", "姓名": "乙书记", "手机号码": "13900002222", "电子邮箱": "wang@county.test"},
    # row 5: bad — no name, and a phone that is not one
    {"单位": "白云街道", "姓名": "", "手机号码": "电话待定"},
    # row 6: unit not found, a near match offered
    {"单位": "白云街", "姓名": "钱进", "电子邮箱": "qianjin@town.test"},
]


def _count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _upload(client, data, name="名册.xlsx"):
    token = csrf_token(client, "/roster/")
    return client.post("/roster/", data={"csrf_token": token, "roster": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


@pytest.fixture
def world(app, db, people):
    people.baiyun = make_unit(db.session, "白云街道")
    people.open_task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    return people


def test_preview_shows_each_row_and_writes_nothing(app, db, world, client):
    login(client, "zzb")
    before = (_count(db, User), _count(db, AuditEvent))
    response = _upload(client, roster_bytes(ROWS))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "表头在第2行" in page
    assert "换届：青山镇现任书记甲书记将停用，其1项未销号任务转给赵新" in page
    assert "邮箱wang@county.test已被王组织使用" in page
    assert "第5行" in page and "姓名为空" in page and "手机号码格式不正确：电话待定" in page
    assert "未找到单位“白云街”，是否为：白云街道？" in page
    assert (_count(db, User), _count(db, AuditEvent)) == before


def test_confirm_applies_the_roster_in_one_go(app, db, world, client):
    login(client, "zzb")
    location = _upload(client, roster_bytes(ROWS)).headers["Location"]
    token = location.rsplit("/", 1)[1]
    page = client.get(location).get_data(as_text=True)
    baiyun = world.baiyun.id
    form = {"csrf_token": csrf_token(client, location), "action": "confirm", "invite": "y",
            "col_unit": "3", "col_name": "2", "col_title": "4", "col_phone": "1", "col_email": "5", "col_note": "0",
            "unit_6": str(baiyun)}  # the near match picked for row 6
    assert "白云街道" in page
    response = client.post(f"/roster/{token}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    zhao = db.session.scalar(select(User).where(User.name == "赵新"))
    old = db.session.get(User, world.owner.id)
    assert zhao.unit_id == world.unit.id and zhao.phone == "13900001111" and zhao.password_hash is None
    assert zhao.active and not old.active  # 换届: the old secretary kept, inactive
    task = db.session.get(Task, world.open_task.id)
    assert task.owner_id == zhao.id
    moved = db.session.scalar(select(AuditEvent).where(AuditEvent.task_id == task.id, AuditEvent.action == "reassign"))
    assert "换届" in moved.note and "甲书记→赵新" in moved.note
    qian = db.session.scalar(select(User).where(User.name == "钱进"))
    assert qian.unit_id == baiyun
    # the conflict row changed nothing: 乙书记 keeps their email
    assert db.session.get(User, world.other_owner.id).email == "sec-b@town.test"
    invited = {t.user_id for t in db.session.scalars(select(AccountToken)
                                                     .where(AccountToken.purpose == AccountToken.INVITATION))}
    assert invited == {zhao.id, qian.id}
    assert _count(db, OutboxMessage, OutboxMessage.kind == "account_invitation") == 2
    summary = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import_roster"))
    assert "换届1人" in summary.note and "跳过第4、5行" in summary.note


def test_a_failing_apply_writes_nothing(app, db, world, client, monkeypatch):
    from tracker.roster import apply as roster_apply
    from tracker.services import tasks
    from tracker.services.errors import DomainError

    def refuse(*args, **kwargs):
        raise DomainError("责任人必须是该责任单位的书记")

    monkeypatch.setattr(tasks, "set_owner", refuse)
    assert roster_apply.tasks.set_owner is refuse
    login(client, "zzb")
    location = _upload(client, roster_bytes(ROWS[:1])).headers["Location"]
    before = (_count(db, User), _count(db, AuditEvent, AuditEvent.action != "login"))
    response = client.post(location, data={"csrf_token": csrf_token(client, location), "action": "confirm",
                                           "col_unit": "3", "col_name": "2", "col_phone": "1", "col_email": "5"})
    assert response.status_code == 400
    assert "导入未完成，未写入任何数据" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (_count(db, User), _count(db, AuditEvent, AuditEvent.action != "login")) == before
    assert db.session.get(User, world.owner.id).active


@pytest.mark.parametrize("data, words", [
    (b"", "文件是空的"),
    (b"not a zip at all", "不是 .xlsx"),
    (None, "缺少 xl/workbook.xml"),
    ("bomb", "解压后过大"),
])
def test_bad_files_are_refused_in_words(data, words):
    if data is None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("hello.txt", "x")
        data = out.getvalue()
    elif data == "bomb":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/workbook.xml", "<x/>")
            archive.writestr("xl/worksheets/sheet1.xml", b"0" * (40 * 1024 * 1024))
        data = out.getvalue()
    with pytest.raises(RosterFileError, match=words):
        check_xlsx(data, max_bytes=5 * 1024 * 1024)


def test_a_roster_without_unit_and_name_headers_is_refused(app, client, db, world):
    with pytest.raises(RosterFileError, match="没有找到表头"):
        read_sheet(roster_bytes([{"x": 1}], header=("甲", "乙")), max_bytes=10**6)
    login(client, "zzb")
    response = _upload(client, b"PK\x03\x04 broken")
    assert response.status_code == 400 and "Excel" in response.get_data(as_text=True)


def test_export_has_the_import_columns(app, db, world, client):
    from openpyxl import load_workbook

    world.owner.phone = "=cmd|' /C calc'!A0"
    db.session.commit()
    login(client, "zzb")
    response = client.get("/roster/export")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["单位", "姓名", "职务", "手机号码", "电子邮箱", "备注"]
    qingshan = next(r for r in rows if r[0] == "青山镇")
    assert qingshan[1] == "甲书记" and qingshan[4] == "sec-a@town.test"
    assert qingshan[3].startswith("'=")  # never a live formula
    assert any(r[0] == "白云街道" and r[5] == "未登记书记" for r in rows)
    # the export reads back as a roster
    assert read_sheet(response.data, max_bytes=10**6).header_row == 1


def test_secretaries_cannot_open_the_roster(app, db, world, client):
    make_user(db.session, Role.SECRETARY, world.unit, username="sec-x")
    db.session.commit()
    login(client, "sec-x")
    assert client.get("/roster/").status_code == 404
