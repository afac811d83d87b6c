"""The tenants migration keeps a county install one county: it makes the default county and attaches every
existing unit, review and task, and every 组织部/纪委 account, to it (SQLite and PostgreSQL)."""
from flask_migrate import upgrade
from sqlalchemy import text

from config import TestConfig
from tests.foundation.test_migrations import blank_database_url  # noqa: F401  (the fixture)
from tracker import create_app
from tracker.extensions import db

BEFORE, TENANTS = "c3d4e5f6a7b8", "d4e5f6a7b8c9"
NOW = "2026-03-02 01:00:00"


def test_existing_rows_join_the_default_county(blank_database_url):  # noqa: F811
    class _Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = blank_database_url

    app = create_app(_Config)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO unit (id, name, kind, needs_rename, created_at) "
                              "VALUES (1, '青山镇', '镇', false, :now)"), {"now": NOW})
            conn.execute(text("INSERT INTO review (id, title, kind, held_on, source_filename, content_hash, "
                              "imported_at) VALUES (1, '2026年度述职评议会议', '述职评议', '2026-01-20', 't.txt', "
                              "'h', :now)"), {"now": NOW})
            conn.execute(text(
                "INSERT INTO task (id, review_id, unit_id, is_overall, position, ledger_position, problem_text, "
                "task_type, status, responsible_person, measures, round, created_at, updated_at, "
                "escalation_level, reminder_cycle) VALUES (1, 1, 1, false, 1, 1, '台账不规范', '限期整改', '待整改', "
                "'', '', 1, :now, :now, 0, 1)"), {"now": NOW})
            for uid, role in ((1, "org_dept"), (2, "discipline"), (3, "secretary"), (4, "admin")):
                conn.execute(text("INSERT INTO user_account (id, name, username, role, unit_id, active, "
                                  "session_version, created_at) VALUES (:id, '某人', :u, :role, :unit, true, 1, :now)"),
                             {"id": uid, "u": f"u{uid}", "role": role, "unit": 1 if role == "secretary" else None,
                              "now": NOW})
        upgrade(revision=TENANTS)
        with db.engine.connect() as conn:
            counties = conn.execute(text("SELECT id, level, is_default, parent_id FROM organization")).all()
            assert [(c.level, bool(c.is_default), c.parent_id) for c in counties] == [("县", True, None)]
            county = counties[0].id
            for table in ("unit", "review", "task"):
                assert conn.execute(text(f"SELECT county_id FROM {table}")).scalars().all() == [county], table
            attached = dict(conn.execute(text("SELECT role, organization_id FROM user_account")).all())
            assert attached == {"org_dept": county, "discipline": county, "secretary": None, "admin": None}
            # The next county made by the app does not collide with the one the migration inserted.
            conn.execute(text("INSERT INTO organization (name, level, is_default, created_at) "
                              "VALUES ('西河县', '县', false, :now)"), {"now": NOW})
        db.engine.dispose()
