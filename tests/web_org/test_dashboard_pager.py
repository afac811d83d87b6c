"""The capped-count pager: a long list counts a bounded number of rows and says so ("5000+ 项")."""
from jinja2 import Template
from sqlalchemy import select

from tests.factories import make_review, make_task, make_unit
from tracker.models import Task
from tracker.web.main import paginate_capped, paginate_rows

PAGER = "第 {{ page.page }} / {{ page.pages }} 页，共 {{ page.total }} 项"  # as templates/_macros.html says it


def _tasks(db, n):
    s = db.session
    unit, review = make_unit(s), make_review(s)
    for i in range(n):
        make_task(s, unit, review=review, text=f"问题{i}")
    s.commit()


def test_counts_up_to_the_cap_and_says_so(app, db):
    _tasks(db, 12)
    query = select(Task).order_by(Task.id)
    with app.test_request_context("/?page=1"):
        page = paginate_capped(query, per_page=2, cap=5)
        assert [t.problem_text for t in page.items] == ["问题0", "问题1"]
        assert page.total == 5 and page.capped and page.has_next
        assert Template(PAGER).render(page=page) == "第 1 / 3+ 页，共 5+ 项"
    with app.test_request_context("/?page=4"):  # past the cap: still knows there is more
        page = paginate_capped(query, per_page=2, cap=5)
        assert [t.problem_text for t in page.items] == ["问题6", "问题7"]
        assert page.has_next and str(page.total) == "8+"
    with app.test_request_context("/?page=6"):
        page = paginate_capped(query, per_page=2, cap=5)
        assert not page.capped and page.total == 12 and not page.has_next
    with app.test_request_context("/"):
        exact = paginate_capped(query, per_page=2, cap=50)
        assert not exact.capped and Template(PAGER).render(page=exact) == "第 1 / 6 页，共 12 项"
        rows = paginate_rows(select(Task.id, Task.problem_text).order_by(Task.id), per_page=5,
                             row=lambda r: r.problem_text)
        assert rows.items[0] == "问题0" and rows.total == 12 and rows.pages == 3
