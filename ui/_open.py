"""Open a citation at its source: a route beside the chat that serves indexed documents.

``GET /qa/doc/<source>?start=S&end=E`` answers only for a source the index holds (looked up
by its exact name in the live index, never as a path on disk, so ``..`` leads nowhere):

* a PDF whose original the index kept (:func:`parts.read_original`) is sent as is, for the
  browser's viewer; links to it end in ``#page=N``, the page the citation starts on;
* any other document (and a PDF without a kept original) is a page of its indexed text with
  the cited characters in ``<mark id="quote">``; links end in ``#quote``, which scrolls there.

Anything else is a 404 page that says so. With a login, the route asks for it as the chat does.
"""

from __future__ import annotations

import bisect
import html
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import index
from index import parts

from ._uploads import Library

#: The route's path below the server's root.
ROUTE = "qa/doc"

_PAGE_CSS = """
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  max-width: 860px; margin: 0 auto; padding: 16px 20px 40vh; color: #111827; background: #fff; }
header { border-bottom: 1px solid #d1d5db; margin-bottom: 12px; padding-bottom: 8px; }
header .where { color: #4b5563; font-size: 14px; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font: inherit; }
mark { background: #fde047; color: #111827; scroll-margin-top: 30vh; }
@media (prefers-color-scheme: dark) { body { background: #111827; color: #e5e7eb; }
  header .where { color: #9ca3af; } }
"""


def page_of(document: index.Document, offset: int) -> int:
    """The 1-based PDF page holding character ``offset`` (1 for other documents)."""
    return max(1, bisect.bisect_right(document.page_starts, offset))


def document_url(document: index.Document, start: int, end: int) -> str:
    """The link that opens ``document`` at characters ``start``–``end`` (relative to the
    server's root, as the page is served from there)."""
    path = f"/{ROUTE}/{quote(document.source, safe='/')}?start={start}&end={end}"
    if document.kind == "pdf":
        return f"{path}#page={page_of(document, start)}"
    return f"{path}#quote"


def linker(store: parts.SearchStore) -> Callable[[str, int, int], str | None]:
    """``link(source, start, end)``: the URL of a citation in ``store`` (None if it is gone)."""

    def link(source: str, start: int, end: int) -> str | None:
        try:
            return document_url(store.document(source), start, end)
        except KeyError:
            return None

    return link


def storage(library: Library) -> str | os.PathLike[str]:
    """Where the library's index lives: the database URL (with its password) or the folder."""
    return library.location


def mount_documents(server_app: Any, library: Library) -> None:
    """Add the document route to the running Gradio server (a FastAPI app)."""
    from fastapi import Depends
    from fastapi.responses import HTMLResponse, Response

    def open_document(source: str, start: int | None = None, end: int | None = None) -> Response:
        try:
            document = library.bot.store.document(source)
        except KeyError:
            return HTMLResponse(_message_page(_not_indexed(source)), status_code=404)
        span = None
        if start is not None and end is not None:
            if not 0 <= start <= end <= len(document.text):
                message = (
                    f"characters {start}\u2013{end} are not in {source} "
                    f"({len(document.text):,} characters); ask again to get a fresh link"
                )
                return HTMLResponse(_message_page(message), status_code=400)
            span = (start, end)
        if document.kind == "pdf":
            data = parts.read_original(storage(library), document)
            if data is not None:
                name = quote(source.rsplit("/", 1)[-1])
                return Response(
                    data,
                    media_type="application/pdf",
                    headers={
                        "Content-Disposition": f"inline; filename*=UTF-8''{name}",
                        "X-Content-Type-Options": "nosniff",
                    },
                )
        return HTMLResponse(text_page(document, span))

    server_app.add_api_route(
        f"/{ROUTE}/{{source:path}}",
        open_document,
        methods=["GET"],
        dependencies=[Depends(_login_check(server_app))],
        include_in_schema=False,
    )


def _login_check(server_app: Any) -> Callable[..., Any]:
    # Gradio's own check of its login cookie: the documents are as private as the chat.
    # Its API routes sit in an included router (FastAPI wraps it, keeping the original).
    pending = list(server_app.routes)
    while pending:
        route = pending.pop()
        if str(getattr(route, "path", "")).endswith("/login_check"):
            check: Callable[..., Any] = route.endpoint
            return check
        inner = getattr(route, "original_router", None) or getattr(route, "app", None)
        pending.extend(getattr(inner, "routes", None) or [])
    raise index.QAError("this Gradio has no login_check route; install gradio 6 (see pyproject)")


def _not_indexed(source: str) -> str:
    return (
        f"\u201c{source}\u201d is not in the index: only indexed documents open here "
        "(it may have been removed; ask again to get fresh links)"
    )


def text_page(document: index.Document, span: tuple[int, int] | None) -> str:
    """The document's indexed text as a page, ``span`` highlighted and anchored."""
    text = document.text
    if span is None:
        body = html.escape(text)
    else:
        start, end = span
        body = (
            html.escape(text[:start])
            + f'<mark id="quote">{html.escape(text[start:end])}</mark>'
            + html.escape(text[end:])
        )
    note = ""
    if document.kind == "pdf":
        note = (
            " \u00b7 the text extracted from the PDF (the index holds no copy of the file; "
            "index it again to keep one)"
        )
    where = ""
    if span is not None:
        where = f", characters {span[0]}\u2013{span[1]}"
        if document.kind == "pdf":
            where += f", page {page_of(document, span[0])}"
    title = html.escape(document.title or document.source)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_PAGE_CSS}</style></head><body><header><strong>"
        f"{html.escape(document.source)}</strong>"
        f'<div class="where">{document.kind}{html.escape(where)}{html.escape(note)}</div>'
        f'</header><pre id="qa-document">{body}</pre></body></html>'
    )


def _message_page(message: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title>'
        f'<style>{_PAGE_CSS}</style></head><body><p id="qa-message">'
        f"{html.escape(message)}</p></body></html>"
    )
