"""Random combinations of the corpus generator beyond the committed documents are read exactly too."""
from tests.corpus.score import sweep


def test_random_generator_combinations_are_exact():
    misses = [s for s in sweep(150) if not s.exact]
    assert not misses, "\n".join(f"{s.name}: {s.notes}" for s in misses[:5])
