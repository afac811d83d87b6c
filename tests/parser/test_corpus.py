"""Every document of the corpus (tests/corpus) is read exactly as its sidecar says."""
import pytest

from tests.corpus.score import documents, score

DOCUMENTS = documents()


def test_corpus_is_large_enough():
    assert len(DOCUMENTS) >= 40
    assert any(d.suffix == ".docx" for d, _ in DOCUMENTS)


@pytest.mark.parametrize("document, sidecar", DOCUMENTS, ids=[d.name for d, _ in DOCUMENTS])
def test_corpus_document_is_exact(document, sidecar):
    result = score(document, sidecar)
    assert result.exact, "\n".join(result.notes)
