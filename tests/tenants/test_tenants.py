"""Counties as tenants: who sees which county, the city's and province's rollup, and the county's own
creations (imports, units, accounts) staying in it. On the two-county world of tests/tenants/world.py."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select

from tests.tenants.world import build_tenants
from tests.webhelpers import login
from tracker.models import Task, TaskStatus, TaskType, Unit
from tracker.services import access, rollup
from tracker.services.errors import DomainError, PermissionDenied


@pytest.fixture
def tenants(app, db):
    return build_tenants(app, db.session)


def _ids(db, query) -> set[int]:
    return set(db.session.scalars(query.with_only_columns(Task.id)))


def _county_task_ids(db, county) -> set[int]:
    return set(db.session.scalars(select(Task.id).where(Task.county_id == county.node.id)))


def test_task_county_follows_its_unit_and_county_wide_tasks_their_review(db, tenants):
    for county in (tenants.east, tenants.west, tenants.far):
        unit_id = county.records.unit.id
        tasks = db.session.scalars(select(Task).where(Task.unit_id == unit_id)).all()
        assert tasks and {t.county_id for t in tasks} == {county.node.id}
    assert tenants.east.overall.county_id == tenants.east.node.id


def test_each_account_sees_its_subtree_only(db, tenants):
    east, west, far = (_county_task_ids(db, c) for c in (tenants.east, tenants.west, tenants.far))
    users = tenants.users
    assert _ids(db, access.visible_tasks(users["org_e"])) == east
    assert _ids(db, access.visible_tasks(users["org_w"])) == west
    assert _ids(db, access.visible_tasks(users["org_city"])) == east | west
    assert _ids(db, access.visible_tasks(users["org_prov"])) == east | west | far
    assert _ids(db, access.visible_tasks(users["org_other_city"])) == far
    escalated_east = {t.id for t in db.session.scalars(select(Task).where(
        Task.county_id == tenants.east.node.id, Task.escalation_level >= 1))}
    assert escalated_east and _ids(db, access.visible_tasks(users["disc_e"])) == escalated_east
    assert access.can_view_task(users["org_city"], tenants.west.records.task)
    assert not access.can_view_task(users["org_e"], tenants.west.records.task)
    assert not access.can_view_task(users["org_e"], tenants.west.overall)
    assert not access.can_view_task(users["disc_e"], tenants.west.records.escalated)
    assert access.can_view_task(users["disc_e"], tenants.east.records.escalated)


def test_unit_scope_is_the_units_of_the_subtree(db, tenants):
    scope = access.unit_scope(tenants.users["org_city"])
    assert set(db.session.scalars(scope)) == {tenants.east.records.unit.id, tenants.west.records.unit.id}
    assert set(db.session.scalars(access.unit_scope(tenants.users["org_e"]))) == {tenants.east.records.unit.id}
    assert access.unit_scope(tenants.users["admin"]) is None  # an install-wide account


def test_task_pages_and_lists_of_another_county_are_closed(app, tenants):
    client = app.test_client()
    login(client, tenants.users["org_e"].username)
    west = tenants.west.records
    for url in (f"/org/tasks/{west.task.id}", f"/tasks/{west.task.id}", f"/evidence/{west.evidence.id}",
                f"/tasks/{tenants.west.overall.id}", f"/counties/{tenants.west.node.id}"):
        assert client.get(url).status_code == 404, url
    listing = client.get("/org/tasks").get_data(as_text=True)
    assert "东山县共性问题" in listing and "西河县共性问题" not in listing
    assert client.get(f"/org/tasks/{tenants.east.records.task.id}").status_code == 200


def test_the_city_sees_its_counties_rolled_up_and_drills_down(app, db, tenants):
    west_closed = tenants.west.records.task
    west_closed.status, west_closed.closed_at = TaskStatus.CLOSED, west_closed.created_at
    db.session.commit()
    client = app.test_client()
    login(client, tenants.users["org_city"].username)
    page = client.get("/counties/").get_data(as_text=True)
    assert "东山县" in page and "西河县" in page and "北岭县" not in page
    rows = {r.name: r for r in rollup.by_county(db.session, scope=access.county_scope(tenants.users["org_city"]),
                                               today=tenants.today)}
    assert set(rows) == {"东山县", "西河县"}
    for county in (tenants.east, tenants.west):
        tasks = db.session.scalars(select(Task).where(Task.county_id == county.node.id)).all()
        row = rows[county.node.name]
        assert row.total == len(tasks)
        assert row.closed == sum(t.status == TaskStatus.CLOSED for t in tasks)
        assert row.open == row.total - row.closed
        assert row.overdue == sum(t.status != TaskStatus.CLOSED and t.deadline is not None
                                  and t.deadline < tenants.today and t.task_type != TaskType.ONGOING
                                  for t in tasks)
        assert row.levels == {level: sum(t.status != TaskStatus.CLOSED and t.escalation_level == level
                                         for t in tasks) for level in (1, 2, 3)}
    assert rows["西河县"].closed == 1 and rows["东山县"].closed == 0
    drilled = rollup.totals(rollup.by_unit(db.session, tenants.west.node.id, today=tenants.today))
    assert (drilled.total, drilled.open, drilled.overdue, drilled.closed, drilled.levels) == (
        rows["西河县"].total, rows["西河县"].open, rows["西河县"].overdue, rows["西河县"].closed, rows["西河县"].levels)
    assert f"{rows['西河县'].closure_rate * 100:.1f}%" in page and rows["东山县"].closure_rate == 0
    drill = client.get(f"/counties/{tenants.west.node.id}")
    assert drill.status_code == 200
    text = drill.get_data(as_text=True)
    assert "青山镇" in text and "全县共性问题" in text
    assert client.get(f"/counties/{tenants.far.node.id}").status_code == 404


def test_the_rollup_is_one_statement_whatever_the_number_of_counties(app, db, tenants):
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    scope = access.county_scope(tenants.users["org_prov"])
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = rollup.by_county(db.session, scope=scope, today=tenants.today)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(rows) == 3 and len(statements) == 1, statements


def test_an_import_names_units_of_its_own_county_only(app, db, tenants):
    """Both counties have a 青山镇: 西河县's import makes its tasks on its own 青山镇, never on 东山县's."""
    from tracker.models.types import utcnow
    from tracker.parser import parse_text
    from tracker.services.importer import apply_plan, build_plan
    from tracker.settings import settings

    text = ("一、请青山镇党委书记张三同志述职。\n※※※※※※\n"
            "点评：青山镇工作扎实。但还存在以下问题：一是档案管理混乱。二是制度落实不到位。\n希望张三同志进一步加强。\n")
    parsed = parse_text(text)
    plan = build_plan(parsed, text=text, source_filename="评议.txt", held_on=tenants.today,
                      deadline=tenants.today + timedelta(days=30))
    result = apply_plan(db.session, plan, actor=tenants.users["org_w"], now=utcnow(), rules=settings().rules,
                        tz=settings().timezone)
    assert result.review.county_id == tenants.west.node.id
    assert result.tasks and {t.unit_id for t in result.tasks} <= {tenants.west.records.unit.id}
    db.session.rollback()
    with pytest.raises(DomainError, match="选择导入到哪个县"):
        apply_plan(db.session, plan, actor=tenants.users["org_city"], now=utcnow(), rules=settings().rules,
                   tz=settings().timezone)
    db.session.rollback()
    result = apply_plan(db.session, plan, actor=tenants.users["org_city"], now=utcnow(), rules=settings().rules,
                        tz=settings().timezone, county_id=tenants.east.node.id)
    assert {t.county_id for t in result.tasks} == {tenants.east.node.id}
    db.session.rollback()
    with pytest.raises(DomainError):
        apply_plan(db.session, plan, actor=tenants.users["org_w"], now=utcnow(), rules=settings().rules,
                   tz=settings().timezone, county_id=tenants.east.node.id)
    db.session.rollback()


def test_units_and_accounts_of_another_county_are_not_managed(app, db, tenants):
    from tracker.models.types import utcnow
    from tracker.services import accounts, units

    org_e, west = tenants.users["org_e"], tenants.west.records
    with pytest.raises(PermissionDenied):
        units.rename_unit(db.session, west.unit, "白云镇", actor=org_e, now=utcnow())
    with pytest.raises(PermissionDenied):
        units.merge_unit(db.session, tenants.east.records.unit, west.unit, actor=org_e, now=utcnow())
    with pytest.raises(DomainError, match="其他县"):
        units.merge_unit(db.session, tenants.east.records.unit, west.unit, actor=tenants.users["org_city"],
                         now=utcnow())
    assert not accounts.can_manage_user(org_e, west.secretary)
    assert accounts.can_manage_user(org_e, tenants.east.records.secretary)
    assert accounts.can_manage_user(tenants.users["org_city"], west.secretary)
    with pytest.raises(PermissionDenied):
        accounts.create_user(db.session, username="new-sec", name="赵六", role="secretary", email=None,
                             unit=west.unit, password=None, actor=org_e, now=utcnow())
    listing = units.unit_listing(db.session, scope=access.unit_scope(org_e))
    assert [row.unit.id for row in listing.rows] == [tenants.east.records.unit.id]
    db.session.rollback()
    client = app.test_client()
    login(client, org_e.username)
    assert client.get(f"/admin/users/{west.secretary.id}/edit").status_code == 404
    assert client.get(f"/admin/users/{tenants.east.records.secretary.id}/edit").status_code == 200


def test_a_county_install_is_one_default_county(app, db):
    """No tree at all: the first account makes the county, and everything made after belongs to it."""
    from tests.factories import make_review, make_task, make_unit
    from tracker.models import Organization
    from tracker.models.types import utcnow
    from tracker.services import accounts

    user = accounts.create_user(db.session, username="zzb", name="王组织", role="org_dept", email=None, unit=None,
                                password=None, actor=None, now=utcnow())
    county = db.session.scalar(select(Organization))
    assert county.is_default and county.is_county and user.organization_id is None
    unit = make_unit(db.session, "青山镇")
    task = make_task(db.session, unit, None, make_review(db.session))
    assert unit.county_id == task.county_id == task.review.county_id == county.id
    assert db.session.scalar(select(func.count(Organization.id))) == 1
    assert access.unit_scope(user) is None and set(db.session.scalars(select(Unit.id))) == {unit.id}


def test_the_users_page_lists_the_counties_accounts_and_admins_attach_accounts(app, db, tenants):
    from tests.webhelpers import post_form
    from tracker.models import User

    client = app.test_client()
    login(client, tenants.users["org_e"].username)
    page = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{tenants.east.records.secretary.id}/edit" in page
    assert f"/admin/users/{tenants.west.records.secretary.id}/edit" not in page
    assert "所属组织部门" not in client.get("/admin/users/new").get_data(as_text=True)  # secretaries go by unit

    admin = app.test_client()
    login(admin, tenants.users["admin"].username)
    form = admin.get("/admin/users/new").get_data(as_text=True)
    assert "所属组织部门" in form and "西河县（县）" in form
    response = post_form(admin, "/admin/users/new", {"username": "zzb-w2", "name": "孙组织", "role": "org_dept",
                                                     "unit_id": "0", "organization_id": str(tenants.west.node.id),
                                                     "email": ""}, form_url="/admin/users/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    made = db.session.scalar(select(User).where(User.username == "zzb-w2"))
    assert made.organization_id == tenants.west.node.id
    assert _ids(db, access.visible_tasks(made)) == _county_task_ids(db, tenants.west)


def test_a_county_admin_cannot_make_an_install_wide_account(db, tenants):
    from tracker.models import User
    from tracker.models.types import utcnow
    from tracker.services import accounts

    admin_e = db.session.scalar(select(User).where(User.username == "admin"))
    admin_e.organization_id = tenants.east.node.id
    with pytest.raises(PermissionDenied):
        accounts.create_user(db.session, username="x", name="某", role="org_dept", email=None, unit=None,
                             password=None, actor=admin_e, now=utcnow())
    with pytest.raises(PermissionDenied):
        accounts.create_user(db.session, username="y", name="某", role="org_dept", email=None, unit=None,
                             password=None, actor=admin_e, now=utcnow(), organization=tenants.west.node)
    user = accounts.create_user(db.session, username="z", name="某", role="org_dept", email=None, unit=None,
                                password=None, actor=admin_e, now=utcnow(), organization=tenants.east.node)
    assert user.organization_id == tenants.east.node.id
    db.session.rollback()


def test_the_roster_export_holds_the_countys_units_only(db, tenants):
    from tracker.roster.apply import roster_rows

    everyone = roster_rows(db.session)
    east = roster_rows(db.session, access.unit_scope(tenants.users["org_e"]))
    city = roster_rows(db.session, access.unit_scope(tenants.users["org_city"]))
    per_unit = len(everyone) // 3  # one 青山镇 per county, the same secretaries in each
    assert len(east) == per_unit and len(city) == 2 * per_unit and per_unit >= 1


def test_mail_recipients_of_a_county_are_its_own_and_the_levels_above(db, tenants):
    from tracker.models import User

    covering = access.ancestors_of_counties(db.session)
    users = tenants.users
    east = tenants.east.node.id
    assert covering[east] == {east, tenants.city.id, tenants.province.id}
    assert [k for k in ("org_e", "org_w", "org_city", "org_prov", "org_other_city", "disc_e", "admin")
            if access.covers(users[k], east, covering)] == ["org_e", "org_city", "org_prov", "disc_e", "admin"]
    assert not access.covers(users["org_e"], None, covering)
    named = set(db.session.scalars(select(User.username).where(
        User.role.in_(("org_dept", "discipline")), access.staff_covering(db.session, tenants.west.node.id))))
    assert named == {"zzb-w", "org-city", "org-prov"}


def test_a_city_account_imports_into_the_county_it_chooses(app, db, tenants):
    """Through the browser: no county chosen is refused in words; 西河县 chosen, the preview offers 西河县's
    units only and the confirmed import lands there."""
    import io
    import re

    from tests.security.world import TRANSCRIPT
    from tests.webhelpers import csrf_token
    from tracker.models import Review

    client = app.test_client()
    login(client, tenants.users["org_city"].username)

    def upload(**extra):
        return client.post("/imports/", data={"csrf_token": csrf_token(client, "/imports/"), **extra,
                                              "document": (io.BytesIO(TRANSCRIPT.encode("utf-8")), "评议.txt")},
                           content_type="multipart/form-data")

    refused = upload()
    assert refused.status_code == 400 and "请选择导入到哪个县（市、区）" in refused.get_data(as_text=True)
    assert upload(county_id=str(tenants.far.node.id)).status_code == 400  # another city's county
    response = upload(county_id=str(tenants.west.node.id))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    first = re.search(r'<select id="s0-unit"[^>]*>(.*?)</select>', page, re.S).group(1)
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', first)}
    assert tenants.west.records.unit.id in offered and tenants.east.records.unit.id not in offered
    from tests.web_org.test_imports import form_of

    data = {**form_of(page), "op": "confirm", "s0-owner": "new", "held_on": tenants.today.isoformat()}
    confirmed = client.post(preview_url, data=data)
    assert confirmed.status_code == 302, re.findall(r"(?:alert|flash)[^>]*>([^<]+)<", confirmed.get_data(as_text=True))
    review = db.session.scalar(select(Review).order_by(Review.id.desc()))
    assert review.county_id == tenants.west.node.id
    tasks = db.session.scalars(select(Task).where(Task.review_id == review.id)).all()
    assert {t.county_id for t in tasks} == {tenants.west.node.id}
    assert tenants.west.records.unit.id in {t.unit_id for t in tasks}


def test_a_document_another_county_imported_is_refused_without_naming_it(app, db, tenants):
    import io

    from tests.webhelpers import csrf_token
    from tracker.models import Review

    east_review = db.session.get(Review, tenants.east.records.review.id)
    east_review.content_hash, east_review.title = _transcript_hash(), "东山县2026年度述职评议会议"
    db.session.commit()
    client = app.test_client()
    login(client, tenants.users["org_w"].username)
    from tests.security.world import TRANSCRIPT

    response = client.post("/imports/", data={"csrf_token": csrf_token(client, "/imports/"),
                                              "document": (io.BytesIO(TRANSCRIPT.encode("utf-8")), "评议.txt")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "已由其他县（市、区）导入" in html
    assert "东山县2026年度述职评议会议" not in html


def _transcript_hash() -> str:
    from tests.security.world import TRANSCRIPT
    from tracker.services.importer import content_hash

    return content_hash(TRANSCRIPT)


def test_the_dashboard_counts_the_countys_tasks_with_its_county_wide_problems(app, db, tenants):
    """A county 组织部's 工作台 totals are its county's tasks — its units' and its 全县共性问题 — and a city's
    are its counties'; the county-wide problems of another county are not counted."""
    def tasks_of(*nodes):
        return db.session.scalar(select(func.count(Task.id)).where(Task.county_id.in_([n.id for n in nodes])))

    for key, nodes in (("org_e", [tenants.east.node]), ("org_city", [tenants.east.node, tenants.west.node])):
        client = app.test_client()
        login(client, tenants.users[key].username)
        html = client.get("/org/").get_data(as_text=True)
        total = int(re.search(r'id="stat-total">(\d+)<', html).group(1))
        assert total == tasks_of(*nodes), key
        assert "全县共性问题" in html, key


def test_the_dashboards_notice_panel_shows_the_countys_unacknowledged_tasks_only(app, db, tenants):
    now = datetime.now(timezone.utc)
    for county in (tenants.east, tenants.west):
        county.records.task.last_notice_at = now - timedelta(hours=2)
    db.session.commit()
    client = app.test_client()
    login(client, tenants.users["org_e"].username)
    html = client.get("/org/").get_data(as_text=True)
    assert f'/notify/go/task/{tenants.east.records.task.id}"' in html
    assert f'/notify/go/task/{tenants.west.records.task.id}"' not in html
