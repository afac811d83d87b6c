"""Robot posts exactly once with several senders on PostgreSQL: two schedulers and parallel ticks share the
SKIP LOCKED claims, so a receiver gets each message once."""
import time
from datetime import date

import pytest

from tests.escalation.conftest import at
from tests.factories import make_unit, make_user
from tests.jobs.procs import log_text, run_tick, start_scheduler, stop, wait_for
from tests.mail.robot_receiver import RobotReceiver
from tracker.mail import robot
from tracker.models import Role

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only]


@pytest.mark.postgres_only
def test_two_schedulers_and_ticks_post_each_robot_message_once(app, db, people, smtp_server, tmp_path):
    from jobs.tasks import scan_job

    with RobotReceiver() as receiver:
        units = [make_unit(db.session, f"机器人镇{i}") for i in range(4)]
        for index, unit in enumerate(units):
            unit.robot_kind, unit.robot_url = (robot.WECOM, robot.DINGTALK)[index % 2], receiver.url(f"/u{index}")
            for j in range(30):
                owner = make_user(db.session, Role.SECRETARY, unit, username=f"o{index}-{j}", name=f"书记{j}")
                people.task(db.session, deadline=date(2026, 3, 31), unit=unit, owner=owner, text=f"问题{index}-{j}")
        db.session.commit()
        assert scan_job(at("2026-03-24T09:00")).notices == 120
        schedulers = [start_scheduler(app, tmp_path / f"s{i}.log") for i in range(2)]
        ticks = [run_tick(app, "2026-03-24T09:00") for _ in range(3)]
        try:
            for process in ticks:
                _out, err = process.communicate(timeout=120)
                assert process.returncode == 0, err.decode()
            wait_for(lambda: len(receiver.keys()) >= 120, timeout=90, message="120 robot posts")
            time.sleep(2)  # every sender gets the chance to post more: none may
            keys = receiver.keys()
            assert len(keys) == len(set(keys)) == 120
            assert all(k.endswith(":robot") for k in keys)
            assert sum("调度器已成为领导者" in log_text(s) for s in schedulers) == 1
        finally:
            for process in schedulers:
                stop(process)
