"""``qa feedback export``: the chat's votes as an evaluation file for ``qa eval`` and
``qa calibrate`` (the mapping from votes to labels is in :mod:`ui._votes`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._defaults import DEFAULT_INDEX
from ._votes import export_feedback


def add_parser(sub: Any) -> None:
    """Add ``qa feedback export`` to the command's subparsers."""
    p = sub.add_parser("feedback", help="the votes given in the chat")
    actions = p.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    e = actions.add_parser(
        "export",
        help="write the votes as an evidence file that qa eval and qa calibrate read",
    )
    e.add_argument("--index", default=DEFAULT_INDEX, help=f"index folder (default {DEFAULT_INDEX})")
    e.add_argument(
        "--store", metavar="URL", help="the PostgreSQL database (postgresql://...) instead"
    )
    e.add_argument("--out", required=True, metavar="FILE", help="the evidence file to write")


def run(args: argparse.Namespace) -> int:
    """Run ``qa feedback ACTION``."""
    report = export_feedback(args.store or args.index, args.out)
    print(
        f"wrote {report.answerable + report.unanswerable} question(s) to {report.path}: "
        f"{report.answerable} answerable, {report.unanswerable} unanswerable, from "
        f"{report.records} vote(s)"
        + (
            f"; {report.left_out} left out (refusals voted down, no passage marked)"
            if report.left_out
            else ""
        ),
        file=sys.stderr,
    )
    return 0
