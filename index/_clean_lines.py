"""What one line of saved plain text looks like: running text, a link label, a nav word.

The cleaner (:mod:`index._clean`) decides from these shapes and the line's place in the
document; nothing here drops anything by itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BULLET = re.compile(r"^(?:[\u2022\u00b7\u25aa\u2023\u25e6*\-\u2013\u2014>|+]|\d{1,2}[.)])\s+")
_GLYPH_BULLET = re.compile(r"^[\u2022\u00b7\u25aa\u2023\u25e6*\-\u2013\u2014>|+]\s")
# A sentence ends at the end of the line, or mid-line before a capitalised word.
_SENTENCE_END = re.compile(
    r"[.!?][\"'\u201d\u2019)\]]*$|[.!?][\"'\u201d\u2019)\]]*\s+[\"'\u201c\u2018(]?[A-Z0-9]"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_STOP = re.compile(r"[\u3002\uff01\uff1f\uff1b]")  # 。！？；

# Whole lines that are a site's own links, never a document's words (case-folded, without
# bullets and trailing punctuation). Kept short and specific: a word here is dropped only
# in a menu-shaped place (see index._clean).
_NAV = re.compile(
    r"^(?:home(?: ?page)?|main menu|menu|navigation|skip (?:to )?(?:main )?(?:content|navigation)"
    r"|search(?: form)?|log ?in|log ?out|sign ?in|sign ?up|sign out|register|my account|account"
    r"|cart|basket|checkout|subscribe(?: now| to (?:our |the )?newsletter)?|newsletter"
    r"|contact(?: us)?|about(?: us| me)?|faq|help|support|careers|jobs|work with us|press"
    r"|for (?:the )?media|advertise(?: with us)?|blog|news|events|shop|store|donate"
    r"|privacy(?: policy| notice| settings)?|terms(?: of (?:use|service))?"
    r"|terms (?:and|&) conditions|cookies?(?: policy| settings| preferences)?|accessibility"
    r"|site ?map|imprint|impressum|legal(?: notice)?|disclaimer|share(?: this(?: \w+)?)?"
    r"|tweet|facebook|twitter|x|linkedin|instagram|youtube|pinterest|tiktok|whatsapp|reddit"
    r"|threads|mastodon|bluesky|email|e-mail|print(?: this (?:page|article))?|back to top"
    r"|top|next|previous|prev|older posts|newer posts|read more|more|see all|view all"
    r"|load more|follow us|rss|en|it|de|fr|es|english|italiano|deutsch|fran\u00e7ais|espa\u00f1ol"
    r"|\u9996\u9875|\u65b0\u95fb|\u5173\u4e8e\u6211\u4eec|\u8054\u7cfb\u6211\u4eec|\u767b\u5f55"
    r"|\u6ce8\u518c|\u641c\u7d22|\u9690\u79c1\u653f\u7b56)$"
)
# Headings that introduce a site's lists of other pages, below an article.
_NAV_HEADING = re.compile(
    r"^(?:related(?: \w+)?|read more|read next|more from\b.*|more (?:stories|articles|posts)"
    r"|you (?:may|might) also (?:like|enjoy)|recommended(?: for you| reading)?"
    r"|popular(?: \w+)?|most (?:read|popular|viewed)|trending(?: now)?|latest(?: \w+)?"
    r"|tags|topics|categories|filed under|share this(?: \w+)?|follow us(?: on \w+)?"
    r"|similar (?:threads|posts|articles|questions|stories)"
    r"|was this (?:page|article|answer) (?:helpful|useful)\??"
    r"|get our updates|stay (?:in touch|connected|informed)|sign up for\b.*|join our newsletter"
    r"|\u76f8\u5173\u6587\u7ae0|\u70ed\u95e8\u6587\u7ae0)$"
)
_COPYRIGHT = re.compile(
    r"\u00a9|\(c\)\s*(?:19|20)\d\d|\bcopyright\b.{0,40}(?:19|20)\d\d|\ball rights reserved\b"
    r"|\u7248\u6743\u6240\u6709",
    re.IGNORECASE,
)
_FOOTER_WORD = re.compile(
    r"\b(?:privacy|terms|cookie|imprint|impressum|accessibility|sitemap|legal)\b", re.IGNORECASE
)
_SEPARATORS = re.compile(r"\s+(?:\||-|\u2013|\u00b7|\u2022|/)\s+")
_COOKIE = re.compile(r"\bcookies?\b", re.IGNORECASE)
_CONSENT = re.compile(
    r"\b(?:accept|consent|reject|decline|preferences|opt[ -]out|tracking|personali[sz]\w*"
    r"|analytics|advertising partners|manage (?:settings|choices)|your choices)\b",
    re.IGNORECASE,
)
_AUTHOR_HEADING = re.compile(
    r"^(authors?|written by|about the authors?|by|contributors?)\b\W*$", re.IGNORECASE
)
_BYLINE = re.compile(r"^by\s+\S", re.IGNORECASE)


def label(text: str) -> str:
    """A line's words without a list bullet or trailing punctuation, case-folded."""
    return _BULLET.sub("", text).strip().rstrip(":.!|\u00bb>").strip().casefold()


@dataclass(frozen=True)
class Line:
    """One line of the document: its span and its stripped text."""

    start: int
    end: int
    text: str  # stripped

    @property
    def blank(self) -> bool:
        return not self.text

    @property
    def words(self) -> int:
        # CJK scripts write no spaces: about two characters make a word.
        return len(self.text.split()) + len(_CJK.findall(self.text)) // 2

    @property
    def bullet(self) -> bool:
        return bool(_GLYPH_BULLET.match(self.text))

    @property
    def prose(self) -> bool:
        """A line of running text: several words and sentence punctuation, or simply long."""
        cjk = len(_CJK.findall(self.text))
        if cjk >= 15:
            return bool(_CJK_STOP.search(self.text)) or cjk >= 40
        words = self.text.split()
        n = len(words)
        if self.bullet or n < 8:
            return False
        # Headlines (mostly capitalised words) are not running text even with a "?".
        capitalised = sum(1 for w in words if w[:1].isupper()) / n
        return capitalised < 0.5 and (n >= 25 or bool(_SENTENCE_END.search(self.text)))

    @property
    def nav(self) -> bool:
        """The whole line is one of a site's own links (Home, Contact us, Privacy, ...)."""
        return bool(_NAV.match(label(self.text)))

    @property
    def nav_heading(self) -> bool:
        """A heading over lists of other pages ("Related articles", "Read more:")."""
        return self.words <= 8 and bool(_NAV_HEADING.match(label(self.text)))

    @property
    def link(self) -> bool:
        """Shaped like a link label: a few capitalised words, no sentence, no number first."""
        if self.blank or self.prose:
            return False
        if self.nav:
            return True
        words = _BULLET.sub("", self.text).split()
        if not words or len(words) > 6 or _CJK.search(self.text):
            return False
        if words[0][:1].isdigit() or re.search(r"[.!?:;,]$", self.text):
            return False
        capitalised = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
        return capitalised / len(words) >= 0.5

    @property
    def nav_bar(self) -> bool:
        """Links on one line between separators ("About | Contact | Privacy")."""
        parts = [p for p in _SEPARATORS.split(self.text) if p.strip()]
        if len(parts) < 3 or any(len(p.split()) > 5 for p in parts):
            return False
        return sum(1 for p in parts if _NAV.match(label(p))) * 3 >= len(parts)

    @property
    def copyright(self) -> bool:
        return not self.prose and bool(_COPYRIGHT.search(self.text))

    @property
    def footer_marker(self) -> bool:
        """A copyright line, or site links that include privacy or terms."""
        if self.copyright:
            return True
        return (self.nav_bar or self.nav) and bool(_FOOTER_WORD.search(self.text))

    @property
    def author_heading(self) -> bool:
        return bool(_AUTHOR_HEADING.match(self.text)) or (
            bool(_BYLINE.match(self.text)) and self.words <= 8
        )


def split_lines(text: str) -> list[Line]:
    """The lines of ``text`` with their character spans (white space trimmed)."""
    lines = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        start = pos + lead
        lines.append(Line(start, start + len(stripped), stripped))
        pos += len(raw) + 1
    return lines


def cookie_text(text: str) -> bool:
    """Whether a block of text reads like a cookie or consent banner."""
    return bool(_COOKIE.search(text)) and bool(_CONSENT.search(text))
