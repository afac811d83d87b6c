"""What the route × role walk needs for the issue-9 pages: a pending roster upload of 组织部 and a notice on
the 待电话转达 list. Made when the world is built, so that no case writes them while being checked."""
import io
import re

from tests.webhelpers import csrf_token, login
from tracker.models.notify import PhoneRelay


def roster_file() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["单位", "姓名", "职务", "手机号码", "电子邮箱", "备注"])
    book.active.append(["青山镇", "赵新", "党委书记", "13900001111", "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def extend(app, session, world) -> None:
    secretary = world.a.secretary
    relay = PhoneRelay(key="task:0:c1:remind-5", user_id=secretary.id, unit_id=secretary.unit_id, phone="13900000000",
                       reason="无邮箱、未激活账号", title="【提醒】青山镇：整改任务将到期", body="请按期整改",
                       created_at=world.a.task.created_at, call_note="")
    session.add(relay)
    session.commit()
    client = app.test_client()
    login(client, world.users["org"].username)
    response = client.post("/roster/", data={"csrf_token": csrf_token(client, "/roster/"),
                                             "roster": (io.BytesIO(roster_file()), "名册.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    token = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token), token
    # World is a dataclass; these two are the walk's own additions.
    object.__setattr__(world, "relay_id", relay.id)
    object.__setattr__(world, "roster_token", token)
