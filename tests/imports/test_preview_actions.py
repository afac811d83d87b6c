"""The transcript preview: warnings, source paragraphs, one-click corrections, the meeting date, the owner."""
import pytest
from sqlalchemy import func, select

from tests.imports.builders import UNPLACED_PARAGRAPH, UNPLACED_TEXT, UNPLACED_UNIT
from tests.web_org.test_imports import TRANSCRIPT, submit, table_counts, token_of, upload
from tests.webhelpers import quick_user
from tracker.models import Review, Role, Task, Unit, User


def start(client, text=UNPLACED_UNIT):
    token = token_of(upload(client, text.encode("utf-8"), "评议.txt"))
    return token, client.get(f"/imports/{token}").get_data(as_text=True)


def test_warning_at_the_top_and_on_the_card_then_mark_the_paragraph(org_client, db):
    token, html = start(org_client)
    assert "1个单位需要核对" in html and 'href="#section-1"' in html
    card = html[html.index('id="section-1"'):]
    assert "需要核对：绿水乡：没有识别出问题" in card
    assert f'id="para{UNPLACED_PARAGRAPH}-text" name="para{UNPLACED_PARAGRAPH}-text" rows="2" data-paragraph>{UNPLACED_TEXT}' in card
    before = table_counts(db)
    html = submit(org_client, token, html, f"mark:{UNPLACED_PARAGRAPH}").get_data(as_text=True)
    assert f'name="s1-p0-text" rows="3">{UNPLACED_TEXT}</textarea>' in html
    assert "个单位需要核对" not in html  # 0 problems was the only warning: settled
    assert f"已加入：绿水乡" in html and table_counts(db) == before
    response = submit(org_client, token, html, "confirm")
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    db.session.expire_all()
    texts = db.session.scalars(select(Task.problem_text).order_by(Task.ledger_position)).all()
    assert texts[-1] == UNPLACED_TEXT and len(texts) == 3
    assert db.session.scalar(select(Review.held_on)).isoformat() == "2026-01-20"  # read from the first line


def test_mark_a_trimmed_part_into_another_unit(org_client, db):
    token, html = start(org_client)
    html = submit(org_client, token, html, f"mark:{UNPLACED_PARAGRAPH}",
                  **{f"para{UNPLACED_PARAGRAPH}-text": "三会一课时有时无", f"para{UNPLACED_PARAGRAPH}-to": "0"}
                  ).get_data(as_text=True)
    assert 'name="s0-p2-text" rows="3">三会一课时有时无</textarea>' in html and "已加入：青山镇" in html
    response = submit(org_client, token, html, f"mark:{UNPLACED_PARAGRAPH}", **{f"para{UNPLACED_PARAGRAPH}-text": " "})
    assert response.status_code == 400 and "段落内容为空" in response.get_data(as_text=True)
    response = submit(org_client, token, html, "mark:999")
    assert response.status_code == 400 and "要标记的段落不存在" in response.get_data(as_text=True)


def test_delete_add_and_move(org_client, db):
    token, html = start(org_client, TRANSCRIPT)
    html = submit(org_client, token, html, "delete:s0-p0").get_data(as_text=True)
    assert 'name="s0-p1-text"' not in html and 'name="s0-p0-text" rows="3">党员教育管理不到位' in html
    html = submit(org_client, token, html, "add:1", **{"s1-new": "新增的问题：阵地建设滞后"}).get_data(as_text=True)
    assert 'name="s1-p2-text" rows="3">新增的问题：阵地建设滞后</textarea>' in html
    response = submit(org_client, token, html, "add:1", **{"s1-new": "  "})
    assert response.status_code == 400 and "请先填写要添加的问题描述" in response.get_data(as_text=True)
    html = submit(org_client, token, html, "move:s1-p2", **{"s1-p2-to": "0"}).get_data(as_text=True)
    assert 'name="s0-p1-text" rows="3">新增的问题：阵地建设滞后</textarea>' in html and 'name="s1-p2-text"' not in html
    html = submit(org_client, token, html, "move:s0-p1", **{"s0-p1-to": "o"}).get_data(as_text=True)
    assert 'name="so-p0-text" rows="3">新增的问题：阵地建设滞后</textarea>' in html
    response = submit(org_client, token, html, "move:s0-p9", **{"s0-p9-to": "1"})
    assert response.status_code == 400 and "要操作的问题不存在" in response.get_data(as_text=True)
    response = submit(org_client, token, html, "confirm")
    assert response.status_code == 302
    db.session.expire_all()
    overall = db.session.scalars(select(Task.problem_text).where(Task.is_overall.is_(True))).all()
    assert overall == ["新增的问题：阵地建设滞后"]
    assert db.session.scalar(select(func.count()).select_from(Task)) == 4


def test_no_date_in_the_document_is_asked_for_never_today(org_client, db):
    text = UNPLACED_UNIT.replace("2026年1月20日\n", "")
    token, html = start(org_client, text)
    assert 'id="held_on" name="held_on" value=""' in html and "文档写明是2026年度，但没有写会议日期" in html
    before = table_counts(db)
    response = submit(org_client, token, html, "confirm")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "请填写会议日期" in page
    assert page.index('id="held_on-error"') > page.index('id="held_on"')  # beside its field
    assert table_counts(db) == before


def test_date_in_chinese_numerals_is_read(org_client, db):
    token, html = start(org_client, UNPLACED_UNIT.replace("2026年1月20日", "二〇二六年一月二十日"))
    assert 'id="held_on" name="held_on" value="2026-01-20"' in html and "会议日期取自文档" in html


def _secretary(db, unit, name):
    user = User(name=name, role=Role.SECRETARY, unit_id=unit.id)
    db.session.add(user)
    db.session.commit()
    return user


def test_mapped_unit_keeps_its_current_secretary_unless_another_real_name(org_client, db):
    qingshan, lvshui = Unit(name="青山镇", kind="镇"), Unit(name="绿水乡", kind="乡")
    db.session.add_all([qingshan, lvshui])
    db.session.commit()
    current_q = _secretary(db, qingshan, "张三")   # the heading names him: he owns the tasks
    current_l = _secretary(db, lvshui, "王八")     # the heading names 李四: the user must choose
    users_before = db.session.scalar(select(func.count()).select_from(User))
    token, html = start(org_client, TRANSCRIPT)
    assert '<option value="current" selected>现任书记：张三' in html
    assert '<option value="" selected>请选择…' in html and "新建书记：李四" in html
    response = submit(org_client, token, html, "confirm")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "与该单位现任书记“王八”不同" in page
    response = submit(org_client, token, page, "confirm", **{"s1-owner": "current"})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    db.session.expire_all()
    owners = {t.unit_id: t.owner_id for t in db.session.scalars(select(Task))}
    assert owners == {qingshan.id: current_q.id, lvshui.id: current_l.id}
    assert db.session.scalar(select(func.count()).select_from(User)) == users_before


def test_choosing_new_creates_the_named_secretary(org_client, db):
    lvshui = Unit(name="绿水乡", kind="乡")
    db.session.add(lvshui)
    db.session.commit()
    _secretary(db, lvshui, "王八")
    token, html = start(org_client, TRANSCRIPT)
    response = submit(org_client, token, html, "confirm", **{"s1-owner": "new"})
    assert response.status_code == 302
    db.session.expire_all()
    li = db.session.scalar(select(User).where(User.name == "李四"))
    assert li.unit_id == lvshui.id and {t.owner_id for t in db.session.scalars(select(Task).where(Task.unit_id == lvshui.id))} == {li.id}


def test_anonymised_secretary_is_never_created(org_client, db, sample_path):
    xx = Unit(name="县教育局", kind="县直部门")
    db.session.add(xx)
    db.session.commit()
    token, html = start(org_client, sample_path.read_text(encoding="utf-8"))
    assert "新建书记：XXX" not in html
    response = submit(org_client, token, html, "confirm", held_on="2022-01-20")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    db.session.expire_all()
    names = db.session.scalars(select(User.name).where(User.role == Role.SECRETARY)).all()
    assert names and not any("XX" in name for name in names)


@pytest.mark.parametrize("op", ["confirm", "save", "delete:s0-p0", "mark:10"])
def test_another_users_pending_import_answers_404(org_client, app, db, op):
    from tests.webhelpers import csrf_token, login

    token, _ = start(org_client)
    quick_user(db.session, Role.ORG_DEPT, username="zzb2", name="另一位")
    db.session.commit()
    other = app.test_client()
    login(other, "zzb2")
    assert other.post(f"/imports/{token}", data={"op": op, "csrf_token": csrf_token(other, "/imports/")}).status_code == 404
    assert other.get(f"/imports/{token}").status_code == 404
