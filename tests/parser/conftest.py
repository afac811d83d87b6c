"""Fixtures of the parser tests: the shared sample, and builders that write transcripts to tmp_path."""
import os
from pathlib import Path

import pytest

from tracker.parser import ParsedReview, parse_document

# The repo's parent holds shared/ (CI clones the repo elsewhere with a copy of shared/ beside it).
REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_NAME = "review-meeting-2021.txt"
DEMO_PATH = REPO_ROOT / "tracker" / "demo_data" / "review-demo.txt"


def _samples_dir() -> Path:
    return Path(os.environ.get("TRACKER_SAMPLES_DIR", REPO_ROOT.parent / "shared" / "samples"))


@pytest.fixture(scope="session")
def review_sample_path() -> Path:
    path = _samples_dir() / SAMPLE_NAME
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared sample missing in CI: {path}", pytrace=False)
        pytest.skip(f"shared sample not found: {path}")
    return path


@pytest.fixture(scope="session")
def sample_text(review_sample_path) -> str:
    return review_sample_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sample_review(review_sample_path) -> ParsedReview:
    return parse_document(review_sample_path.read_bytes(), review_sample_path.name)


@pytest.fixture(scope="session")
def demo_path() -> Path:
    return DEMO_PATH


@pytest.fixture
def parse_written(tmp_path):
    """Write bytes or text to a file in tmp_path, read it back and parse it like an upload."""
    def parse(content, name: str = "transcript.txt", encoding: str = "utf-8") -> ParsedReview:
        path = tmp_path / name
        path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
        return parse_document(path.read_bytes(), path.name)
    return parse


@pytest.fixture
def write_docx(tmp_path):
    """Build a .docx: each block is a paragraph (str) or a table (a list of rows, each a list of cells).

    A cell is a str, or a list of str for several paragraphs in that cell.
    """
    from tests.corpus.hand.build_docx import build

    def write(blocks, name: str = "transcript.docx") -> Path:
        path = tmp_path / name
        build(blocks, path)
        return path
    return write


def _section(heading: str, comment: str | None, expectation: str | None) -> list[str]:
    lines = [heading, "※※※※※※※※※※※※"]
    if comment is not None:
        lines.append(comment)
    if expectation:
        lines.append(expectation)
    return lines


@pytest.fixture
def build_review():
    """A small transcript: opening, the given sections, an agenda line, optionally a closing speech.

    sections: (heading, comment or None, expectation or None) triples; the comment includes "点评：".
    """
    def build(*sections, closing: str = "") -> str:
        lines = ["同志们：", "今天召开2024年度全县党组织书记抓基层党建工作述职评议会议。"]
        for section in sections:
            lines.extend(_section(*section))
        lines.append("下面，进行会议第二项议程，请县委组织部部长作综合点评。")
        lines.append("※※※※※※※※※※※※")
        if closing:
            lines.append(closing)
        return "\n".join(lines) + "\n"
    return build
