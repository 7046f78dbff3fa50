"""Main-content extraction from HTML pages, by trafilatura (menus, ads and footers dropped)."""

from __future__ import annotations

from ._errors import DocumentError


def html_text(html: str, *, source: str) -> tuple[str, str]:
    """Return ``(title, text)``: the page's metadata lines, then its main content."""
    import trafilatura

    result = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=True
    )
    body = (getattr(result, "text", None) or "").strip() if result is not None else ""
    if not body:
        raise DocumentError(
            f"{source}: no main text found in this HTML page; save the article as text instead"
        )
    title = (getattr(result, "title", None) or "").strip()
    # The extractor drops the byline from the body; keep title, author and date as lines
    # of their own, since people ask who wrote a page and when.
    header = [title] if title and not body.startswith(title) else []
    for field in ("author", "date"):
        value = getattr(result, field, None)
        if value and str(value).strip() not in body[:500]:
            header.append(str(value).strip())
    text = "\n".join(header) + "\n\n" + body if header else body
    return title, text
