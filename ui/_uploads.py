"""Adding and removing documents from the web page: the index on disk and the live bot.

Uploaded files are copied into an upload folder (``<index>/uploads`` unless configured) under
cleaned names, and indexed under the source name ``uploads/<name>``. Every change writes a new
index version atomically (``index.build_from_documents``, which keeps the vectors of unchanged
sources) and then swaps a freshly loaded bot in, so the next question sees the new text.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import index
import qa

#: Source names of uploaded documents start with this, so they never clash with indexed folders.
UPLOAD_PREFIX = "uploads/"


def safe_name(name: str) -> str:
    """A file name that is safe to write inside the upload folder (``../../x.txt`` -> ``x.txt``)."""
    return index.safe_upload_name(name)


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

    Readers take :attr:`bot` (one attribute read); writers are serialised by a lock here and
    by the index's own writer lock across processes.
    """

    def __init__(
        self,
        bot: qa.Bot,
        *,
        upload_dir: str | os.PathLike[str] | None = None,
        max_file_bytes: int = index.DEFAULT_MAX_FILE_BYTES,
    ) -> None:
        self._bot = bot
        # A PostgreSQL index is named by its URL (with the password, unlike ``store.path``).
        url = getattr(bot.store, "url", None)
        self.database_url = url if isinstance(url, str) and index.is_database_url(url) else None
        self.index_dir = Path(".") if self.database_url else Path(bot.store.path)
        default = Path(".qa-uploads") if self.database_url else self.index_dir / "uploads"
        self.upload_dir = Path(upload_dir) if upload_dir else default
        self.max_file_bytes = max_file_bytes
        self._write = threading.Lock()

    @property
    def bot(self) -> qa.Bot:
        """The bot for the current version of the index."""
        return self._bot

    def sources(self) -> list[index.SourceInfo]:
        """What is indexed, in index order."""
        return list(self._bot.store.manifest.sources)

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
        parsed: list[tuple[index.Document, bytes, str]] = []
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
            parsed = [p for p in parsed if p[2] != name]  # the same name twice: the last wins
            parsed.append((doc, data, name))
        if not parsed:
            bot = self._bot
            return UploadReport((), tuple(failed), len(bot.store.documents), len(bot.store))
        with self._write:
            bot = self._bot
            new = {doc.source: doc for doc, _, _ in parsed}
            kept = [d for d in bot.store.documents if d.source not in new]
            step(0.3, "indexing")
            report = self._rebuild(bot, [*kept, *new.values()], progress=on_progress is not None)
            # The files are kept only once their text is safely in the index.
            for doc, data, name in parsed:
                _write_atomic(self.upload_dir, name, data)
                # A PDF's citations open the file itself (see ui/_open.py).
                index.keep_original(self.database_url or self.index_dir, doc, data)
        return UploadReport(tuple(new), tuple(failed), report.documents, report.passages)

    def remove(self, source: str) -> index.BuildReport:
        """Take ``source`` out of the index (and its file out of the upload folder)."""
        with self._write:
            bot = self._bot
            if source not in bot.sources:
                raise index.DocumentError(f"{source!r} is not in the index; reload the page")
            rest = [d for d in bot.store.documents if d.source != source]
            if not rest:
                raise index.EmptyCorpusError(
                    f"{source!r} is the only document; upload another before removing it"
                )
            report = self._rebuild(bot, rest, progress=False)
            if source.startswith(UPLOAD_PREFIX):
                name = safe_name(source[len(UPLOAD_PREFIX) :])
                (self.upload_dir / name).unlink(missing_ok=True)
            return report

    def restore(self) -> UploadReport:
        """Index again the files of the upload folder that the index lacks.

        ``qa serve PATH...`` rebuilds the index from PATH, which drops what was uploaded
        through the page; the files are still in the upload folder, and come back here.
        """
        if not self.upload_dir.is_dir():
            bot = self._bot
            return UploadReport((), (), len(bot.store.documents), len(bot.store))
        indexed = set(self._bot.sources)
        missing = [
            path
            for path in sorted(self.upload_dir.iterdir())
            if path.is_file()
            and not path.name.startswith(".")
            and UPLOAD_PREFIX + path.name not in indexed
        ]
        if not missing:
            bot = self._bot
            return UploadReport((), (), len(bot.store.documents), len(bot.store))
        return self.add(missing)

    # -- internals ---------------------------------------------------------------------------

    def _read(self, path: Path, name: str) -> bytes:
        try:
            index.check_upload(name, path.stat().st_size, max_bytes=self.max_file_bytes)
            return path.read_bytes()
        except OSError as exc:
            raise index.DocumentError(
                f"the upload could not be read ({exc.strerror}); try again"
            ) from exc

    def _rebuild(
        self, bot: qa.Bot, documents: Sequence[index.Document], *, progress: bool
    ) -> index.BuildReport:
        chunking = bot.store.manifest.chunking
        location: str | Path
        report: index.BuildReport
        if self.database_url:
            location = self.database_url
            report = index.build_pg_from_documents(
                documents, location, embedder=bot.embedder, chunking=chunking, progress=progress
            )
        else:
            location = self.index_dir
            report = index.build_from_documents(
                documents, location, embedder=bot.embedder, chunking=chunking, progress=progress
            )
        # Same model object and threshold: only the store is new.
        self._bot = qa.load(location, embedder=bot.embedder, threshold=bot.threshold)
        return report


def _strip_name(message: str, source: str, name: str) -> str:
    # Messages start with the source or file name; the page shows the name beside them.
    for prefix in (source + ": ", name + ": "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def _write_atomic(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.resolve().parent != folder.resolve():  # safe_name makes this impossible
        raise index.DocumentError(f"refusing to write {name!r} outside the upload folder")
    tmp = folder / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
