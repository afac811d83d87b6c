"""A secretary on a phone-sized screen: log in, open a task, submit the plan, report progress with a photo,
apply for 销号 — checked on the page and in the database."""
import pytest
from sqlalchemy import select

from tests.webhelpers import World, browser_login, tiny_png
from tracker.models import Evidence, ProgressUpdate, TaskStatus, UpdateKind

pytestmark = pytest.mark.browser


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_secretary_works_a_task_to_closure_request(app, db, live_server, mobile_page):
    world = World(app, db.session)
    page = mobile_page
    base = live_server.url

    browser_login(page, base, "sec-a")
    page.wait_for_selector("h1:has-text('我的整改任务')")
    assert page.url == f"{base}/my/tasks"
    assert "绿水乡的问题" not in page.content()
    assert _no_horizontal_scroll(page)

    with page.expect_navigation():
        page.click("text=青山镇的问题")
    assert page.url == f"{base}/tasks/{world.task_a.id}"
    page.wait_for_selector("li.current:has-text('青山镇的问题')")
    assert _no_horizontal_scroll(page)

    page.fill("textarea[name=measures]", "召开专题会议，建立问题清单")
    page.fill("input[name=responsible_person]", "王副镇长")
    with page.expect_navigation():
        page.click("#plan button[type=submit]")
    page.wait_for_selector(".flash-success:has-text('整改措施已提交')")
    assert "状态：待整改 → 整改中" in page.inner_text(".timeline")

    page.fill("textarea[name=body]", "已整改完成一半，附现场照片")
    page.set_input_files("input[name=files]", files=[{"name": "现场照片.png", "mimeType": "image/png",
                                                        "buffer": tiny_png()}])
    with page.expect_navigation():
        page.click("#progress button[type=submit]")
    page.wait_for_selector(".flash-success:has-text('整改进展已提交')")
    link = page.locator(".timeline a:has-text('现场照片.png')")
    assert link.count() == 1

    page.click("#closure > summary")  # folded: the 待办 asks for progress first
    page.fill("textarea[name=summary]", "问题已全部整改到位")
    with page.expect_navigation():
        page.click("#closure button[type=submit]")
    page.wait_for_selector(".flash-success:has-text('已申请销号')")
    assert "待销号审核" in page.inner_text(".facts")
    assert page.locator("#closure").count() == 0
    assert _no_horizontal_scroll(page)

    with page.expect_download() as download_info:
        link.first.click()
    assert download_info.value.suggested_filename == "现场照片.png"

    db.session.rollback()  # see what the live server committed
    task = db.session.get(type(world.task_a), world.task_a.id)
    db.session.refresh(task)
    assert task.status == TaskStatus.AWAITING_VERIFICATION
    assert task.measures == "召开专题会议，建立问题清单" and task.responsible_person == "王副镇长"
    kinds = db.session.scalars(select(ProgressUpdate.kind).where(ProgressUpdate.task_id == task.id)
                               .order_by(ProgressUpdate.id)).all()
    assert kinds == [UpdateKind.PROGRESS, UpdateKind.PLAN, UpdateKind.PROGRESS, UpdateKind.CLOSURE_REQUEST]
    photo = db.session.scalar(select(Evidence).where(Evidence.original_name == "现场照片.png"))
    assert photo.task_id == task.id and photo.size == len(tiny_png()) and photo.content_type == "image/png"
