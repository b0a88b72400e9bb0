"""How well the bot understands the evaluation set, per language, and how fast.

    python bench/understanding.py            # every question of tests/data/questions/, the misses listed
    python bench/understanding.py --quick    # the same, with one timing round instead of five
    python bench/understanding.py --explain  # each miss with how it was read

Accuracy is the share of questions whose command line means what the set
expects (see bot/understanding/evaluation.py).  Time is per question, read
by the understanding alone, with a baseline measured in the same run: the
exact phrase grammar the bot had before (``intents.parse``) over the same
questions, so the figure is a ratio that holds on a busy machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.i18n import Catalogs  # noqa: E402
from bot.programme import Agenda, load_programme  # noqa: E402
from bot.resources import resource_dir  # noqa: E402
from bot.router import Router  # noqa: E402
from bot.understanding import intents  # noqa: E402
from bot.understanding.evaluation import accuracy, evaluate, load  # noqa: E402
from bot.understanding.understand import Understanding  # noqa: E402
from handlers import register_all  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=ROOT / "tests" / "data" / "questions")
    parser.add_argument("--programme", type=Path, default=ROOT / "data" / "programme.yaml")
    parser.add_argument("--quick", action="store_true", help="one timing round instead of five")
    parser.add_argument("--explain", action="store_true", help="show how each miss was read")
    args = parser.parse_args()

    agenda = Agenda(load_programme(args.programme))
    tags = Catalogs.load(resource_dir("locales")).tags
    started = time.perf_counter()
    understanding = Understanding(agenda, understanding_words(), tags)
    built = time.perf_counter() - started
    router = Router()
    register_all(router)
    questions, clocks = load(args.questions)
    results = evaluate(agenda, understanding, questions, clocks, router.resolve)

    print(f"{len(questions)} questions, {len(understanding.candidates)} questions of the phrase data and programme, "
          f"built in {built * 1000:.0f} ms")
    print(f"{'language':10} {'right':>6} {'asked':>6} {'accuracy':>9}")
    for language, (right, asked) in sorted(accuracy(results).items(), key=lambda kv: (kv[0] == "all", kv[0])):
        print(f"{language:10} {right:6} {asked:6} {right / asked:9.1%}")
    misses = [r for r in results if not r.correct]
    if misses:
        print("\nmisses:")
        for r in misses:
            print(f"  [{r.question.language}] {r.question.text!r}: expected {r.question.expected}, got {r.got}")
            if args.explain and r.meaning is not None:
                print("    " + r.meaning.explain().replace("\n", "\n    "))

    rounds = 1 if args.quick else 5
    today = agenda.local_date(next(iter(clocks.values())).replace(tzinfo=agenda.zone))
    texts = [q.text for q in questions]

    def per_question(read) -> float:  # type: ignore[no-untyped-def]
        best = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            for text in texts:
                read(text)
            best.append((time.perf_counter() - t0) / len(texts))
        return min(best)

    baseline = per_question(intents.parse)
    understood = per_question(lambda text: understanding.understand(text, today))
    print(f"\nper question: exact phrases (before) {baseline * 1e6:.0f} µs, understanding {understood * 1e6:.0f} µs "
          f"({understood / baseline:.0f}x the baseline; best of {rounds} rounds)")
    slowest = sorted(texts, key=lambda t: -_time(understanding, t, today))[:3]
    print("slowest: " + "; ".join(f"{t!r} {_time(understanding, t, today) * 1e3:.1f} ms" for t in slowest))
    return 0


def understanding_words():  # type: ignore[no-untyped-def]
    from bot.understanding.phrases import phrases

    return phrases()


def _time(understanding: Understanding, text: str, today) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(3):
        t0 = time.perf_counter()
        understanding.understand(text, today)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


if __name__ == "__main__":
    sys.exit(main())
