"""导入点评 in the browser: upload → preview (edit, split, merge, map) → confirm; nothing stored before confirm."""
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.web_org.conftest import SCRIPT, today
from tests.webhelpers import csrf_token, login, quick_user
from tracker.models import AuditEvent, Comment, Review, Role, Task, Unit, User
from tracker.models.types import utcnow

TRANSCRIPT = f"""同志们：
今天（2026年1月20日）召开2026年度全县党组织书记抓基层党建工作述职评议会议。
一、首先请青山镇党委书记张三同志述职。
※※※※※※
点评：青山镇党建工作扎实。但还存在以下问题：一是{SCRIPT}台账管理不规范。二是党员教育管理不到位，组织生活不经常。
希望张三同志进一步压实责任。
二、请绿水乡党委书记李四同志述职。
※※※※※※
点评：绿水乡工作有成效。但还存在以下问题：一是村集体经济薄弱。二是软弱涣散村整顿不力。
希望李四同志加大力度。
"""


@pytest.fixture
def org_client(client, db, app):
    quick_user(db.session, Role.ORG_DEPT, username="zzb", name="王组织")
    db.session.commit()
    login(client, "zzb")
    return client


def table_counts(db):
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Review, Comment, Task, Unit, User, AuditEvent))


def pending_files(app):
    path = Path(app.config["UPLOAD_DIR"]) / "pending"
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


def upload(client, data: bytes, filename: str):
    return client.post("/imports/", data={"csrf_token": csrf_token(client, "/imports/"),
                                          "document": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def token_of(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def form_of(html: str) -> dict:
    """The preview form's current values, as a browser would submit them (without any button)."""
    data = {}
    for name, value in re.findall(r'<input type="(?:text|date|hidden)"[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', html):
        data[name] = value
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = body
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options) or re.search(r'<option value="([^"]*)"', options)
        data[name] = chosen.group(1)
    import html as html_lib

    return {k: html_lib.unescape(v) for k, v in data.items()}


def submit(client, token, html, op, **changes):
    data = {**form_of(html), **changes, "op": op}
    return client.post(f"/imports/{token}", data=data)


def test_upload_preview_edit_confirm(org_client, db, app):
    client = org_client
    before = table_counts(db)
    token = token_of(upload(client, TRANSCRIPT.encode("utf-8"), "评议.txt"))
    html = client.get(f"/imports/{token}").get_data(as_text=True)
    assert "识别到 2 个单位的点评，共 4 个问题" in html
    assert "&lt;script&gt;" in html and SCRIPT not in html
    assert table_counts(db) == before  # nothing in the domain tables before confirm
    response = submit(client, token, html, "save", **{"s0-p1-text": "党员教育管理不到位（已修改）"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "党员教育管理不到位（已修改）" in html
    response = submit(client, token, html, "confirm")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    review = db.session.scalar(select(Review))
    texts = db.session.scalars(select(Task.problem_text).where(Task.review_id == review.id)
                               .order_by(Task.ledger_position)).all()
    assert texts == [f"{SCRIPT}台账管理不规范。", "党员教育管理不到位（已修改）", "村集体经济薄弱。", "软弱涣散村整顿不力。"]
    assert set(db.session.scalars(select(Unit.name))) == {"青山镇", "绿水乡"}
    deadline = db.session.scalar(select(Task.deadline).limit(1))
    assert deadline == today() + timedelta(days=90)
    assert pending_files(app) == []
    # the same document again: refused, nothing added
    after = table_counts(db)
    response = upload(client, TRANSCRIPT.encode("gb18030"), "again.txt")
    assert response.status_code == 409 and "不会重复导入" in response.get_data(as_text=True)
    assert table_counts(db) == after and pending_files(app) == []


def test_split_merge_defaults_and_mapping(org_client, db, app):
    client = org_client
    existing = Unit(name="青山镇", kind="镇")
    db.session.add(existing)
    db.session.commit()
    token = token_of(upload(client, TRANSCRIPT.encode("utf-8"), "评议.txt"))
    html = client.get(f"/imports/{token}").get_data(as_text=True)
    assert f'<option value="{existing.id}" selected>青山镇' in html  # same-named unit preselected
    html = submit(client, token, html, "split:s0-p1").get_data(as_text=True)
    assert 'name="s0-p1-text" rows="3">党员教育管理不到位，组织生活不经常。' not in html
    assert ">党员教育管理不到位，</textarea>" in html and ">组织生活不经常。</textarea>" in html
    html = submit(client, token, html, "merge:s1-p1").get_data(as_text=True)
    assert ">村集体经济薄弱。软弱涣散村整顿不力。</textarea>" in html
    response = submit(client, token, html, "merge:s1-p0")
    assert response.status_code == 400 and "之前没有可合并的问题" in response.get_data(as_text=True)
    html = submit(client, token, html, "defaults", default_type="长期坚持").get_data(as_text=True)
    assert html.count('<option value="长期坚持" selected>') == 4 + 1  # 4 problems + the default select
    # 青山镇 exists but has no secretary: 张三 becomes one only when the user says so
    response = submit(client, token, html, "confirm")
    assert response.status_code == 400 and "请选择由谁负责" in response.get_data(as_text=True)
    response = submit(client, token, html, "confirm", **{"s0-owner": "new"})
    assert response.status_code == 302
    db.session.expire_all()
    tasks = db.session.scalars(select(Task).order_by(Task.ledger_position)).all()
    assert len(tasks) == 4 and {t.task_type for t in tasks} == {"长期坚持"} and {t.deadline for t in tasks} == {None}
    assert tasks[0].unit_id == existing.id and db.session.scalar(select(func.count()).select_from(Unit)) == 2


def test_confirm_with_bad_fields_shows_errors_and_writes_nothing(org_client, db, app):
    client = org_client
    token = token_of(upload(client, TRANSCRIPT.encode("utf-8"), "评议.txt"))
    html = client.get(f"/imports/{token}").get_data(as_text=True)
    before = table_counts(db)
    past = (today() - timedelta(days=1)).isoformat()
    response = submit(client, token, html, "confirm", **{"s0-p0-deadline": past, "s1-p0-text": " ", "held_on": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "早于今天" in page and "问题描述不能为空" in page and "请填写会议日期" in page
    assert page.index("早于今天") > page.index('id="s0-p0-deadline"')  # beside its field
    assert table_counts(db) == before
    assert client.get(f"/imports/{token}").status_code == 200  # the preview is kept


def test_reimport_detected_at_confirm(org_client, db, app):
    from tracker.parser import parse_text
    from tracker.services.importer import apply_plan, build_plan

    client = org_client
    token = token_of(upload(client, TRANSCRIPT.encode("utf-8"), "评议.txt"))
    html = client.get(f"/imports/{token}").get_data(as_text=True)
    plan = build_plan(parse_text(TRANSCRIPT), text=TRANSCRIPT, source_filename="x.txt", held_on=today(),
                      deadline=today() + timedelta(days=5))
    apply_plan(db.session, plan, actor=None, now=utcnow(), rules=app.config["ESCALATION_RULES"])
    db.session.commit()
    before = table_counts(db)
    response = submit(client, token, html, "confirm")
    assert response.status_code == 302
    assert table_counts(db) == before
    assert "不会重复导入" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("data, filename, message", [
    (b"%PDF-1.4 binary", "review.pdf", "PDF 文件不能直接解析"),
    ("这是一份普通的通知，没有述职和点评。".encode(), "notice.txt", "这似乎不是述职评议会议记录"),
    (b"PK\x03\x04broken", "review.docx", "不是有效的 .docx 文件"),
    (b"", "empty.txt", "文件是空的"),
])
def test_bad_documents_are_refused_beside_the_field(org_client, db, app, data, filename, message):
    before = table_counts(db)
    response = upload(org_client, data, filename)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="document-error"' in html and html.index('id="document-error"') > html.index('id="document"')
    assert message in html
    assert table_counts(db) == before and pending_files(app) == []


def test_oversized_and_missing_file(org_client, db, app):
    before = table_counts(db)
    big = TRANSCRIPT.encode("utf-8") * (app.config["MAX_DOCUMENT_BYTES"] // len(TRANSCRIPT.encode()) + 2)
    response = upload(org_client, big, "big.txt")
    assert response.status_code == 400 and "文件过大" in response.get_data(as_text=True)
    response = org_client.post("/imports/", data={"csrf_token": csrf_token(org_client, "/imports/")})
    assert response.status_code == 400 and "请选择要导入的点评文档" in response.get_data(as_text=True)
    assert table_counts(db) == before and pending_files(app) == []


def test_docx_and_shared_sample(org_client, db, app, sample_path):
    import docx

    document = docx.Document()
    for line in TRANSCRIPT.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    token = token_of(upload(org_client, buffer.getvalue(), "评议.docx"))
    assert "共 4 个问题" in org_client.get(f"/imports/{token}").get_data(as_text=True)
    token = token_of(upload(org_client, sample_path.read_bytes(), sample_path.name))
    html = org_client.get(f"/imports/{token}").get_data(as_text=True)
    assert "识别到 14 个单位的点评" in html and "全县共性问题 3 个" in html
    assert "文档写明是2021年度，但没有写会议日期" in html and 'id="held_on" name="held_on" value=""' in html
    response = submit(org_client, token, html, "confirm")
    assert response.status_code == 400 and "请填写会议日期" in response.get_data(as_text=True)
    response = submit(org_client, token, html, "confirm", held_on="2022-01-20")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Task)) == 31
    assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.needs_rename.is_(True))) >= 1


def test_preview_belongs_to_its_uploader(org_client, app, db):
    token = token_of(upload(org_client, TRANSCRIPT.encode("utf-8"), "评议.txt"))
    quick_user(db.session, Role.ORG_DEPT, username="zzb2", name="另一位")
    db.session.commit()
    other = app.test_client()
    login(other, "zzb2")
    assert other.get(f"/imports/{token}").status_code == 404
    assert other.post(f"/imports/{token}", data={"op": "confirm",
                                                 "csrf_token": csrf_token(other, "/imports/")}).status_code == 404
    assert org_client.get(f"/imports/{token}").status_code == 200
    assert org_client.get("/imports/../../etc").status_code == 404


def test_cancel_discards_the_upload(org_client, app, db):
    token = token_of(upload(org_client, TRANSCRIPT.encode("utf-8"), "评议.txt"))
    assert pending_files(app)
    response = org_client.post(f"/imports/{token}", data={"op": "cancel", "csrf_token": csrf_token(org_client, "/imports/")})
    assert response.status_code == 302
    assert pending_files(app) == [] and org_client.get(f"/imports/{token}").status_code == 404
