"""User interfaces: the ``qa`` command line and the Gradio web chat (top layer: uses qa)."""
