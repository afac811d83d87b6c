"""Renaming and merging units flagged by an import: audited, one transaction, bad input changes nothing; the
page stays one page of 50 rows with one merge target list however many units a city has."""
import re

from sqlalchemy import func, select

from tests.factories import make_task, make_unit
from tests.web_org.conftest import SCRIPT, today
from tests.webhelpers import login, post_form, quick_user
from tracker.models import AuditEvent, Comment, Role, Task, Unit, UnitKind, User
from tracker.services import units


def flagged(db, name="XX镇"):
    unit = make_unit(db.session, name)
    unit.needs_rename = True
    return unit


def audit_count(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_units_page_lists_flagged_first(client, db, world):
    unit = flagged(db)
    db.session.commit()
    login(client, "zzb")
    html = client.get("/org/units").get_data(as_text=True)
    assert "待更名" in html and html.index("XX镇") < html.index("青山镇")
    assert html.index(f'id="unit-{unit.id}"') < html.index(f'id="unit-{world.unit_a.id}"')


def test_merge_is_offered_for_flagged_units_from_one_shared_target_list(client, db, world):
    unit, other = flagged(db), flagged(db, "XX乡")
    db.session.commit()
    login(client, "zzb")
    html = client.get("/org/units").get_data(as_text=True)
    assert html.count("<select") == 1 and html.count('id="merge-form"') == 1
    assert html.count("<option") == 1 + 4  # 请选择 and the four active units, once
    for source in (unit, other):
        assert f'form="merge-form" formaction="/org/units/{source.id}/merge"' in html
    assert f"/org/units/{world.unit_a.id}/merge" not in html and f"/org/units/{world.unit_b.id}/merge" not in html
    assert f"/org/units/{world.unit_a.id}/rename" in html  # any active unit may still be renamed
    # Without a 待更名 unit on the page there is nothing to merge: no target list at all.
    html = client.get("/org/units?q=青山").get_data(as_text=True)
    assert "<select" not in html and f'id="unit-{world.unit_a.id}"' in html and f'id="unit-{unit.id}"' not in html


def _add_units(db, start: int, count: int) -> None:
    """`count` more units, every tenth one 待更名 (as an import of anonymised names leaves them)."""
    db.session.add_all([Unit(name=f"测试单位{n:04d}", kind=UnitKind.TOWN, needs_rename=n % 10 == 0)
                        for n in range(start, start + count)])
    db.session.commit()


def _rows(html: str) -> int:
    return len(re.findall(r'<tr id="unit-\d+"', html))


def test_page_size_grows_linearly_not_with_the_square_of_units(client, db, world):
    login(client, "zzb")
    _add_units(db, 0, 100)
    small = client.get("/org/units").get_data(as_text=True)
    _add_units(db, 100, 200)
    large = client.get("/org/units").get_data(as_text=True)
    assert _rows(small) == _rows(large) == 50
    assert small.count("<select") == large.count("<select") == 1
    assert large.count("<option") == 1 + 302  # the 300 units and the world's two, once each
    # 200 more units add 200 target options and nothing per row: a few dozen characters per unit.
    per_unit = (len(large) - len(small)) / 200
    assert 0 < per_unit < 80, per_unit
    assert len(large) < 1.5 * len(small)
    # The rest is a page away: 302 units in 7 pages of 50, the last one holding 2.
    assert "共302个单位，每页50个" in large and "第 1 / 7 页" in large
    last = client.get("/org/units?page=7").get_data(as_text=True)
    assert _rows(last) == 2 and "上一页" in last and "下一页" not in last
    assert _rows(client.get("/org/units?page=99").get_data(as_text=True)) == 2  # past the end: the last page
    assert _rows(client.get("/org/units?page=x").get_data(as_text=True)) == 50


def test_search_by_name(client, db, world):
    _add_units(db, 0, 120)
    login(client, "zzb")
    html = client.get("/org/units?q=测试单位005").get_data(as_text=True)
    assert _rows(html) == 10 and "名称含“测试单位005”的单位共10个" in html and "测试单位0050" in html
    html = client.get("/org/units?q=测试单位").get_data(as_text=True)
    assert "第 1 / 3 页" in html and "/org/units?page=2&amp;q=%E6%B5%8B%E8%AF%95%E5%8D%95%E4%BD%8D" in html
    html = client.get("/org/units?q=%25").get_data(as_text=True)  # "%" is a character, not a wildcard
    assert _rows(html) == 0 and "没有名称含“%”的单位" in html
    html = client.get("/org/units", query_string={"q": SCRIPT}).get_data(as_text=True)
    assert SCRIPT not in html and "&lt;script&gt;" in html and _rows(html) == 1  # world.unit_b's name


def test_a_refused_merge_comes_back_on_the_same_search(client, db, world):
    unit = flagged(db)
    db.session.commit()
    login(client, "zzb")
    response = post_form(client, f"/org/units/{unit.id}/merge?q=XX", {"target_id": str(unit.id)},
                         form_url="/org/units")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "不能把单位并入它自己" in html
    assert 'value="XX"' in html and f'id="unit-{world.unit_a.id}"' not in html
    assert f'<option value="{unit.id}" selected>' in html  # the choice is kept beside the message
    # A message about a unit this page does not show is not lost.
    response = post_form(client, f"/org/units/{unit.id}/merge?q=青山", {"target_id": ""}, form_url="/org/units")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "请选择要并入的单位" in html and f'id="unit-{unit.id}"' not in html


def test_rename_clears_the_flag(client, db, world):
    unit = flagged(db)
    db.session.commit()
    login(client, "admin")
    response = post_form(client, f"/org/units/{unit.id}/rename", {"name": "东风镇"}, form_url="/org/units")
    assert response.status_code == 302
    db.session.expire_all()
    renamed = db.session.get(Unit, unit.id)
    assert renamed.name == "东风镇" and renamed.needs_rename is False
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "unit",
                                                         AuditEvent.entity_id == unit.id)).all()
    assert {(e.field, e.before, e.after) for e in events} >= {("name", "XX镇", "东风镇")}


def test_rename_refusals(client, db, world):
    unit = flagged(db)
    db.session.commit()
    login(client, "zzb")
    before = audit_count(db)
    for name, message in (("", "请填写新的单位名称"), ("XX乡", "仍是匿名化名称"), ("青山镇", "已有名为“青山镇”的单位"),
                          ("镇" * 101, "不能超过100个字")):
        response = post_form(client, f"/org/units/{unit.id}/rename", {"name": name}, form_url="/org/units")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert audit_count(db) == before
    assert db.session.get(Unit, unit.id).name == "XX镇"


def test_merge_moves_tasks_comments_and_users(client, db, world):
    unit = flagged(db)
    secretary = quick_user(db.session, Role.SECRETARY, unit, username="sec-x", name="某书记")
    moved = make_task(db.session, unit, secretary, world.review, deadline=today(), text="匿名单位的问题")
    db.session.commit()
    login(client, "zzb")
    response = post_form(client, f"/org/units/{unit.id}/merge", {"target_id": str(world.unit_a.id)},
                         form_url="/org/units")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, moved.id).unit_id == world.unit_a.id
    assert db.session.get(User, secretary.id).unit_id == world.unit_a.id
    assert db.session.scalar(select(func.count()).select_from(Comment).where(Comment.unit_id == unit.id)) == 0
    source = db.session.get(Unit, unit.id)
    assert source.merged_into_id == world.unit_a.id and source.needs_rename is False
    task_events = db.session.scalars(select(AuditEvent).where(AuditEvent.task_id == moved.id,
                                                              AuditEvent.action == "merge_unit")).all()
    assert [(e.field, e.before, e.after) for e in task_events] == [("unit_id", str(unit.id), str(world.unit_a.id))]
    # the merged unit is offered no more actions, and a second merge is refused
    response = post_form(client, f"/org/units/{unit.id}/merge", {"target_id": str(world.unit_b.id)},
                         form_url="/org/units")
    assert response.status_code == 400 and "已并入其他单位" in response.get_data(as_text=True)


def test_merge_refusals_change_nothing(client, db, world):
    unit = flagged(db)
    db.session.commit()
    login(client, "zzb")
    before = audit_count(db)
    for target, message in ((str(unit.id), "不能把单位并入它自己"), ("", "请选择要并入的单位"), ("99999", "请选择要并入的单位")):
        response = post_form(client, f"/org/units/{unit.id}/merge", {"target_id": target}, form_url="/org/units")
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert audit_count(db) == before
    # With a valid CSRF token, so that the answer is about the missing unit, not the token.
    assert post_form(client, "/org/units/99999/rename", {"name": "新名称"}, form_url="/org/units").status_code == 404


def test_unit_listing_pages_and_filters_in_sql(db, world):
    _add_units(db, 0, 120)
    merged = flagged(db, "XX村")
    merged.merged_into_id, merged.needs_rename = world.unit_a.id, False
    make_unit(db.session, "百分之100%单位")
    db.session.commit()
    first = units.unit_listing(db.session, q="", page=1)
    assert (first.total, first.pages, len(first.rows)) == (124, 3, 50)
    flagged_names = [f"测试单位{n:04d}" for n in range(0, 120, 10)]
    assert [row.unit.name for row in first.rows[:12]] == flagged_names  # 待更名 first
    assert {t.name for t in first.targets} == {u.name for u in db.session.scalars(
        select(Unit).where(Unit.merged_into_id.is_(None)))}
    last = units.unit_listing(db.session, q=None, page=99)  # past the end: the last page
    assert last.page == 3 and len(last.rows) == 24 and last.targets == []  # nothing to merge on it
    assert (last.rows[-1].unit.id, last.rows[-1].merged_into_name) == (merged.id, "青山镇")  # merged ones last
    assert [r.unit.name for r in units.unit_listing(db.session, q=" 100% ").rows] == ["百分之100%单位"]
    assert units.unit_listing(db.session, q="测试单位_").total == 0  # "_" is a character, not a wildcard
    assert units.unit_listing(db.session, q="测试单位01", page=0).page == 1


def test_the_page_renders_the_services_listing(app, db, world):
    """The page as it is rendered once the view passes units.unit_listing (see the report to the lead)."""
    from flask import render_template

    _add_units(db, 0, 120)
    with app.test_request_context("/org/units?q=测试单位&page=1"):
        listing = units.unit_listing(db.session, q="测试单位", page=1)
        html = render_template("org/units.html", listing=listing, errors={"merge99999": "请选择要并入的单位"},
                               values={})
    assert _rows(html) == 50 and html.count("<select") == 1 and html.count("<option") == 1 + 122
    assert "名称含“测试单位”的单位共120个，每页50个" in html and "第 1 / 3 页" in html
    assert html.count('form="merge-form"') == 12 and "请选择要并入的单位" in html
    # Each form comes back to this search after a refusal.
    assert f'action="/org/units/{listing.rows[0].unit.id}/rename?q=%E6%B5%8B%E8%AF%95%E5%8D%95%E4%BD%8D"' in html
