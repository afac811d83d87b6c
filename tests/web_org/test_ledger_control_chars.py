"""Text pasted from Word carries control characters xlsx forbids; the ledger must still download."""
import io
from datetime import timedelta

import openpyxl

from tests.factories import make_review, make_task
from tests.web_org.conftest import today
from tests.webhelpers import login


def test_control_characters_are_dropped_not_fatal(client, db, world):
    review = make_review(db.session, title="控制字符会议")
    task = make_task(db.session, world.unit_a, world.users["secretary_own"], review,
                     deadline=today() + timedelta(days=9), text="问题\x07描述")
    task.measures = "第一步\x0b第二步\x1f"
    db.session.commit()

    login(client, "zzb")
    response = client.get(f"/ledger/download?review={review.id}")
    assert response.status_code == 200
    row = next(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(min_row=4, values_only=True))  # after the title, 填报 and header rows
    assert row[3] == "问题描述"
    assert row[4] == "第一步\n第二步"
