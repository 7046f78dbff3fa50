"""What the page shows: the chat reply, the sources panel, the document list.

Document text is always escaped: the chat's Markdown through ``_render.escape`` (Markdown and
HTML), the panels' HTML with ``html.escape``. Nothing from a document becomes markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

import qa
from index import parts

from ._render import Linker, answer_markdown, cite, escape, passage_label, searched_line

#: Characters of surrounding text shown on each side when a passage is expanded.
CONTEXT_CHARS = 600


def chat_markdown(
    answer: qa.Answer, *, threshold: float, search_only: bool = False, link: Linker | None = None
) -> str:
    """The assistant's reply in the chat; ``link`` makes citations open their source."""
    if not search_only:
        return answer_markdown(answer, threshold=threshold, link=link)
    if not answer.passages:
        return "**No passages found.** Try other words or the hybrid search mode."
    searched = searched_line(answer)
    lines = [searched, ""] if searched else []
    lines.append(f"**Search only:** the {len(answer.passages)} best passages (no answer picked).")
    lines.append("")
    for i, p in enumerate(answer.passages, 1):
        snippet = p.text if len(p.text) <= 240 else p.text[:240] + "\u2026"
        label = passage_label(p.similarity)
        lines.append(
            f"{i}. *{cite(p.source, p.location, p.start, p.end, link=link)}* "
            f"({label}, similarity {p.similarity:.2f}): {escape(snippet)}"
        )
    return "\n".join(lines) + "\n"


def citation(quote: qa.Quote | qa.Passage) -> str:
    """Plain text to copy: the quote and where it comes from."""
    text = " ".join(quote.text.split())
    return (
        f"\u201c{text}\u201d \u2014 {quote.source}, {quote.location}, "
        f"characters {quote.start}\u2013{quote.end}"
    )


def sources_html(
    answer: qa.Answer | None,
    *,
    document: Callable[[str], str],
    threshold: float,
    search_only: bool = False,
    link: Linker | None = None,
) -> str:
    """The sources panel: every passage used for the last answer, expandable in its document.

    ``link``: each card gets an "Open in document" link and a "This answers it" button.
    """
    if answer is None:
        return (
            '<div class="qa-sources qa-empty">Ask a question: the passages behind the answer '
            "appear here.</div>"
        )
    if not answer.passages:
        return '<div class="qa-sources qa-empty">No passages matched.</div>'
    if search_only:
        heading = "Passages found (search only)"
    elif answer.found:
        heading = "Passages used for the answer"
    else:
        heading = "Closest passages \u2014 they do not answer the question"
    parts = [f'<div class="qa-sources"><div class="qa-sources-title">{heading}</div>']
    for i, p in enumerate(answer.passages):
        quotes = [] if search_only else [q for q in answer.quotes if _inside(q, p)]
        parts.append(_passage_card(i, p, quotes, document, threshold, link))
    parts.append("</div>")
    return "".join(parts)


def _inside(q: qa.Quote, p: qa.Passage) -> bool:
    return q.source == p.source and q.start < p.end and q.end > p.start


def _passage_card(
    i: int,
    p: qa.Passage,
    quotes: Sequence[qa.Quote],
    document: Callable[[str], str],
    threshold: float,
    link: Linker | None = None,
) -> str:
    label = passage_label(p.similarity)
    spans = [(q.start, q.end) for q in quotes]
    head = (
        f'<div class="qa-card-head"><span class="qa-rank">{i + 1}</span> '
        f'<span class="qa-source">{_esc(p.source)}</span> '
        f'<span class="qa-where">{_esc(p.location)}, characters {p.start}\u2013{p.end}</span> '
        f'<span class="qa-rel qa-rel-{label}" title="cosine similarity to the question">'
        f"{label} \u00b7 {p.similarity:.2f}</span></div>"
    )
    body = f'<div class="qa-passage">{_highlight(p.text, p.start, spans)}</div>'
    try:
        full = document(p.source)
    except KeyError:  # the document was removed since this answer
        full = ""
    context = ""
    if full[p.start : p.end] == p.text:
        lo = _snap(full, max(0, p.start - CONTEXT_CHARS), forward=True)
        hi = _snap(full, min(len(full), p.end + CONTEXT_CHARS), forward=False)
        before = ("\u2026" if lo > 0 else "") + _esc_text(full[lo : p.start])
        after = _esc_text(full[p.end : hi]) + ("\u2026" if hi < len(full) else "")
        context = (
            '<details class="qa-context"><summary>Show surrounding text</summary>'
            f'<div class="qa-context-text"><span class="qa-muted">{before}</span>'
            f'<span class="qa-in">{_highlight(p.text, p.start, spans)}</span>'
            f'<span class="qa-muted">{after}</span></div></details>'
        )
    buttons = "".join(
        f'<button type="button" class="qa-copy" data-copy="{_esc(citation(q))}">'
        "Copy quote with citation</button>"
        for q in quotes
    ) or (
        f'<button type="button" class="qa-copy" data-copy="{_esc(citation(p))}">'
        "Copy passage with citation</button>"
    )
    if link is not None:
        buttons += _card_links(i, p, quotes, link)
    return (
        f'<div class="qa-card" data-source="{_esc(p.source)}">{head}{body}{context}'
        f'<div class="qa-actions">{buttons}</div></div>'
    )


def _card_links(i: int, p: qa.Passage, quotes: Sequence[qa.Quote], link: Linker) -> str:
    # Open at the quote (or the passage, if it holds none), and mark the passage as the answer.
    start, end = (quotes[0].start, quotes[0].end) if quotes else (p.start, p.end)
    url = link(p.source, start, end)
    opened = (
        f'<a class="qa-copy qa-open" href="{_esc(url)}" target="_blank" rel="noopener">'
        "Open in document</a>"
        if url
        else ""
    )
    return (
        f'{opened}<button type="button" class="qa-copy qa-answers" data-passage="{i}" '
        'title="Tell us this passage answers the question">This answers it</button>'
    )


def _highlight(text: str, base: int, spans: Sequence[tuple[int, int]]) -> str:
    out: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        s, e = max(start - base, cursor), min(end - base, len(text))
        if s >= e:
            continue
        out.append(_esc_text(text[cursor:s]))
        out.append(f"<mark>{_esc_text(text[s:e])}</mark>")
        cursor = e
    out.append(_esc_text(text[cursor:]))
    return "".join(out)


def _snap(text: str, pos: int, *, forward: bool) -> int:
    # Cut the context at a space, not inside a word.
    if pos in (0, len(text)):
        return pos
    step = 1 if forward else -1
    for _ in range(40):
        if text[pos].isspace():
            return pos
        pos += step
        if pos in (0, len(text)):
            break
    return pos


_BLANK_LINES = re.compile(r"\n[ \t\u00a0]*(?:\n[ \t\u00a0]*)+")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _esc_text(text: str) -> str:
    # Runs of blank lines (page layout) shown as one: offsets still point at the real text.
    return _esc(_BLANK_LINES.sub("\n\n", text))


def documents_html(sources: Sequence[parts.SourceInfo]) -> str:
    """The list of indexed documents."""
    rows = "".join(
        f"<tr><td class='qa-doc-name'>{_esc(s.source)}</td><td>{_esc(s.title[:80])}</td>"
        f"<td>{s.kind}</td><td class='qa-num'>{s.chars:,}</td>"
        f"<td class='qa-num'>{s.passages:,}</td></tr>"
        for s in sources
    )
    return (
        f'<div class="qa-docs"><div class="qa-sources-title">{len(sources)} document(s) '
        "indexed</div><table><thead><tr><th>Source</th><th>Title</th><th>Type</th>"
        f"<th>Characters</th><th>Passages</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def upload_markdown(added: Sequence[str], failed: Sequence[tuple[str, str]], total: int) -> str:
    """The message after an upload: what was added, what could not be read and why."""
    lines: list[str] = []
    if added:
        names = ", ".join(escape(a) for a in added)
        lines.append(f"**Indexed** {names}. The index now holds {total} document(s).")
    for name, message in failed:
        lines.append(f"**Could not index** {escape(name)}: {escape(message)}")
    return "\n\n".join(lines) or (
        "Choose files to add them: .txt, .md, .html, .pdf, .docx, .pptx, .odt, .epub or .rtf."
    )
