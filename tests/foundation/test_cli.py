"""The `tracker` command on the shared sample, on bad input, and on both databases."""
import json

import pytest
from sqlalchemy import func, select

from tracker.models import Review, Task, Unit


@pytest.fixture
def runner(app):
    return app.test_cli_runner(mix_stderr=False) if _supports_mix_stderr(app) else app.test_cli_runner()


def _supports_mix_stderr(app) -> bool:
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def test_parse_json_meets_the_sample_counts(runner, sample_path):
    result = runner.invoke(args=["parse", str(sample_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["units"]) == 14
    assert sum(len(u["problems"]) for u in data["units"]) == 28
    assert len(data["overall_problems"]) == 3
    assert (data["units"][13]["unit"], data["units"][13]["secretary"]) == ("县文旅体局", "唐娟")
    assert set(data["units"][0]) >= {"unit", "unit_kind", "secretary", "secretary_title", "strengths",
                                     "problems", "expectations"}


def test_parse_text_prints_an_outline(runner, sample_path):
    result = runner.invoke(args=["parse", str(sample_path), "--format", "text"])
    assert result.exit_code == 0
    assert "县文旅体局" in result.stdout and "唐娟" in result.stdout


@pytest.mark.parametrize(
    ("content", "name"),
    [("关于做好春节期间值班工作的通知\n各单位：请安排好值班。\n".encode(), "notice.txt"),
     (b"", "empty.txt"), (b"%PDF-1.4 binary", "scan.pdf")],
)
def test_parse_of_a_non_review_fails_clearly_with_nothing_on_stdout(runner, tmp_path, content, name):
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(args=["parse", str(path)])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "错误" in result.stderr


def test_parse_of_a_missing_file_fails(runner, tmp_path):
    result = runner.invoke(args=["parse", str(tmp_path / "none.txt")])
    assert result.exit_code != 0 and result.stdout == ""


def test_import_then_reimport(runner, db, sample_path):
    args = ["import", str(sample_path), "--review-date", "2026-01-20", "--deadline", "2099-06-30"]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "31 项整改任务" in first.stdout
    assert "待更名" in first.stdout
    assert db.session.scalar(select(func.count()).select_from(Task)) == 31

    second = runner.invoke(args=args)
    assert second.exit_code == 0
    assert "已于此前导入" in second.stdout
    assert db.session.scalar(select(func.count()).select_from(Task)) == 31
    assert db.session.scalar(select(func.count()).select_from(Review)) == 1


def test_importing_a_non_review_leaves_the_database_unchanged(runner, db, tmp_path):
    path = tmp_path / "notice.txt"
    path.write_text("关于召开全县安全生产会议的通知\n请各单位准时参加。\n", encoding="utf-8")
    result = runner.invoke(args=["import", str(path), "--review-date", "2026-01-20", "--deadline", "2099-06-30"])
    assert result.exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 0
    assert db.session.scalar(select(func.count()).select_from(Review)) == 0


def test_import_with_a_past_deadline_imports_nothing(runner, db, sample_path):
    result = runner.invoke(args=["import", str(sample_path), "--review-date", "2020-01-20", "--deadline", "2020-06-30"])
    assert result.exit_code != 0
    assert "未导入任何数据" in result.stderr
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0


def test_seed_demo_prints_logins_and_is_idempotent(runner, db):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    for username in ("admin", "zzb", "shuji"):
        assert username in first.stdout
    tasks = db.session.scalar(select(func.count()).select_from(Task))
    assert tasks > 0
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Task)) == tasks
