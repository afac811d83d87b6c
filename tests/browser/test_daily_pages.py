"""The daily pages in Chromium at 375 px (a phone) and 1366 px (the department's laptops): the 退回 reason on
top, verification from the evidence panel, the 工作台 worst first, the Chinese 404. Screenshots of the main
pages go to $TRACKER_SCREENSHOTS (default /tmp/shots) for people to look at."""
import os
from datetime import timedelta
from pathlib import Path

import pytest

from tests.web_org.conftest import build_world
from tests.webhelpers import browser_login, tiny_png
from tracker.models import Evidence, TaskStatus
from tracker.models.types import utcnow
from tracker.services import workflow
from tracker.services.lights import light_for, worst

pytestmark = pytest.mark.browser
WIDTHS = {"phone": (375, 740), "laptop": (1366, 800)}
SHOTS = Path(os.environ.get("TRACKER_SCREENSHOTS", "/tmp/shots"))


@pytest.fixture(params=list(WIDTHS))
def sized(request, browser, live_server):
    width, height = WIDTHS[request.param]
    options = {"is_mobile": True, "has_touch": True} if request.param == "phone" else {}
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    yield request.param, context.new_page()
    context.close()


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _shot(page, name: str, size: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=True)


def test_secretary_after_return_sees_the_reason_first(app, db, live_server, sized):
    size, page = sized
    world = build_world(db.session)
    org = world.users["org_dept"]
    workflow.return_task(db.session, world.awaiting, actor=org, now=utcnow(), reason="佐证材料不足，请补充会议纪要")
    db.session.commit()
    browser_login(page, live_server.url, "sec-a")
    page.goto(f"{live_server.url}/tasks/{world.awaiting.id}")
    todo = page.locator("#todo")
    assert "已被退回" in todo.inner_text() and "佐证材料不足，请补充会议纪要" in todo.inner_text()
    # On top: the reason is on the first screen, above the task's facts.
    assert page.locator("#return-reason").bounding_box()["y"] < page.locator(".facts").bounding_box()["y"]
    assert page.locator("#return-reason").bounding_box()["y"] < WIDTHS[size][1]
    assert page.locator("#closure").get_attribute("open") is not None  # the form that fits is open
    assert page.locator("#plan").get_attribute("open") is None
    assert _fits(page)
    _shot(page, "secretary-task-returned", size)
    page.goto(f"{live_server.url}/my/tasks")
    assert _fits(page)
    _shot(page, "secretary-tasks", size)


def test_org_dept_verifies_from_the_evidence_panel(app, db, live_server, sized):
    size, page = sized
    world = build_world(db.session)
    upload_dir = Path(app.config["UPLOAD_DIR"])
    upload_dir.mkdir(parents=True, exist_ok=True)
    (upload_dir / "photo-1.png").write_bytes(tiny_png())
    db.session.add(Evidence(task_id=world.awaiting.id, original_name="现场照片.png", stored_name="photo-1.png",
                            content_type="image/png", size=len(tiny_png()), sha256="0" * 64))
    db.session.commit()
    browser_login(page, live_server.url, "zzb")
    page.goto(f"{live_server.url}/org/tasks/{world.awaiting.id}")
    panel = page.locator("#verification")
    assert panel.locator("img[alt='现场照片.png']").count() == 1
    assert "整改进展：已报送" in panel.inner_text() and "（本任务）" in panel.inner_text()
    assert panel.locator("li.current").inner_text().startswith("问题一")
    _shot(page, "org-task-verification", size)
    assert _fits(page)
    panel.locator("label:has-text('较好') input").check()
    with page.expect_navigation():
        panel.locator("#verify-form button[type=submit]").click()
    page.wait_for_selector(".flash-success:has-text('已审核销号')")
    db.session.rollback()
    task = db.session.get(type(world.awaiting), world.awaiting.id)
    db.session.refresh(task)
    assert task.status == TaskStatus.CLOSED and task.assessment == "较好"


def test_dashboard_ranks_a_red_unit_first_with_its_tasks_light(app, db, live_server, sized):
    size, page = sized
    world = build_world(db.session)
    browser_login(page, live_server.url, "zzb")
    page.goto(f"{live_server.url}/org/")
    first = page.locator("#unit-table tbody tr").first
    assert "青山镇" in first.inner_text()  # overdue and under 督办
    shown = first.locator(".light").inner_text()
    today = (utcnow() + timedelta(hours=8)).date()
    keys = [light_for(t, today, 7).key for t in (world.awaiting, world.overdue, world.a_only)]
    assert shown == {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "closed": "已销号"}[worst(keys)] == "红灯"
    strip = page.locator(".light-strip")
    assert strip.locator("#light-red b").inner_text() != "0"
    if size == "laptop":  # the tiles fit one row at 1366 px
        tops = {round(box["y"]) for box in (t.bounding_box() for t in page.locator(".tiles .tile").all())}
        assert len(tops) == 1, tops
    assert _fits(page)
    _shot(page, "org-dashboard", size)
    for name, path in (("org-tasks", "/org/tasks"), ("ledger", f"/ledger/?review={world.review.id}"),
                       ("login", "/login")):
        page.goto(f"{live_server.url}{path}")
        if name != "ledger":  # the ledger's 14 columns scroll inside their own box
            assert _fits(page), name
        _shot(page, name, size)


def test_the_404_page_is_chinese_and_fits_the_phone(app, db, live_server, sized):
    size, page = sized
    build_world(db.session)
    browser_login(page, live_server.url, "sec-b")
    response = page.goto(f"{live_server.url}/org/tasks/1")
    assert response.status == 404
    assert "未找到该页面，或您无权查看" in page.inner_text("main")
    assert page.locator("nav.nav").inner_text().strip()  # the site's navigation is there
    assert _fits(page)
    _shot(page, "error-404", size)
