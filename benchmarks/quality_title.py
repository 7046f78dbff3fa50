"""Does putting the document title before each passage's text help the embedding?

    .venv/bin/python -m benchmarks.quality_title .qa-eval/squad-dev .qa-eval/squad-dev-title
    qa eval ../shared/eval/squad-dev --index .qa-eval/squad-dev-title --limit 2000

Copies an index and re-embeds every passage as ``"<title>. <passage text>"`` (underscores in
titles become spaces, as SQuAD's article names have them); passages, their text and BM25
stay as they are, so quotes are unchanged and only the dense side differs. Compare with the
same ``qa eval`` command on the original index.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

import index
from index import parts


def main() -> None:
    """Write the re-embedded copy and print how long embedding took."""
    import faiss

    parser = argparse.ArgumentParser()
    parser.add_argument("source", type=Path, help="an index folder built by qa index / qa eval")
    parser.add_argument("target", type=Path, help="where to write the copy (replaced)")
    parser.add_argument("--backend", default=parts.DEFAULT_BACKEND)
    args = parser.parse_args()
    if args.target.exists():
        shutil.rmtree(args.target)
    shutil.copytree(args.source, args.target)
    version = args.target / (args.target / "CURRENT").read_text(encoding="utf-8").strip()
    store: Any = index.open_index(args.target).open()
    embedder = index.load_embedder(store.manifest.model, backend=args.backend)
    documents = store.documents
    texts = [
        f"{documents[d].title.replace('_', ' ')}. {documents[d].text[s:e]}"
        for d, s, e in store.passages
    ]
    started = time.perf_counter()
    vectors = embedder.embed(texts, progress=True).astype(np.float32)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    faiss.write_index(flat, str(version / "vectors.faiss"))
    print(f"re-embedded {len(texts)} passages in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
