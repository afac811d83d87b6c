"""One log line per scheduler run, with its counts as fields (for the journal and log collectors)."""
import logging

from tests.factories import NOW


def test_each_scan_and_delivery_run_logs_one_line_with_counts(app, db, caplog):
    from jobs.tasks import delivery_job, scan_job

    with caplog.at_level(logging.INFO, logger="tracker.jobs"):
        scan_job(NOW, holder="test")
        delivery_job(NOW, worker="test")
    runs = [r for r in caplog.records if getattr(r, "job", None)]
    assert [r.job for r in runs] == ["scan", "deliver"]
    assert runs[0].checked == 0 and runs[0].notices == 0  # a quiet run is logged too
    assert runs[1].sent == 0 and "投递完成" in runs[1].getMessage()
