"""Workloads generated in SQL: units, secretaries with emails, and N tasks in the reference tracker's shape.

PostgreSQL: one INSERT … SELECT over generate_series (a million tasks in seconds). SQLite: the same rows
built in Python and inserted with executemany in chunks (fine up to 100,000; the million runs on
PostgreSQL only). Deterministic: task g's unit, owner, deadline and status are arithmetic in g.

Shape (issue 10): U units, `per_unit` secretaries each (task g belongs to unit g mod U and, within it, to
secretary (g div U) mod per_unit, so every secretary has tasks), 60% closed spread over every unit,
deadlines uniform over today−180…today+90. `due`: "morning" — every open task whose deadline is at most 7 days away is due
now (≈27,800 of 100,000); an int k — exactly k open tasks due, the rest closed or checked later.
"""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import insert, text

CLOSED_PERCENT = 60


def seed(db, *, tasks: int, units: int, per_unit: int, now: datetime, today: date, due) -> dict:
    from flask import current_app

    from tracker.models import Comment, Review, Role, Unit, User

    session = db.session
    unit_rows = [Unit(name=f"单位{i:03d}", kind="镇") for i in range(units)]
    session.add_all(unit_rows)
    session.flush()
    users = [{"name": f"书记{u}-{k}", "username": f"sec{u}-{k}", "email": f"sec{u}-{k}@town.test",
              "role": Role.SECRETARY, "unit_id": unit_rows[u].id, "active": True, "session_version": 1,
              "created_at": now}
             for u in range(units) for k in range(per_unit)]
    session.execute(insert(User), users)
    for role, name in ((Role.ORG_DEPT, "zzb"), (Role.DISCIPLINE, "jw")):
        session.add(User(name=name, username=name, email=f"{name}@county.test", role=role))
    review = Review(title="基准测试", held_on=today - timedelta(days=200), source_filename="b.txt", content_hash="bench")
    session.add(review)
    session.flush()
    comment = Comment(review=review, unit_id=unit_rows[0].id, position=1, secretary_name="", strengths="",
                      expectations="")
    session.add(comment)
    session.flush()
    owner0 = session.execute(text("SELECT min(id) FROM user_account WHERE role = :r"), {"r": Role.SECRETARY}).scalar()
    params = {"n": tasks, "U": units, "opu": per_unit, "unit0": unit_rows[0].id, "owner0": owner0,
              "review": review.id, "comment": comment.id, "today": today, "closedp": CLOSED_PERCENT,
              "now": _naive(now), "due_at": _naive(now - timedelta(hours=1)), "later": _naive(now + timedelta(days=30)),
              "created": _naive(now - timedelta(days=200)),
              "due_n": due if isinstance(due, int) else 0}
    policy = dict(current_app.config["ESCALATION_RULES"])
    if session.get_bind().dialect.name == "postgresql":
        _seed_postgresql(session, params, policy)
    else:
        _seed_sqlite(session, params, policy)
    session.commit()
    due_count = session.execute(text("SELECT count(*) FROM task WHERE next_check_at <= :now"),
                                {"now": _naive(now)}).scalar()
    owners = session.execute(text("SELECT count(DISTINCT owner_id) FROM task WHERE next_check_at <= :now"),
                             {"now": _naive(now)}).scalar()
    return {"tasks": tasks, "due": due_count, "owners": owners}


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


_PICKED = "(g * 7919) % :n < :due_n"

TASK_COLUMNS = ("review_id, comment_id, unit_id, is_overall, position, ledger_position, problem_text, task_type, "
                "deadline, status, owner_id, responsible_person, measures, round, closed_at, created_at, "
                "updated_at, escalation_level, policy, reminder_cycle, next_check_at")


def _seed_postgresql(session, params: dict, policy: dict) -> None:
    import json

    # An int: the tasks whose (g × 7919) mod n — a permutation of 0…n−1 — is below k, spread over the units
    # and secretaries as the whole is (every k-th task would put all the due tasks of 1,000,000 in one unit).
    due = (f"({_PICKED})" if params["due_n"] else
           "(NOT c.closed AND CAST(:today AS date) - 180 + CAST((g * 7919) % 271 AS integer) <= CAST(:today AS date) + 7)")
    # Mixed through a prime first: (g × k) mod 100 alone depends on g mod 100, i.e. on the unit, which
    # closed whole units and left only 800 of the 2,000 secretaries with due tasks.
    closed = "(((g * 104729) % 1000003) % 100 < :closedp" + (f" AND NOT {_PICKED})" if params["due_n"] else ")")
    session.execute(text(f"""
        INSERT INTO task ({TASK_COLUMNS})
        SELECT :review, :comment, :unit0 + (g % :U), false, 1, g + 1,
               '第' || g || '项问题：党建引领基层治理还不够有力，制度执行不到位', '限期整改',
               CAST(:today AS date) - 180 + CAST((g * 7919) % 271 AS integer),
               CASE WHEN c.closed THEN '已销号' ELSE '整改中' END,
               :owner0 + (g % :U) * :opu + ((g / :U) % :opu), '', '', 1,
               CASE WHEN c.closed THEN CAST(:now AS timestamp) END, :created, :created, 0, CAST(:policy AS json), 1,
               CASE WHEN c.closed THEN NULL WHEN {due} THEN CAST(:due_at AS timestamp)
                    ELSE CAST(:later AS timestamp) END
        FROM generate_series(CAST(0 AS bigint), :n - 1) AS g, LATERAL (SELECT {closed} AS closed) AS c
    """), {**params, "policy": json.dumps(policy)})
    session.execute(text("ANALYZE task"))


def _seed_sqlite(session, params: dict, policy: dict) -> None:
    from tracker.models import Task

    today, n, picked = params["today"], params["n"], params["due_n"]
    rows = []
    for g in range(n):
        chosen = bool(picked) and (g * 7919) % n < picked
        closed = ((g * 104729) % 1000003) % 100 < params["closedp"] and not chosen
        deadline = today - timedelta(days=180) + timedelta(days=(g * 7919) % 271)
        due = chosen if picked else (not closed and deadline <= today + timedelta(days=7))
        created = params["created"].replace(tzinfo=timezone.utc)
        rows.append({"review_id": params["review"], "comment_id": params["comment"], "unit_id": params["unit0"] + g % params["U"],
                     "is_overall": False, "position": 1, "ledger_position": g + 1,
                     "problem_text": f"第{g}项问题：党建引领基层治理还不够有力，制度执行不到位", "task_type": "限期整改",
                     "deadline": deadline, "status": "已销号" if closed else "整改中",
                     "owner_id": params["owner0"] + (g % params["U"]) * params["opu"] + (g // params["U"]) % params["opu"],
                     "responsible_person": "", "measures": "", "round": 1,
                     "closed_at": params["now"].replace(tzinfo=timezone.utc) if closed else None,
                     "created_at": created, "updated_at": created, "escalation_level": 0, "policy": policy,
                     "reminder_cycle": 1,
                     "next_check_at": None if closed else (params["due_at"] if due else params["later"]).replace(
                         tzinfo=timezone.utc)})
        if len(rows) == 5000:
            session.execute(insert(Task), rows)
            rows = []
    if rows:
        session.execute(insert(Task), rows)
