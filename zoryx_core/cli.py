"""The ``zoryx`` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoryx", description="Zoryx: a pluggable Discord bot framework.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "demo", help="run an ordinary discord.py bot through a scripted conversation on the emulator"
    )
    emulator = sub.add_parser("emulator", help="run the Discord emulator as a standalone server")
    emulator.add_argument("args", nargs=argparse.REMAINDER, help="options of python -m zoryx_core.testing")
    sub.add_parser("version", help="print the installed version")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        asyncio.run(run_demo())
        return 0
    if args.command == "emulator":
        from .testing.__main__ import main as emulator_main

        emulator_main(args.args)
        return 0
    if args.command == "version":
        from . import __version__

        print(__version__)
        return 0
    build_parser().print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
