"""The Gradio web chat: answers with highlighted quotes, a sources panel, settings, uploads.

The chat function is a plain ``fn(message, history)`` (see :func:`chat_function`); the page
adds the sources panel and the document list around it. ``ask`` is a JSON API endpoint::

    from gradio_client import Client
    Client("http://127.0.0.1:7860/").predict("What is cyber diplomacy?", 5, "hybrid",
                                             api_name="/ask")
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import index
import qa

from ._chat import answer_json, answer_turn, as_library, chat_function
from ._defaults import DEFAULT_HOST, DEFAULT_PORT, quiet_network
from ._examples import example_questions
from ._feedback import ANSWERS_JS, Turn, add_turn
from ._feedback import wire as wire_feedback
from ._history import previous_questions
from ._open import linker, mount_documents
from ._style import COPY_JS, CSS
from ._uploads import Library
from ._views import chat_markdown, documents_html, sources_html, upload_markdown

#: Most browser or API sessions whose page state the server keeps (Gradio's
#: ``state_session_capacity``; its own default is 10,000). Each costs about 60 KB: a copy of
#: the page's configuration. Sessions whose page closes are freed at once (see
#: :func:`forget_session`), so this bound only matters for clients that never close.
DEFAULT_MAX_SESSIONS = 1000

#: Gradio keeps a record of every request for its monitoring page, up to
#: ``GRADIO_ANALYTICS_MAX_EVENTS`` (10,000 by default), and rebuilds a pandas table of all of
#: them after each request (``GRADIO_ANALYTICS_CACHE_FREQUENCY``, 1 by default). That page is
#: not used here, so keep fewer records and summarise them rarely.
_ANALYTICS = {"GRADIO_ANALYTICS_MAX_EVENTS": "1000", "GRADIO_ANALYTICS_CACHE_FREQUENCY": "1000"}


def build_app(
    bot: qa.Bot | Library,
    *,
    examples: Sequence[str] = (),
) -> Any:
    """The Gradio Blocks app for ``bot`` (or a :class:`Library` with its upload settings)."""
    quiet_network()
    for name, value in _ANALYTICS.items():
        os.environ.setdefault(name, value)  # read when the Blocks' queue is made
    import gradio as gr

    library = as_library(bot)
    chat = chat_function(library)

    def sources_panel(answer: qa.Answer | None, bot: qa.Bot, search_only: bool) -> str:
        return sources_html(
            answer,
            document=bot.document,
            threshold=bot.threshold,
            search_only=search_only,
            link=linker(bot.store),
        )

    def respond(
        message: str,
        history: list[Any],
        k: float,
        mode: str,
        search_only: bool,
        sources: list[str] | None = None,
        turns: list[Turn] | None = None,
    ) -> tuple[list[Any], str, str, Any]:
        history = list(history or [])
        answered = None
        try:
            bot, answer = answer_turn(
                library,
                message,
                k=int(k),
                mode=mode,
                search_only=search_only,
                sources=sources,
                history=previous_questions(history),
            )
        except qa.QAError as exc:
            reply, panel = f"**Cannot answer:** {_escape(str(exc))}", gr.skip()
        else:
            reply = chat_markdown(
                answer, threshold=bot.threshold, search_only=search_only, link=linker(bot.store)
            )
            panel = sources_panel(answer, bot, search_only)
            answered = (answer, bot.threshold)
        history.append({"role": "user", "content": _escape(message)})
        history.append({"role": "assistant", "content": reply})
        if answered is None:
            return history, panel, "", gr.skip()
        # Remembered for the thumbs, "this answers it" and the Markdown export.
        remembered = add_turn(
            turns,
            history,
            answered[0],
            mode=mode,
            k=int(k),
            sources=sources,
            search_only=search_only,
            threshold=answered[1],
        )
        return history, panel, "", remembered

    def ask(
        question: str,
        k: int = 5,
        mode: str = "hybrid",
        sources: list[str] | None = None,
        history: list[str] | None = None,
    ) -> dict[str, Any]:
        """Answer a question: found, quotes (text, source, start, end, location, score) and
        the passages used (text, source, offsets, score, similarity). ``sources`` limits the
        answer to those documents (none: all of them); ``history``, the earlier questions of
        the conversation (oldest first), lets a follow-up lean on them (``searched_as``)."""
        try:
            bot, answer = answer_turn(
                library,
                question,
                k=k,
                mode=mode,
                search_only=False,
                sources=sources,
                history=[str(h) for h in history or ()],
            )
        except qa.QAError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        return answer_json(answer, threshold=bot.threshold)

    def documents_state() -> tuple[str, Any, Any]:
        names = [s.source for s in library.sources()]
        return (
            documents_html(library.sources()),
            gr.update(choices=names, value=None),
            # The picker keeps what is still there: a removed document drops out of it.
            gr.update(choices=names),
        )

    tracker = gr.Progress(track_tqdm=True)  # the embedding's progress bar shows on the page

    def on_upload(files: list[str] | None, progress: Any = tracker) -> tuple[Any, ...]:
        if not files:
            return (gr.skip(),) * 5
        try:
            report = library.add(files, on_progress=lambda f, what: progress(f, desc=what))
        except qa.QAError as exc:
            return (
                f"**Could not update the index:** {_escape(str(exc))}",
                *documents_state(),
                None,
            )
        failed = [(f.name, f.message) for f in report.failed]
        message = upload_markdown(report.added, failed, report.documents)
        return (message, *documents_state(), None)

    def on_remove(source: str | None) -> tuple[Any, ...]:
        if not source:
            return ("Choose a document to remove.", *documents_state())
        try:
            library.remove(source)
        except qa.QAError as exc:
            return (f"**Not removed:** {_escape(str(exc))}", *documents_state())
        return (f"**Removed** {_escape(source)}.", *documents_state())

    current = library.bot
    questions = example_questions(current.store.documents, configured=examples)
    with gr.Blocks(title="Ask the documents", analytics_enabled=False) as app:
        gr.Markdown(
            "## Ask the documents\n"
            "Answers are exact quotes from the indexed documents, highlighted in their "
            "passage, with the source and position. Nothing is written by a language model.",
            elem_id="qa-intro",
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,
                    elem_id="qa-chat",
                    height=540,
                    latex_delimiters=[],
                    feedback_options=("Like", "Dislike"),
                    buttons=[],  # its copy gives raw Markdown; the sources panel copies clean text
                    placeholder="Ask a question about the documents.",
                )
                with gr.Row(equal_height=True):
                    box = gr.Textbox(
                        show_label=False,
                        placeholder="Type a question and press Enter",
                        elem_id="qa-question",
                        scale=5,
                        min_width=180,
                        autofocus=True,
                        max_length=qa_max_chars(),
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=70)
                feedback_status = gr.Markdown(elem_id="qa-feedback-status")
                turns = gr.State([])
                if questions:
                    gr.Examples(
                        examples=[[q] for q in questions],
                        inputs=[box],
                        label="Example questions",
                        elem_id="qa-examples",
                    )
                chosen = gr.Dropdown(
                    [s.source for s in library.sources()],
                    value=[],
                    multiselect=True,
                    label="Answer from these documents only (none: all of them)",
                    elem_id="qa-sources-pick",
                )
                with gr.Accordion("Settings", open=False, elem_id="qa-settings"):
                    k = gr.Slider(1, 20, value=5, step=1, label="Passages to retrieve")
                    mode = gr.Radio(list(qa.MODES), value="hybrid", label="Search mode")
                    search_only = gr.Checkbox(
                        False, label="Search only: show the passages without picking an answer"
                    )
            with gr.Column(scale=2, min_width=300):
                gr.Markdown("### Sources")
                panel = gr.HTML(
                    sources_html(None, document=current.document, threshold=current.threshold),
                    elem_id="qa-sources",
                    js_on_load=COPY_JS + ANSWERS_JS,
                )
                export = gr.DownloadButton(
                    "Download conversation (.md)",
                    visible=False,
                    elem_id="qa-export",
                    size="sm",
                )
        with gr.Accordion("Documents", open=False, elem_id="qa-documents"):
            upload = gr.File(
                label="Add documents (.txt .md .html .pdf .docx .pptx .odt .epub .rtf)",
                file_count="multiple",
                file_types=sorted(index.SUPPORTED_SUFFIXES),
                elem_id="qa-upload",
                height=140,
            )
            status = gr.Markdown(elem_id="qa-upload-status")
            doc_list = gr.HTML(documents_html(library.sources()), elem_id="qa-doc-list")
            with gr.Row(equal_height=True):
                pick = gr.Dropdown(
                    [s.source for s in library.sources()],
                    value=None,
                    label="Document to remove",
                    elem_id="qa-remove-pick",
                    # on_remove checks the name: a page whose session state the server has
                    # let go (see forget_session) still lists documents it uploaded.
                    allow_custom_value=True,
                    scale=3,
                )
                remove = gr.Button("Remove from index", variant="stop", scale=1)

        inputs = [box, chatbot, k, mode, search_only, chosen, turns]
        outputs = [chatbot, panel, box, turns]
        box.submit(respond, inputs, outputs, api_visibility="private")
        send.click(respond, inputs, outputs, api_visibility="private")
        upload.upload(
            on_upload,
            [upload],
            [status, doc_list, pick, chosen, upload],
            api_visibility="private",
        )
        remove.click(on_remove, [pick], [status, doc_list, pick, chosen], api_visibility="private")
        wire_feedback(
            library,
            chatbot=chatbot,
            panel=panel,
            turns=turns,
            status=feedback_status,
            export=export,
        )
        gr.api(ask, api_name="ask")  # type: ignore[attr-defined]
        gr.api(chat, api_name="chat", api_visibility="undocumented")  # type: ignore[attr-defined]

        async def on_close(request: Any) -> None:
            # Async: it runs on the server's event loop, like the code that uses these records.
            forget_session(app, request.session_hash)

        # A real annotation (not a string): Gradio passes the request to parameters typed so.
        on_close.__annotations__ = {"request": gr.Request, "return": None}
        app.unload(on_close)
    return app


def forget_session(app: Any, session_hash: str | None) -> None:
    """Drop what the server keeps for a session whose page has closed.

    Gradio marks a closed session but keeps its state (a copy of the page's configuration)
    until ``state_session_capacity`` newer sessions push it out. Nothing here needs it once
    the page is gone: a page that comes back gets a fresh copy.
    """
    holder = getattr(app, "state_holder", None)
    if not session_hash or holder is None:
        return
    with holder.lock:
        holder.session_data.pop(session_hash, None)
        holder.time_last_used.pop(session_hash, None)
    queue = getattr(app, "_queue", None)
    pending = getattr(queue, "pending_event_ids_session", {})
    if pending.get(session_hash, True):
        return  # a request of this session is still running: its messages are still needed
    pending.pop(session_hash, None)
    messages = getattr(queue, "pending_messages_per_session", {})
    if session_hash in messages and messages[session_hash].empty():
        del messages[session_hash]


def qa_max_chars() -> int:
    """Longest question the page accepts (the bot's own limit)."""
    return qa.MAX_QUESTION_CHARS


def _escape(text: str) -> str:
    from ._render import escape

    return escape(text)


def launch_options(
    *, host: str, port: int, max_file_bytes: int, max_sessions: int = DEFAULT_MAX_SESSIONS
) -> dict[str, Any]:
    """Options for ``Blocks.launch``: local by default, never a share link, no calls home.

    ``max_sessions`` bounds the sessions whose page state the server keeps in memory.
    """
    import gradio as gr

    system = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "monospace"]
    return {
        "server_name": host,
        "server_port": port,
        "share": False,
        "show_error": False,
        "footer_links": ["api"],
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "max_file_size": max_file_bytes,
        "state_session_capacity": max_sessions,
        # System fonts: the default theme would fetch its fonts from Google.
        "theme": gr.themes.Soft(font=system, font_mono=mono),
        "css": CSS,
        "quiet": True,
    }


class ServeError(qa.QAError):
    """The web server cannot start (the port is taken, the address is not this machine's)."""


def start(
    bot: qa.Bot | Library,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    examples: Sequence[str] = (),
    auth: Sequence[tuple[str, str]] | None = None,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    mcp: bool = False,
) -> tuple[Any, str]:
    """Start the web chat in the background; return the app and its URL (``app.close()``).

    ``auth``: (user, password) pairs; when given, the page and its API ask for a login.
    ``max_sessions``: most open sessions whose page state is kept in memory.
    ``mcp``: also serve the MCP tools at ``/mcp`` (see :mod:`ui._mcp`).
    """
    if max_sessions < 1:
        raise ServeError(f"keep at least 1 session, not {max_sessions}; raise --max-sessions")
    library = as_library(bot)
    app = build_app(library, examples=examples)
    extra: dict[str, Any] = {}
    if mcp:
        from ._mcp import http_app_kwargs

        extra["app_kwargs"] = http_app_kwargs(lambda: library.bot, host=host, auth=auth)
    try:
        _, url, _ = app.launch(
            prevent_thread_lock=True,
            **launch_options(
                host=host,
                port=port,
                max_file_bytes=library.max_file_bytes,
                max_sessions=max_sessions,
            ),
            auth=list(auth) if auth else None,
            **extra,
        )
    except OSError as exc:
        raise ServeError(
            f"cannot serve on {host}:{port} ({exc.strerror or 'port in use'}); "
            "choose another --port or --host"
        ) from None
    mount_documents(app.server_app, library)  # citations open their document here
    return app, str(url)


def serve(
    bot: qa.Bot | Library,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    examples: Sequence[str] = (),
    auth: Sequence[tuple[str, str]] | None = None,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    mcp: bool = False,
) -> None:
    """Start the web chat and block until it is stopped (Ctrl+C).

    ``auth``: (user, password) pairs; when given, the page and its API ask for a login.
    ``max_sessions``: most open sessions whose page state is kept in memory.
    ``mcp``: also serve the MCP tools at ``/mcp``.
    """
    app, url = start(
        bot,
        host=host,
        port=port,
        examples=examples,
        auth=auth,
        max_sessions=max_sessions,
        mcp=mcp,
    )
    if host not in ("127.0.0.1", "localhost", "::1") and not auth:
        print(f"qa: serving on {host}:{port}: anyone who can reach this machine can use it")
    print(f"qa: the chat is at {url} (Ctrl+C stops it)", flush=True)
    if mcp:
        print(f"qa: MCP tools (ask, search) at {url.rstrip('/')}/mcp", flush=True)
    try:
        app.block_thread()
    finally:
        app.close()
