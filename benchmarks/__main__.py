"""python -m benchmarks: delivery rate, scan time and the organization department's pages, each against its
floor measured in the same run.

SQLite by default; set TRACKER_BENCH_PG_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to
repeat both on PostgreSQL, in a private schema that is dropped afterwards."""
import os
import sys
import warnings


def main() -> int:
    warnings.simplefilter("ignore", ResourceWarning)
    from benchmarks import bench_dashboard, bench_delivery, bench_scan

    print(bench_delivery.report(bench_delivery.run()), flush=True)
    print(bench_scan.report(bench_scan.run()), flush=True)
    print(bench_dashboard.report(bench_dashboard.run()), flush=True)
    pg_url = os.environ.get("TRACKER_BENCH_PG_URL")
    if pg_url:
        print(bench_delivery.report(bench_delivery.run(database_url=pg_url)), flush=True)
        print(bench_scan.report(bench_scan.run(database_url=pg_url)), flush=True)
        print(bench_dashboard.report(bench_dashboard.run(database_url=pg_url)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
