"""`make parse-report` prints one row per corpus document and a total row."""
from benchmarks.parse_report import table
from tests.corpus.score import score_all


def test_report_table_has_a_row_per_document_and_a_total():
    scores = score_all()
    text = table(scores)
    assert text.count("\n") >= len(scores) + 3
    total = next(line for line in text.splitlines() if line.startswith("TOTAL"))
    assert f"{len(scores)}/{len(scores)}" in total
    assert "exact" in text.splitlines()[0] and "found/expected" in text.splitlines()[0]
