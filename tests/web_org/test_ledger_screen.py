"""The 整改台账 on screen: filtered in the database and shown a page at a time; a row keeps its 序号 of the sheet."""
import re
from datetime import timedelta

from tests.factories import make_review
from tests.web_org.conftest import today
from tests.webhelpers import login
from tracker.models import Task, TaskStatus
from tracker.services.dashboard import OVERALL_UNIT_LABEL
from tracker.web.main import PER_PAGE

NUMBER = re.compile(r'data-label="序号" class="pre">(\d+)<')
TOTAL = PER_PAGE + 5


def numbers(html: str) -> list[int]:
    table = html[html.index('id="ledger-table"'):]
    return [int(n) for n in NUMBER.findall(table)]


def long_review(db, world):
    """TOTAL tasks of unit A (the 16th also has a measure to search for), in 点评 order."""
    review = make_review(db.session, title="2027年度述职评议会议")
    db.session.add_all([
        Task(review_id=review.id, unit_id=world.unit_a.id, owner_id=world.users["secretary_own"].id, position=n,
             ledger_position=n, problem_text=f"第{n}个问题", task_type="限期整改", deadline=today() + timedelta(days=9),
             status=TaskStatus.IN_PROGRESS if n % 2 else TaskStatus.PENDING,
             measures="建立100%覆盖的台账_制度" if n == 16 else None)
        for n in range(1, TOTAL + 1)])
    db.session.commit()
    return review


def test_a_long_ledger_is_shown_a_page_at_a_time(client, db, world):
    review = long_review(db, world)
    login(client, "zzb")
    first = client.get(f"/ledger/?review={review.id}").get_data(as_text=True)
    assert numbers(first) == list(range(1, PER_PAGE + 1))
    assert f"第 1 / 2 页，共 {TOTAL} 项" in first and f"共 {TOTAL} 项</p>" in first
    second = client.get(f"/ledger/?review={review.id}&page=2").get_data(as_text=True)
    assert numbers(second) == list(range(PER_PAGE + 1, TOTAL + 1))


def test_filters_run_in_the_database_and_rows_keep_their_number(client, db, world):
    review = long_review(db, world)
    login(client, "zzb")
    found = client.get(f"/ledger/?review={review.id}&q=100%25覆盖").get_data(as_text=True)
    assert numbers(found) == [16] and f"共 {TOTAL} 项，筛选后 1 项" in found
    assert numbers(client.get(f"/ledger/?review={review.id}&q=%25").get_data(as_text=True)) == [16]  # % is text
    assert numbers(client.get(f"/ledger/?review={review.id}&q=第7个").get_data(as_text=True)) == [7]
    pending = client.get(f"/ledger/?review={review.id}&status=待整改&page=1").get_data(as_text=True)
    assert numbers(pending) == list(range(2, TOTAL + 1, 2))[:PER_PAGE]
    assert "下一页" not in pending  # 27 rows: one page, the filter kept by the pager's links


def test_unit_filter_and_the_overall_problems(client, db, world):
    login(client, "zzb")
    url = f"/ledger/?review={world.review.id}"
    html = client.get(url).get_data(as_text=True)
    assert f'<option value="{OVERALL_UNIT_LABEL}"' in html and '<option value="青山镇"' in html
    assert numbers(html) == [1, 2, 3, 4, 5]
    assert numbers(client.get(f"{url}&unit=青山镇").get_data(as_text=True)) == [1, 2]
    overall = client.get(f"{url}&unit={OVERALL_UNIT_LABEL}").get_data(as_text=True)
    assert numbers(overall) == [5] and "全县共性问题：软弱涣散" in overall[overall.index('id="ledger-table"'):]
    assert numbers(client.get(f"{url}&unit=没有这个单位").get_data(as_text=True)) == []


def test_a_secretary_sees_the_own_units_rows_numbered_in_their_own_ledger(client, db, world):
    review = long_review(db, world)
    login(client, "sec-b")
    html = client.get(f"/ledger/?review={world.review.id}").get_data(as_text=True)
    table = html[html.index('id="ledger-table"'):]
    assert numbers(html) == [1, 2] and "问题四：已经整改" in table and "问题一" not in table
    assert 'id="l-unit"' not in html
    assert client.get(f"/ledger/?review={review.id}").status_code == 404  # none of unit B's tasks there
