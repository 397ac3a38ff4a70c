"""The `agcnn-lab` command. Each subcommand is a thin shell over one library function."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        print(f"agcnn-lab {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"agcnn-lab {args.command}: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agcnn-lab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("make-phantom", help="generate the PhantomCXR-14 data set")
    p.add_argument("--out", type=Path, required=True, help="folder to write (NIH layout)")
    p.add_argument("--patients", type=int, required=True, help="number of patients")
    p.add_argument("--size", type=int, default=512, help="image side in pixels (>= 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.set_defaults(run=_make_phantom)

    p = commands.add_parser("prepare-nih", help="download, verify and cache ChestX-ray14")
    p.add_argument("--root", type=Path, required=True, help="folder for archives, images, cache")
    p.add_argument("--cache-size", type=int, default=512, help="side of the cached images")
    p.add_argument(
        "--base-url", default=None,
        help="fetch each archive from BASE_URL/images_0XX.tar.gz instead of the NIH links (a mirror)",
    )
    p.add_argument("--workers", type=int, default=None, help="processes for the cache (default: all cores)")
    p.add_argument(
        "--no-download", dest="download", action="store_false",
        help="use only what is on disk (archives, images), download nothing",
    )
    p.add_argument("--timeout", type=float, default=60.0, help="seconds without data before a retry")
    p.add_argument("--retries", type=int, default=5, help="resumed attempts per archive")
    p.set_defaults(run=_prepare_nih)
    return parser


def _make_phantom(args) -> int:
    from .data.phantom import generate

    out = generate(args.out, args.patients, size=args.size, seed=args.seed, workers=args.workers)
    print(f"wrote {out}")
    return 0


def _prepare_nih(args) -> int:
    from .data.nih import prepare_nih

    prepared = prepare_nih(
        args.root, cache_size=args.cache_size, base_url=args.base_url, workers=args.workers,
        download=args.download, timeout=args.timeout, retries=args.retries,
    )
    print(f"cached {len(prepared.entries):,} images in {prepared.cache.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
