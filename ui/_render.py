"""Markdown for answers (the UI's: qa gives quotes and passages, the UI renders them).

Document text is escaped: it is shown as text, never as markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa import Answer, Passage, Quote

# "<", ">" and "&" are not here: html.escape turns them into entities, which Markdown shows as is.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def escape(text: str) -> str:
    """Escape ``text`` so that Markdown and HTML renderers show it literally."""
    # Markdown first: escaping "#" after html.escape would break entities such as "&#x27;".
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=True).replace("\n", " ")


def relevance_label(confidence: float, threshold: float) -> str:
    """A word for how sure the answer is: high, medium (answered) or low (refused)."""
    if confidence >= threshold + (1.0 - threshold) / 2:
        return "high"
    if confidence >= threshold:
        return "medium"
    return "low"


def passage_label(similarity: float) -> str:
    """A word for how closely a passage matches the question (cosine similarity)."""
    # Bands of the default model's cosine: an answering SQuAD paragraph scores ~0.5 and
    # above, an unrelated one below ~0.3.
    if similarity >= 0.5:
        return "high"
    if similarity >= 0.3:
        return "medium"
    return "low"


def highlighted(passage: Passage, quotes: list[Quote]) -> str:
    """The passage as escaped Markdown with the quoted spans inside ``<mark>``."""
    pieces: list[str] = []
    cursor = passage.start
    for q in sorted(quotes, key=lambda q: q.start):
        start, end = max(q.start, cursor), min(q.end, passage.end)
        if start >= end:
            continue
        pieces.append(escape(passage.text[cursor - passage.start : start - passage.start]))
        pieces.append(
            "<mark>" + escape(passage.text[start - passage.start : end - passage.start]) + "</mark>"
        )
        cursor = end
    pieces.append(escape(passage.text[cursor - passage.start :]))
    return "".join(pieces)


#: ``link(source, start, end)``: a URL that opens the cited text, or None.
Linker = Callable[[str, int, int], "str | None"]


def cite(source: str, location: str, start: int, end: int, *, link: Linker | None = None) -> str:
    """A citation such as ``report.txt, line 93, characters 4152–4481`` (a link with ``link``)."""
    text = f"{escape(source)}, {location}, characters {start}\u2013{end}"
    url = link(source, start, end) if link else None
    return f"[{text}]({url})" if url else text


def searched_line(answer: Answer) -> str | None:
    """For a follow-up, the line saying what it was searched as."""
    if answer.searched_as is None:
        return None
    return f"*Searched as:* \u201c{escape(answer.searched_as)}\u201d"


def answer_markdown(answer: Answer, *, threshold: float = 0.3, link: Linker | None = None) -> str:
    """Render an answer for the chat; ``link`` makes each citation a link to its source."""
    searched = searched_line(answer)
    lines: list[str] = [searched, ""] if searched else []
    if answer.found:
        for q in answer.quotes:
            lines.append(f"> **\u201c{escape(q.text)}\u201d**")
            lines.append(">")
            lines.append(f"> \u2014 *{cite(q.source, q.location, q.start, q.end, link=link)}*")
            lines.append("")
        lines.append(
            f"Relevance: **{relevance_label(answer.confidence, threshold)}** "
            f"(confidence {answer.confidence:.2f})"
        )
        lines.append("")
        used = sorted({q.passage for q in answer.quotes})
        for i in used:
            p = answer.passages[i]
            mine = [
                q
                for q in answer.quotes
                if q.passage == i
                or (q.source == p.source and q.start >= p.start and q.end <= p.end)
            ]
            lines.append(
                f"**Passage** \u2014 {cite(p.source, p.location, p.start, p.end, link=link)}"
            )
            lines.append("")
            lines.append(highlighted(p, mine))
            lines.append("")
    else:
        lines.append(
            "**Not in the documents.** Nothing in the indexed documents answers this question."
        )
        if answer.passages:
            lines.append("")
            lines.append("Closest matches (these do not answer it):")
            lines.append("")
            for p in answer.passages[:3]:
                snippet = p.text if len(p.text) <= 200 else p.text[:200] + "\u2026"
                lines.append(
                    f"- *{cite(p.source, p.location, p.start, p.end, link=link)}* "
                    f"(similarity {p.similarity:.2f}): {escape(snippet)}"
                )
    return "\n".join(lines).rstrip() + "\n"
