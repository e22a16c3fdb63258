"""CPU time per question when the action server embeds questions one by one or several in one call.

    python -m bench.embedding_batches [--sizes 1 2 4 8 16 32] [--rounds 5] [--runtime onnx onnx-int8 torch]

The questions are the shipped FAQ's paraphrases (English and Chinese mixed, as they come), read as
the matcher reads them. Each runtime (``FUNDDESK_EMBEDDING_RUNTIME``) and size embeds the same
questions in calls of that many, on one thread as the action server does; ``rounds`` repeats give
the median and the worst. CPU time (this process), not wall time, so other jobs on the machine
change the figures less.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from itertools import zip_longest

from bench import chat_load
from knowledge_base.embedder import RUNTIMES

SIZES = (1, 2, 4, 8, 16, 32)


def questions() -> list[str]:
    from knowledge_base.question import QuestionReader

    reader = QuestionReader()
    by_lang = chat_load.questions()
    # English and Chinese interleaved, as a busy service receives them (the English surplus at the end).
    mixed = [q for pair in zip_longest(by_lang["en"], by_lang["zh"]) for q in pair if q is not None]
    return [reader.read(q).text for q in mixed]


def measure(sizes: tuple[int, ...], rounds: int, runtime: str = "onnx") -> dict[str, object]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from knowledge_base.embedder import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(runtime=runtime)
    asked = questions()
    embedder.encode(asked[:64])  # warm-up: lazy initialisation is not what is measured
    by_size: dict[str, dict[str, float]] = {}
    for size in sizes:
        per_question = []
        for _ in range(rounds):
            started = time.process_time()
            for start in range(0, len(asked), size):
                embedder.encode(asked[start : start + size])
            per_question.append((time.process_time() - started) * 1000 / len(asked))
        by_size[str(size)] = {
            "cpu_ms_per_question_median": round(statistics.median(per_question), 2),
            "cpu_ms_per_question_worst": round(max(per_question), 2),
        }
    one = by_size[str(sizes[0])]["cpu_ms_per_question_median"]
    for figures in by_size.values():
        figures["relative_to_first"] = round(figures["cpu_ms_per_question_median"] / one, 3)
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load_1min": round(os.getloadavg()[0], 2),
        "runtime": embedder.runtime,
        "questions": len(asked),
        "rounds": rounds,
        "by_batch_size": by_size,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runtime", nargs="+", default=["onnx", "torch"], choices=list(RUNTIMES))
    args = parser.parse_args(argv)
    print(json.dumps([measure(tuple(args.sizes), args.rounds, runtime) for runtime in args.runtime], indent=2))


if __name__ == "__main__":
    main()
