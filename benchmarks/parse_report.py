"""`make parse-report`: how the transcript reader does on the corpus in tests/corpus.

Per document and in total: exact (units, problem counts and problem texts all as expected), problems
found / expected (overall problems included), problems with the wrong text, warnings raised, ms.
"""
import sys
import time

from tests.corpus.score import score_all, sweep

SWEEP = 300


def table(scores) -> str:
    width = max([len(s.name) for s in scores] + [8])
    head = f"{'document':<{width}}  exact  found/expected  wrong text  warnings      ms"
    lines = [head, "-" * len(head)]
    for s in scores:
        lines.append(f"{s.name:<{width}}  {'yes' if s.exact else 'NO':<5}  {f'{s.found}/{s.expected}':>14}"
                     f"  {s.wrong_text:>10}  {s.warnings:>8}  {s.ms:>6.1f}")
    lines.append("-" * len(head))
    exact = sum(s.exact for s in scores)
    found, expected = sum(s.found for s in scores), sum(s.expected for s in scores)
    wrong, warnings = sum(s.wrong_text for s in scores), sum(s.warnings for s in scores)
    ms = sum(s.ms for s in scores) / max(len(scores), 1)
    lines.append(f"{'TOTAL':<{width}}  {f'{exact}/{len(scores)}':<5}  {f'{found}/{expected}':>14}"
                 f"  {wrong:>10}  {warnings:>8}  {ms:>6.1f}")
    for s in scores:
        if not s.exact:
            lines.append(f"\n{s.name} is not exact:")
            lines.extend(f"  - {note}" for note in s.notes)
    return "\n".join(lines)


def main() -> int:
    started = time.perf_counter()
    scores = score_all()
    print(f"Transcript reader on the corpus ({len(scores)} documents, tests/corpus)")
    print(table(scores))
    swept = sweep(SWEEP)
    missed = [s for s in swept if not s.exact]
    print(f"\nRandom generator combinations (not in the corpus): {SWEEP - len(missed)}/{SWEEP} exact, "
          f"{sum(s.found for s in swept)}/{sum(s.expected for s in swept)} problems found")
    for s in missed[:5]:
        print(f"  {s.name}: " + "; ".join(s.notes)[:200])
    print(f"\n(ms per document is parse time only; whole report {time.perf_counter() - started:.1f} s)")
    return 0 if all(s.exact for s in scores) else 1


if __name__ == "__main__":
    sys.exit(main())
