"""Finding the text worth indexing: paragraphs of content, without menus, banners and footers.

HTML is cleaned by its extractor (trafilatura) before it gets here; Markdown and PDF text are
content already. Plain text saved from a web page still carries the site's navigation,
cookie banner, "related" lists and footer. The cleaner is conservative: it drops only what is
surely a site's own furniture, and says why (:func:`explain_cleaning`, ``qa index --explain``):

- a cookie or consent banner;
- above the first paragraph of running text, or below the last: runs of three or more short
  link-like lines (a menu), short link-like blocks repeated verbatim, a site's own links
  ("Home", "Log in"), lists under "Related" / "Read more" style headings, and the footer
  from its copyright or privacy line down;
- anywhere: links between separators ("About | Contact | Privacy"), copyright lines, and runs
  of link lines that are mostly a site's own links ("Share", "Facebook", "Email").

Never dropped: any line of running text, a line repeated in the body (a chorus, a heading
listed in a table of contents), a list introduced by a colon or set right after prose
(action items, ingredients), a table of contents, the title, byline, date and author notes.
A document without running text (a song, a list) loses only cookie, copyright and site-link
lines; if nothing would be left, everything is kept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ._clean_lines import Line, cookie_text, label, split_lines

Span = tuple[int, int]

COOKIE = "cookie or consent banner"
MENU = "site menu: a run of short link-like lines outside the article"
REPEATED = "menu block repeated verbatim"
SITE_LINK = "a site's own link outside the article"
NAV_BAR = "links between separators"
SITE_LINKS = "a run of the site's own links"
RELATED = "links under a related/read-more heading"
FOOTER = "page footer (from its copyright or privacy line down)"
COPYRIGHT = "copyright line"


@dataclass(frozen=True)
class Dropped:
    """A block of lines the cleaner keeps out of the index, and why."""

    first_line: int  # 1-based, as editors count
    last_line: int
    reason: str
    text: str  # the block's first line, shortened


def content_paragraphs(text: str, *, kind: str, keep_all: bool = False) -> list[Span]:
    """Character spans of the paragraphs to index, in document order.

    A paragraph is a run of kept, non-blank lines; each span is trimmed of surrounding space.
    ``keep_all`` keeps every line (cleaning off, ``qa index --keep-all``).
    """
    lines = split_lines(text)
    why = _reasons(lines) if kind == "text" and not keep_all else [None] * len(lines)
    spans: list[Span] = []
    current: Span | None = None
    for line, reason in zip(lines, why, strict=True):
        if reason is None and not line.blank:
            current = (current[0], line.end) if current else (line.start, line.end)
        elif current is not None:
            spans.append(current)
            current = None
    if current is not None:
        spans.append(current)
    return spans


def explain_cleaning(text: str, *, kind: str) -> tuple[Dropped, ...]:
    """The blocks :func:`content_paragraphs` leaves out of ``text``, one per reason and run."""
    if kind != "text":
        return ()
    lines = split_lines(text)
    why = _reasons(lines)
    out: list[Dropped] = []
    open_block: list[int] = []  # line numbers of the block being gathered
    for i, (line, reason) in enumerate(zip(lines, why, strict=True)):
        if line.blank:
            continue
        if open_block and (reason is None or why[open_block[-1]] != reason):
            out.append(_dropped(lines, open_block, why))
            open_block = []
        if reason is not None:
            open_block.append(i)
    if open_block:
        out.append(_dropped(lines, open_block, why))
    return tuple(out)


def _dropped(lines: list[Line], block: list[int], why: list[str | None]) -> Dropped:
    first = lines[block[0]].text
    shown = first if len(first) <= 60 else first[:57] + "..."
    return Dropped(block[0] + 1, block[-1] + 1, str(why[block[0]]), shown)


def _reasons(lines: list[Line]) -> list[str | None]:
    """Why each line is dropped, or None for a line that is kept."""
    n = len(lines)
    why: list[str | None] = [None] * n
    for block in _blocks(lines):
        words = sum(lines[i].words for i in block)
        if words <= 120 and cookie_text(" ".join(lines[i].text for i in block)):
            for i in block:
                why[i] = COOKIE
    anchors = [i for i, line in enumerate(lines) if line.prose and why[i] is None]
    for i, line in enumerate(lines):
        if why[i] is None and not line.blank and (line.nav_bar or line.copyright):
            why[i] = NAV_BAR if line.nav_bar else COPYRIGHT
    if anchors:
        first, last = anchors[0], anchors[-1]
        kept = _author_blocks(lines, last)
        # Headings of the body, which a table of contents above it lists again.
        body = Counter(label(lines[i].text) for i in range(first, last + 1) if why[i] is None)
        _outside(lines, why, range(0, first), kept, body, title=_title(lines))
        _related_sections(lines, why, last, kept)
        _footer(lines, why, last, kept)
        _outside(lines, why, range(last + 1, n), kept, body, title=-1)
    _site_link_runs(lines, why)
    if all(reason is not None or line.blank for line, reason in zip(lines, why, strict=True)):
        return [None] * n  # nothing left: the document is all "boilerplate", keep it whole
    return why


def _blocks(lines: list[Line]) -> list[list[int]]:
    # Runs of consecutive non-blank lines (paragraphs).
    blocks: list[list[int]] = []
    current: list[int] = []
    for i, line in enumerate(lines):
        if line.blank:
            if current:
                blocks.append(current)
            current = []
        else:
            current.append(i)
    if current:
        blocks.append(current)
    return blocks


def _runs(lines: list[Line], indices: range, why: list[str | None]) -> list[list[int]]:
    # Runs of consecutive, still-kept link-like lines among ``indices``.
    runs: list[list[int]] = []
    current: list[int] = []
    for i in indices:
        if why[i] is None and lines[i].link:
            current.append(i)
            continue
        if current:
            runs.append(current)
        current = []
    if current:
        runs.append(current)
    return runs


def _site_link_runs(lines: list[Line], why: list[str | None]) -> None:
    # Anywhere, even in the body: two or more link lines, mostly the site's own ("Share",
    # "Facebook", "Email"). A run of ordinary words is left alone.
    for run in _runs(lines, range(len(lines)), why):
        if len(run) >= 2 and sum(lines[i].nav for i in run) * 2 >= len(run):
            for i in run:
                why[i] = SITE_LINKS


def _outside(
    lines: list[Line],
    why: list[str | None],
    region: range,
    kept: set[int],
    body: Counter[str],
    *,
    title: int,
) -> None:
    # Above or below the article: menus and the site's own links go, the rest stays.
    for run in _runs(lines, region, why):
        run = [i for i in run if i not in kept and i != title]
        if not run:
            continue
        texts = tuple(lines[i].text for i in run)
        repeated = len(run) >= 2 and _occurs_twice(lines, texts)
        if (len(run) >= 3 or repeated) and not _protected(lines, run, why, body):
            reason = REPEATED if repeated else MENU
            for i in run:
                why[i] = reason
    for i in region:
        if why[i] is None and i not in kept and i != title and lines[i].nav:
            why[i] = SITE_LINK


def _protected(
    lines: list[Line], run: list[int], why: list[str | None], body: Counter[str]
) -> bool:
    # A list that belongs to the document: introduced by a colon or set right after prose,
    # or a table of contents (its entries come back as headings). A run mostly made of the
    # site's own links ("Home", "Contact") is a menu whatever precedes it.
    if sum(lines[i].nav for i in run) * 2 >= len(run):
        return False
    before = _previous(lines, run[0])
    if before is not None and why[before] is None:
        previous = lines[before]
        if previous.prose or (previous.text.endswith(":") and not previous.nav_heading):
            return True
        # A short heading of its own ("Still open") between the prose and the list.
        if previous.words <= 6 and not previous.nav and not previous.nav_heading:
            above = _previous(lines, before)
            if above is not None and lines[above].prose and why[above] is None:
                return True
    elsewhere = sum(1 for i in run if body[label(lines[i].text)] > 0)
    return elsewhere * 2 >= len(run)


def _previous(lines: list[Line], i: int) -> int | None:
    # The non-blank line just above line ``i``, across at most one blank line.
    j = i - 1
    if j >= 0 and lines[j].blank:
        j -= 1
    return j if j >= 0 and not lines[j].blank else None


def _occurs_twice(lines: list[Line], texts: tuple[str, ...]) -> bool:
    size = len(texts)
    found = 0
    for i in range(len(lines) - size + 1):
        if tuple(line.text for line in lines[i : i + size]) == texts:
            found += 1
            if found > 1:
                return True
    return False


def _title(lines: list[Line]) -> int:
    # The first line of a saved page is its title (unless it is a site link itself).
    for i, line in enumerate(lines):
        if not line.blank:
            return -1 if line.nav else i
    return -1


def _author_blocks(lines: list[Line], last: int) -> set[int]:
    # Below the article, an "Authors" heading or a byline introduces who wrote it and their
    # affiliation: kept, since people ask about them.
    kept: set[int] = set()
    i = last + 1
    while i < len(lines):
        if not lines[i].author_heading:
            i += 1
            continue
        kept.add(i)
        j = i + 1
        while j < len(lines) and lines[j].blank:
            j += 1
        block = 0
        while j < len(lines) and not lines[j].blank and block < 4:
            kept.add(j)
            j += 1
            block += 1
        i = j
    return kept


def _related_sections(lines: list[Line], why: list[str | None], last: int, kept: set[int]) -> None:
    # Below the article, a "Related" / "Read more" heading and the lists under it, down to
    # the next paragraph of prose, author note or list introduced by a colon.
    i = last + 1
    while i < len(lines):
        if why[i] is not None or i in kept or not lines[i].nav_heading:
            i += 1
            continue
        why[i] = RELATED
        j = i + 1
        while j < len(lines):
            line = lines[j]
            if line.prose or j in kept:
                break
            if line.text.endswith(":") and not line.nav_heading:
                break
            if not line.blank and why[j] is None:
                why[j] = RELATED
            j += 1
        i = j


def _footer(lines: list[Line], why: list[str | None], last: int, kept: set[int]) -> None:
    # The footer starts at the first copyright or privacy/terms line below the article.
    start = next(
        (i for i in range(last + 1, len(lines)) if lines[i].footer_marker and i not in kept),
        None,
    )
    if start is None:
        return
    for i in range(start, len(lines)):
        line = lines[i]
        if not line.blank and why[i] is None and i not in kept and not line.prose:
            why[i] = FOOTER
