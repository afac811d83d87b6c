"""Score the reader on the corpus: every transcript beside its NAME.expected.json."""
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from tracker.parser import ParseError, parse_document

CORPUS = Path(__file__).parent
DIRECTORIES = ("hand", "generated")


@dataclass
class Score:
    name: str
    exact: bool
    found: int
    expected: int
    wrong_text: int
    warnings: int
    ms: float
    notes: list[str] = field(default_factory=list)


def documents() -> list[tuple[Path, Path]]:
    found = []
    for directory in DIRECTORIES:
        for sidecar in sorted((CORPUS / directory).glob("*.expected.json")):
            stem = sidecar.name.removesuffix(".expected.json")
            document = next((p for p in sidecar.parent.glob(stem + ".*") if p.suffix in (".txt", ".docx")), None)
            if document is not None:
                found.append((document, sidecar))
    return found


def _matches(text: str, want) -> bool:
    if isinstance(want, str):  # a hand-written sidecar gives the whole text
        return text.rstrip("。；;.，,") == want.rstrip("。；;.，,")
    return text.startswith(want["start"]) and text.rstrip("。；;.，,").endswith(want["end"])


def score(document: Path, sidecar: Path) -> Score:
    expected = json.loads(sidecar.read_text(encoding="utf-8"))
    return score_data(document.name, document.read_bytes(), expected)


def score_data(name: str, data: bytes, expected: dict) -> Score:
    want_units = expected["units"]
    want_total = sum(len(u["problems"]) for u in want_units) + len(expected.get("overall", []))
    started = time.perf_counter()
    try:
        review = parse_document(data, name)
    except ParseError as error:
        ms = (time.perf_counter() - started) * 1000
        return Score(name, False, 0, want_total, 0, 0, ms, [f"refused: {error}"[:120]])
    ms = (time.perf_counter() - started) * 1000
    notes, wrong = [], 0
    got_units = [u.unit for u in review.units]
    if got_units != [u["unit"] for u in want_units]:
        notes.append(f"units {got_units} != {[u['unit'] for u in want_units]}")
    pairs = list(zip(review.units, want_units))
    for unit, want in pairs:
        texts = [p.text for p in unit.problems]
        if len(texts) != len(want["problems"]):
            notes.append(f"{unit.unit}: {len(texts)} problems, expected {len(want['problems'])}: {texts}")
        for text, item in zip(texts, want["problems"]):
            if not _matches(text, item):
                wrong += 1
                notes.append(f"{unit.unit}: wrong text {text[:40]!r} vs {item}")
        if not texts and not any(w["code"] == "no_problems" for w in unit.warnings):
            notes.append(f"{unit.unit}: 0 problems without a no_problems warning")
    overall = [p.text for p in review.overall_problems]
    if len(overall) != len(expected.get("overall", [])):
        notes.append(f"overall: {len(overall)} found, expected {len(expected.get('overall', []))}: {overall}")
    for text, item in zip(overall, expected.get("overall", [])):
        if not _matches(text, item):
            wrong += 1
            notes.append(f"overall: wrong text {text[:40]!r}")
    found = sum(len(u.problems) for u in review.units) + len(overall)
    warnings = sum(len(u.warnings) for u in review.units) + len(review.warnings)
    return Score(name, not notes, found, want_total, wrong, warnings, ms, notes)


def score_all() -> list[Score]:
    return [score(document, sidecar) for document, sidecar in documents()]


def sweep(count: int) -> list[Score]:
    """Random generator combinations (see generate.random_transcript), scored like the corpus."""
    from tests.corpus.generate import random_transcript

    scores = []
    for seed in range(count):
        text, expected = random_transcript(seed)
        scores.append(score_data(f"random-{seed}.txt", text.encode("utf-8"), expected))
    return scores
