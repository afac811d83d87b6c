"""The task list: filters, search with LIKE wildcards escaped, pagination; 纪委's escalated list."""
import re
from datetime import timedelta

from tests.factories import make_task
from tests.web_org.conftest import today
from tests.webhelpers import login


def listed_ids(html):
    return [int(i) for i in re.findall(r'href="/org/tasks/(\d+)"', html)]


def test_filters(client, world):
    login(client, "zzb")
    ids = lambda q: set(listed_ids(client.get("/org/tasks" + q).get_data(as_text=True)))  # noqa: E731
    assert ids("") == set(world.task_ids())
    assert ids(f"?review={world.review.id}") == set(world.task_ids()) - {world.a_only.id}
    assert ids(f"?unit={world.unit_b.id}") == {world.script.id, world.closed.id}
    assert ids("?unit=overall") == {world.overall.id}
    assert ids("?status=已销号") == {world.closed.id}
    assert ids("?overdue=1") == {world.overdue.id}
    assert ids("?level=1") == {world.overdue.id}
    assert ids("?level=any") == {world.overdue.id}
    assert ids("?type=长期坚持") == set()
    assert ids("?q=集体经济") == {world.overdue.id}
    assert ids("?status=bogus&level=9&unit=x") == set(world.task_ids())  # unknown values filter nothing


def test_search_escapes_wildcards(client, db, world):
    d = today() + timedelta(days=9)
    percent = make_task(db.session, world.unit_a, review=world.review, deadline=d, text="完成率100%以上")
    plain = make_task(db.session, world.unit_a, review=world.review, deadline=d, text="完成率1000以上")
    under = make_task(db.session, world.unit_a, review=world.review, deadline=d, text="a_b问题")
    axb = make_task(db.session, world.unit_a, review=world.review, deadline=d, text="axb问题")
    db.session.commit()
    login(client, "zzb")
    assert set(listed_ids(client.get("/org/tasks?q=100%25").get_data(as_text=True))) == {percent.id}
    assert set(listed_ids(client.get("/org/tasks?q=a_b").get_data(as_text=True))) == {under.id}
    assert plain.id in listed_ids(client.get("/org/tasks?q=1000").get_data(as_text=True))
    assert axb.id in listed_ids(client.get("/org/tasks?q=axb").get_data(as_text=True))


def test_pagination(client, db, world):
    for n in range(55):
        make_task(db.session, world.unit_a, review=world.review, deadline=today() + timedelta(days=5), text=f"批量问题{n}")
    db.session.commit()
    login(client, "zzb")
    first = client.get("/org/tasks?q=批量问题").get_data(as_text=True)
    second = client.get("/org/tasks?q=批量问题&page=2").get_data(as_text=True)
    assert "共 55 个任务" in first and "第 1/2 页" in first
    assert len(listed_ids(first)) == 50 and len(listed_ids(second)) == 5
    assert not set(listed_ids(first)) & set(listed_ids(second))
    assert "page=2" in first and "q=%E6%89%B9" in first  # the next-page link keeps the search


def test_escalated_list_for_discipline(client, world):
    login(client, "jw")
    html = client.get("/org/escalated").get_data(as_text=True)
    assert listed_ids(html) == [world.overdue.id]
    # a task not escalated is not visible to 纪委, even by id
    assert client.get(f"/org/tasks/{world.awaiting.id}").status_code == 404


def test_secretary_cannot_open_own_task_here(client, world):
    login(client, "sec-a")
    assert client.get(f"/org/tasks/{world.awaiting.id}").status_code == 404
    assert client.get("/org/tasks/99999").status_code == 404
