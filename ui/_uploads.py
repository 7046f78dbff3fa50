"""Adding and removing documents from the web page: the index and the live bot.

An uploaded file is read, cleaned and indexed under the source name ``uploads/<name>``; its
text lives in the index itself (the folder, or the database), so every server on that index
sees it, a rebuild from folders (``qa index PATH...``) keeps it, and a removal is a removal
for all. Every change is a delta (:meth:`index.IndexLocation.add` / ``remove``) applied to
the index as it is under the writer lock, so two servers, or a server and ``qa index``,
never undo each other's work. Each server notices a newer version of the index, whoever
wrote it, and switches to it before the next question.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import index
import qa
from index import parts

#: Source names of uploaded documents start with this; rebuilds from folders keep them.
UPLOAD_PREFIX = parts.UPLOAD_PREFIX


def safe_name(name: str) -> str:
    """A file name that is safe to write inside the upload folder (``../../x.txt`` -> ``x.txt``)."""
    return parts.safe_upload_name(name)


@dataclass(frozen=True)
class Failure:
    """A file that was not indexed, and why (a one-line message that says what to do)."""

    name: str
    message: str


@dataclass(frozen=True)
class UploadReport:
    """What an upload did."""

    added: tuple[str, ...]  # source names indexed (new or replaced)
    failed: tuple[Failure, ...]
    documents: int  # documents in the index afterwards
    passages: int


class Library:
    """The documents behind the web chat: the live bot, uploads and removals.

    Readers take :attr:`bot`, which switches to a newer version of the index when another
    writer made one (checked at most every ``refresh_seconds``). Writers are serialised by a
    lock here and by the index's own writer lock across processes and servers.
    """

    def __init__(
        self,
        bot: qa.Bot,
        *,
        max_file_bytes: int = parts.DEFAULT_MAX_FILE_BYTES,
        refresh_seconds: float = 1.0,
    ) -> None:
        self._bot = bot
        # A PostgreSQL index is named by its URL (with the password, unlike ``store.path``).
        url = getattr(bot.store, "url", None)
        self.location: str = (
            url if isinstance(url, str) and index.is_database_url(url) else str(bot.store.path)
        )
        self._index = index.open_index(self.location)
        self._version = self._index.version()
        self._checked = time.monotonic()
        self.max_file_bytes = max_file_bytes
        self.refresh_seconds = refresh_seconds
        self._threshold = bot.threshold
        self._write = threading.Lock()
        self._swap = threading.Lock()

    @property
    def bot(self) -> qa.Bot:
        """The bot for the newest version of the index."""
        if time.monotonic() - self._checked >= self.refresh_seconds:
            self.refresh()
        return self._bot

    def refresh(self) -> bool:
        """Switch to a newer version of the index if there is one; whether it switched."""
        with self._swap:
            self._checked = time.monotonic()
            version = self._index.version()
            if version == self._version:
                return False
            self._load(version)
            return True

    def sources(self) -> list[parts.SourceInfo]:
        """What is indexed, in index order."""
        return list(self.bot.store.manifest.sources)

    def add(
        self,
        files: Sequence[str | os.PathLike[str]],
        *,
        on_progress: Callable[[float, str], object] | None = None,
    ) -> UploadReport:
        """Index the given files (paths of uploaded temporary files, named as uploaded).

        ``on_progress(fraction, what)`` is called as the work advances. Files that cannot be
        read are reported in :attr:`UploadReport.failed`; the others are indexed.
        """
        step = on_progress or (lambda fraction, what: None)
        parsed: dict[str, index.Document] = {}
        raw_bytes: dict[str, bytes] = {}  # by source: the file as uploaded
        failed: list[Failure] = []
        for i, raw in enumerate(files):
            path = Path(raw)
            name = safe_name(path.name)
            step(0.3 * i / len(files), f"reading {name}")
            try:
                data = self._read(path, name)
                doc = index.parse_document(
                    data, source=UPLOAD_PREFIX + name, suffix=Path(name).suffix
                )
            except index.DocumentError as exc:
                failed.append(Failure(name, _strip_name(str(exc), UPLOAD_PREFIX + name, name)))
                continue
            parsed.pop(doc.source, None)  # the same name twice: the last wins
            parsed[doc.source] = doc
            raw_bytes[doc.source] = data
        if not parsed:
            bot = self.bot
            return UploadReport((), tuple(failed), len(bot.store.documents), len(bot.store))
        with self._write:
            step(0.3, "indexing")
            report = self._index.add(
                list(parsed.values()),
                embedder=self._bot.embedder,
                progress=on_progress is not None,
            )
            # A PDF's citations open the file itself (see ui/_open.py): kept once its text
            # is safely in the index.
            for doc in parsed.values():
                parts.keep_original(self.location, doc, raw_bytes[doc.source])
            self.refresh()
        return UploadReport(tuple(parsed), tuple(failed), report.documents, report.passages)

    def remove(self, source: str) -> index.BuildReport:
        """Take ``source`` out of the index, for every server on it."""
        with self._write:
            try:
                report = self._index.remove([source])
            except index.EmptyCorpusError:
                raise index.EmptyCorpusError(
                    f"{source!r} is the only document; upload another before removing it"
                ) from None
            except index.DocumentError:
                self.refresh()
                raise index.DocumentError(
                    f"{source!r} is not in the index; reload the page"
                ) from None
            self.refresh()
            return report

    # -- internals ---------------------------------------------------------------------------

    def _load(self, version: str) -> None:
        # The same model object when the index still uses it; only the store is new.
        old = self._bot
        store = self._index.open()
        same = parts.canonical_model_name(old.embedder.name) == store.manifest.model
        embedder = old.embedder if same else index.load_embedder(store.manifest.model)
        self._bot = qa.Bot(store, embedder, threshold=self._threshold)
        self._version = version

    def _read(self, path: Path, name: str) -> bytes:
        try:
            parts.check_upload(name, path.stat().st_size, max_bytes=self.max_file_bytes)
            return path.read_bytes()
        except OSError as exc:
            raise index.DocumentError(
                f"the upload could not be read ({exc.strerror}); try again"
            ) from exc


def _strip_name(message: str, source: str, name: str) -> str:
    # Messages start with the source or file name; the page shows the name beside them.
    for prefix in (source + ": ", name + ": "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message
