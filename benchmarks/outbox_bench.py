"""What the delivery benchmarks share (mail in bench_delivery.py, robots in bench_robot.py): the moment, the
notices' wording, draining the outbox through a sender, putting it back for the next round, and timing the
outbox against its floor in interleaved rounds of the same run (best of each, so that a neighbour's burst
on the shared machine hits one round, not one side)."""
from datetime import timedelta

from benchmarks.common import timed

ROUNDS = 5


def bench_now():
    from tracker.timeutil import parse_local

    return parse_local("2026-03-24T09:00")


def subject(i: int) -> str:
    return f"【提醒】青山镇：整改任务将于2026年3月31日到期：问题{i}"


def drain(deliver, session, messages: int, now) -> int:
    """Runs the sender batch after batch until `messages` were sent (or nothing more is claimed)."""
    sent, moment = 0, now
    while sent < messages:
        result = deliver(session, now=moment, worker="bench")
        if result.claimed == 0:
            break
        sent += result.sent
        moment += timedelta(seconds=1)
    return sent


def reset_outbox(session) -> None:
    """Every row pending again, as before its first attempt."""
    from sqlalchemy import update

    from tracker.models.notify import OutboxMessage, OutboxStatus

    session.execute(update(OutboxMessage).values(status=OutboxStatus.PENDING, attempts=0, sent_at=None,
                                                 claimed_by=None, claimed_until=None, last_error=None))
    session.commit()
    session.expunge_all()  # the sender starts from a fresh session, as it does in the scheduler


def compare(messages: int, dialect: str, *, floor, outbox, reset, rounds: int = ROUNDS) -> dict:
    """floor() and outbox() (which returns how many it sent) alternately, `rounds` times each."""
    floors, outboxes = [], []
    for _ in range(rounds):
        prepared = floor()
        seconds, _ = timed(prepared) if callable(prepared) else (prepared, None)
        floors.append(seconds)
        reset()
        seconds, sent = timed(outbox)
        assert sent == messages, (sent, messages)
        outboxes.append(seconds)
        reset()
    best_floor, best_outbox = min(floors), min(outboxes)
    return {"messages": messages, "dialect": dialect, "rounds": rounds, "floor_per_s": messages / best_floor,
            "outbox_per_s": messages / best_outbox, "ratio": best_floor / best_outbox,
            "floor_rounds": [round(messages / s) for s in floors],
            "outbox_rounds": [round(messages / s) for s in outboxes]}


def rounds_text(result: dict) -> str:
    return (f"（{result['rounds']} 轮交替取最好：发件箱 {'/'.join(map(str, result['outbox_rounds']))}，"
            f"下限 {'/'.join(map(str, result['floor_rounds']))}）")
