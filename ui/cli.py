"""The ``qa`` command: index documents, ask questions, serve the web chat."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import index
import qa
from index import parts
from qa.tuning import TradeoffRow, tradeoff

from ._defaults import (
    DEFAULT_CORPUS,
    DEFAULT_HOST,
    DEFAULT_INDEX,
    DEFAULT_MODEL,
    DEFAULT_PORT,
    quiet_network,
)
from ._render import answer_markdown


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa", description="Answer questions from your documents with exact quotes."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "index", help="index files and folders (.txt .md .html .pdf .docx .pptx .odt .epub .rtf)"
    )
    p.add_argument("paths", nargs="*", metavar="PATH")
    cleaning = p.add_mutually_exclusive_group()
    cleaning.add_argument(
        "--keep-all",
        action="store_true",
        default=None,
        help="index every line: no menu, banner or footer removal (kept for later rebuilds)",
    )
    cleaning.add_argument(
        "--clean",
        dest="keep_all",
        action="store_false",
        help="remove menus, banners and footers again after --keep-all (the default)",
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="print what cleaning would keep out of the named files, and why; build nothing",
    )
    p.add_argument("--out", default=DEFAULT_INDEX, help=f"index folder (default {DEFAULT_INDEX})")
    _store_option(p)
    _model_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument(
        "--strict",
        action="store_true",
        help="stop at the first file that cannot be indexed (default: skip it and list it)",
    )
    _force_option(p)

    p = sub.add_parser("remove", help="remove sources from an index (no re-embedding)")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="source name as answers cite it")
    p.add_argument("--index", default=DEFAULT_INDEX, help=f"index folder (default {DEFAULT_INDEX})")
    _store_option(p)

    p = sub.add_parser("ask", help="ask a question of an index")
    p.add_argument("question")
    p.add_argument("--index", default=DEFAULT_INDEX, help=f"index folder (default {DEFAULT_INDEX})")
    p.add_argument("-k", type=int, default=5, help="passages to retrieve (default 5)")
    p.add_argument("--mode", choices=qa.MODES, default="hybrid")
    p.add_argument(
        "--source",
        action="append",
        metavar="NAME",
        help="answer from this document only (its name as answers cite it); repeat for several",
    )
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    _store_option(p)
    _backend_option(p)

    p = sub.add_parser("serve", help="open the web chat")
    p.add_argument("paths", nargs="*", metavar="PATH", help="documents to index first (optional)")
    p.add_argument("--index", default=DEFAULT_INDEX, help=f"index folder (default {DEFAULT_INDEX})")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument(
        "--auth",
        metavar="USER:PASSWORD",
        help="ask for this login (use it when serving beyond this machine; "
        "--auth-file keeps the password out of the process list)",
    )
    p.add_argument(
        "--auth-file", metavar="PATH", help="ask for a login: a file of user:password lines"
    )
    p.add_argument(
        "--example",
        action="append",
        default=[],
        metavar="QUESTION",
        help="an example question for the page (repeatable; default: made from the headings)",
    )
    p.add_argument(
        "--max-sessions",
        type=int,
        default=1000,
        help="most open sessions whose page state is kept in memory, about 60 KB each "
        "(default 1000; closed pages are freed at once)",
    )
    p.add_argument(
        "--mcp",
        action="store_true",
        help="also serve the ask and search tools to MCP clients at /mcp on the same port",
    )
    _store_option(p)
    _model_options(p)
    _force_option(p)

    p = sub.add_parser("mcp", help="serve the ask and search tools to an MCP client over stdio")
    p.add_argument("--index", default=DEFAULT_INDEX, help=f"index folder (default {DEFAULT_INDEX})")
    _store_option(p)
    _backend_option(p)

    p = sub.add_parser("eval", help="measure retrieval and quote quality on a data set")
    p.add_argument(
        "dataset",
        metavar="DATASET",
        help="BEIR folder (corpus.jsonl, queries.jsonl, qrels/), QASPER-style folder "
        "(questions.jsonl, docs/; each question asked of its paper alone) "
        "or evidence file (.jsonl with q, evidence, unanswerable, optional source)",
    )
    p.add_argument("--corpus", help="files the evidence file asks of (default: ./corpus nearby)")
    p.add_argument(
        "--index", help="index folder to build or reuse (default .qa-eval/<data set name>)"
    )
    p.add_argument(
        "--mode",
        choices=(*qa.MODES, "bm25"),
        default="hybrid",
        help="retrieval mode; bm25 is another name for keyword (default hybrid)",
    )
    p.add_argument("-k", type=int, default=5, help="passages per answer, as in ask (default 5)")
    p.add_argument("--limit", type=int, help="score a reproducible random sample of N questions")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    _model_options(p)

    p = sub.add_parser(
        "calibrate", help="fit the answer/refuse threshold of an index to your labelled questions"
    )
    p.add_argument(
        "dataset",
        metavar="EVAL_FILE",
        help="evidence file (.jsonl with q, evidence, unanswerable), BEIR or QASPER-style "
        "folder, asked of the index as it is",
    )
    p.add_argument("--index", default=DEFAULT_INDEX, help=f"index folder (default {DEFAULT_INDEX})")
    _store_option(p)
    p.add_argument(
        "--max-false-abstention",
        type=float,
        default=0.03,
        help="share of answerable questions the threshold may refuse (default 0.03)",
    )
    p.add_argument("--limit", type=int, help="use a reproducible random sample of N questions")
    p.add_argument("--dry-run", action="store_true", help="show the threshold, store nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    _backend_option(p)

    from ._feedback_cli import add_parser as add_feedback_parser

    add_feedback_parser(sub)
    return parser


def _store_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--store",
        metavar="URL",
        help="a PostgreSQL database (postgresql://...) to use instead of an index folder; "
        "several servers can share it (needs pip install 'qa-quotes[postgres]')",
    )


def _force_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an index built with another model or passage size (re-embeds everything)",
    )


def _backend_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend",
        choices=parts.BACKENDS,
        default=parts.DEFAULT_BACKEND,
        help="how the model runs: onnx (onnxruntime, same vectors as torch, faster), "
        "onnx-int8 (quantised), torch, or auto (default: onnx if the model allows, else torch)",
    )


def _model_options(p: argparse.ArgumentParser) -> None:
    _backend_option(p)
    p.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="sentence-transformers model name or folder (default: the packaged all-MiniLM-L6-v2)",
    )
    p.add_argument("--chunk-tokens", type=int, default=128, help="tokens per passage (default 128)")
    p.add_argument(
        "--max-file-mb",
        type=float,
        default=parts.DEFAULT_MAX_FILE_BYTES / 1e6,
        help="refuse files larger than this (default 50)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    quiet_network()
    args = _parser().parse_args(argv)
    try:
        if args.command == "index":
            return _index(args)
        if args.command == "ask":
            return _ask(args)
        if args.command == "remove":
            return _remove(args)
        if args.command == "eval":
            return _eval(args)
        if args.command == "calibrate":
            return _calibrate(args)
        if args.command == "mcp":
            return _mcp(args)
        if args.command == "feedback":
            from ._feedback_cli import run as run_feedback

            return run_feedback(args)
        return _serve(args)
    except qa.QAError as exc:
        print(f"qa: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`qa ask ... | head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _build(args: argparse.Namespace, paths: Sequence[str], out: str, *, progress: bool) -> None:
    location = getattr(args, "store", None) or out
    report = index.index_paths(
        paths,
        location,
        embedder=index.load_embedder(args.model, backend=args.backend),
        chunking=index.ChunkingOptions(max_tokens=args.chunk_tokens),
        max_file_bytes=int(args.max_file_mb * 1e6),
        progress=progress,
        skip_unreadable=not getattr(args, "strict", False),
        force=getattr(args, "force", False),
        keep_all=getattr(args, "keep_all", None),
    )
    for _, message in report.skipped:
        print(f"qa: skipped {message}", file=sys.stderr)
    for duplicate, kept in report.duplicates:
        print(f"qa: {duplicate} is the same file as {kept}; indexed once", file=sys.stderr)
    removed = f", dropped {len(report.removed)}" if report.removed else ""
    print(
        f"indexed {report.documents} document(s) into {report.passages} passages at "
        f"{index.open_index(location).where} "
        f"({report.embedded} embedded, {report.reused} reused{removed}) "
        f"in {report.seconds:.1f}s",
        file=sys.stderr,
    )


def _index(args: argparse.Namespace) -> int:
    if not args.paths:
        raise index.DocumentError("no documents given: name at least one file or folder")
    if args.explain:
        from ._explain import explain

        for line in explain(args.paths, max_file_bytes=int(args.max_file_mb * 1e6)):
            print(line)
        return 0
    _build(args, args.paths, args.out, progress=not args.quiet)
    return 0


def _remove(args: argparse.Namespace) -> int:
    location = index.open_index(args.store or args.index)
    report = location.remove(args.sources)
    print(
        f"removed {', '.join(report.removed)} from {location.where}: "
        f"{report.documents} document(s), {report.passages} passages left",
        file=sys.stderr,
    )
    return 0


def _ask(args: argparse.Namespace) -> int:
    bot = qa.load(args.store or args.index, backend=args.backend)
    answer = bot.ask(args.question, k=args.k, mode=args.mode, sources=args.source)
    if args.json:
        data = asdict(answer)
        # What the chat shows: rendering is the UI's (qa gives quotes and passages).
        data["markdown"] = answer_markdown(answer, threshold=bot.threshold)
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    if answer.found:
        for quote in answer.quotes:
            print(f"\u201c{quote.text}\u201d")
            print(
                f"    \u2014 {quote.source}, {quote.location}, characters {quote.start}-{quote.end}"
            )
        print(f"(confidence {answer.confidence:.2f})")
    else:
        print("Not in the documents. Closest matches:")
        for p in answer.passages[:3]:
            snippet = " ".join(p.text.split())[:160]
            print(f"  - {p.source}, {p.location} (similarity {p.similarity:.2f}): {snippet}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise qa.QuestionError("--limit must be at least 1")
    dataset = qa.load_dataset(args.dataset, corpus=args.corpus)
    out = Path(args.index or Path(".qa-eval") / dataset.name)
    embedder = index.load_embedder(args.model, backend=args.backend)
    build_seconds = qa.prepare_index(
        dataset,
        out,
        embedder=embedder,
        chunking=index.ChunkingOptions(max_tokens=args.chunk_tokens),
        progress=not args.quiet,
    )
    bot = qa.load(out, embedder=embedder)
    mode: qa.Mode = "keyword" if args.mode == "bm25" else args.mode
    report = qa.evaluate(
        bot,
        dataset,
        mode=mode,
        k=args.k,
        limit=args.limit,
        progress=not args.quiet,
        index=str(out),
        build_seconds=build_seconds,
        sentence_cache=out.with_name(out.name + ".sentence-vectors.npz"),
    )
    if args.json:
        print(json.dumps(report.summary(), indent=2))
    else:
        print(report.table())
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise qa.QuestionError("--limit must be at least 1")
    location = args.store or args.index
    dataset = qa.load_dataset(args.dataset, need_corpus=False)
    bot = qa.load(location, backend=args.backend)
    fitted, report = qa.calibrate(
        bot,
        dataset,
        max_false_abstention=args.max_false_abstention,
        limit=args.limit,
        progress=not args.quiet,
    )
    print(_tradeoff_table(tradeoff(report.results, [bot.threshold, fitted.threshold])))
    refused = (
        f", refuses {fitted.correct_abstention:.0%} of {fitted.unanswerable} unanswerable"
        if fitted.correct_abstention is not None
        else ""
    )
    summary = (
        f"threshold {fitted.threshold:.4f} (was {bot.threshold:.4f}): refuses "
        f"{fitted.false_abstention:.1%} of {fitted.answerable} answerable question(s){refused}"
    )
    if args.dry_run:
        print(f"{summary}; not stored (--dry-run)")
        return 0
    qa.save_calibration(location, fitted)
    print(f"{summary}; stored with {bot.store.path} for {fitted.model}")
    return 0


def _tradeoff_table(rows: Sequence[TradeoffRow]) -> str:
    lines = ["  threshold  refused  refused answerable  wrong answers"]
    for r in rows:
        lines.append(
            f"  {r.threshold:9.4f}  {r.refused:7.1%}  {r.refused_answerable:18.1%}  {r.wrong:13.1%}"
        )
    return "\n".join(lines)


def _no_index(folder: str) -> bool:
    """True if nothing is at ``folder`` yet (a missing or empty folder)."""
    path = Path(folder)
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def _serve(args: argparse.Namespace) -> int:
    from ._auth import logins

    auth = logins(args.auth, args.auth_file)  # checked before any slow work
    paths = args.paths
    if not paths and not args.store and _no_index(args.index):
        paths = [str(DEFAULT_CORPUS)]
        print(
            f"qa: no index at {args.index}; serving the bundled corpus {DEFAULT_CORPUS}",
            file=sys.stderr,
        )
    if paths:
        _build(args, paths, args.index, progress=True)
    bot = qa.load(args.store or args.index, backend=args.backend)
    from ._uploads import Library
    from .app import serve

    library = Library(bot, max_file_bytes=int(args.max_file_mb * 1e6))
    serve(
        library,
        host=args.host,
        port=args.port,
        auth=auth,
        examples=args.example,
        max_sessions=args.max_sessions,
        mcp=args.mcp,
    )
    return 0


def _mcp(args: argparse.Namespace) -> int:
    import contextlib

    from ._mcp import run_stdio

    # stdout carries the protocol: anything printed while the model loads goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        bot = qa.load(args.store or args.index, backend=args.backend)
    run_stdio(lambda: bot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
