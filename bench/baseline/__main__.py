"""Generate or train the Rasa-native FAQ baseline of a knowledge base.

    python -m bench.baseline generate --kb DIR --out DIR [--variant recommended|strong]
    python -m bench.baseline train [shipped|banking77-10 ...] [--variant ...]   # cached under var/baseline

``train`` prints one JSON line per model: its path, training seconds and whether it was cached.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.baseline import builds
from bench.baseline.project import VARIANTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write the Rasa project for a FAQ folder")
    gen.add_argument("--kb", type=Path, required=True)
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--variant", choices=VARIANTS, default="recommended")
    trainer = sub.add_parser("train", help="train the baselines of named knowledge bases (cached)")
    trainer.add_argument("kbs", nargs="*", help=f"any of {', '.join(builds.KBS)} (default: all)")
    trainer.add_argument("--variant", choices=VARIANTS, action="append")
    args = parser.parse_args(argv)
    if args.command == "generate":
        converted = builds.strong_weights() if args.variant == "strong" else None
        project = builds.project_for(args.kb.name, builds.entries_of(args.kb), args.variant, converted)
        print(project.write(args.out))
        return 0
    for variant in args.variant or VARIANTS:
        for kb in args.kbs or builds.KBS:
            model = builds.build(kb, variant)
            print(json.dumps({"model": str(model.path), "seconds": model.seconds, "cached": model.cached}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
