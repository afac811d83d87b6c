"""The scheduler's morning in a process of its own, for its peak RSS (issue 10: "the scheduler stays under
200 MB at any size"): the scan, then delivery until nothing is due — what jobs.scheduler runs each tick —
against a database the benchmark has seeded. Prints one JSON line: seconds per phase, mails, peak RSS.

    python -m benchmarks.scheduler_run '{"url": …, "now": "2026-06-15T09:00", "config": {…}}'

The parent (benchmarks.bench_scale) reads ru_maxrss of this process alone, not of the seeding process."""
import json
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path


def main(argv: list[str]) -> int:
    warnings.simplefilter("ignore", ResourceWarning)
    spec = json.loads(argv[1])
    from config import TestConfig
    from tracker import create_app
    from tracker.timeutil import parse_local

    with tempfile.TemporaryDirectory() as tmp:
        class SchedulerConfig(TestConfig):
            SQLALCHEMY_DATABASE_URI = spec["url"]
            SCHEDULER_LOCK_FILE = str(Path(tmp) / "scheduler.lock")
            UPLOAD_DIR = str(Path(tmp) / "uploads")

        for name, value in spec.get("config", {}).items():
            setattr(SchedulerConfig, name, value)
        app = create_app(SchedulerConfig)
        with app.app_context():
            from jobs.tasks import delivery_job, scan_job

            now = parse_local(spec["now"])
            started = time.perf_counter()
            scan = scan_job(now)
            scanned = time.perf_counter()
            sent = 0
            while spec.get("deliver", True):
                result = delivery_job(now)
                sent += result.sent
                if result.claimed == 0:
                    break
            done = time.perf_counter()
    print(json.dumps({"scan_seconds": scanned - started, "delivery_seconds": done - scanned, "mails": sent,
                      "checked": scan.checked, "notices": scan.notices,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
