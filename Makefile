# Two commands do everything on a fresh machine: `make run` and `make test`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
SHARED_CORPUS := ../shared/corpus
# The shared corpus when it is beside the repo, else the bundled one (qa's own documentation).
CORPUS  ?= $(if $(wildcard $(SHARED_CORPUS)/.),$(SHARED_CORPUS),ui/corpus)
INDEX   ?= .qa-index
HOST    ?= 127.0.0.1
PORT    ?= 7860
export GRADIO_ANALYTICS_ENABLED = False
export HF_HUB_DISABLE_TELEMETRY = 1
export HF_HUB_OFFLINE = 1

.PHONY: install run test test-fast lint clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The CPU build of torch first: an unpinned torch pulls a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install  ## index $(CORPUS) (reusing what is up to date) and open the chat
	@if [ "$(CORPUS)" = ui/corpus ] && [ ! -d "$(SHARED_CORPUS)" ]; then \
	  echo "qa: $(SHARED_CORPUS) not found; serving the bundled corpus ui/corpus"; \
	else echo "qa: serving $(CORPUS)"; fi
	$(VENV)/bin/qa serve $(CORPUS) --index $(INDEX) --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check qa index ui tests benchmarks
	$(VENV)/bin/mypy

test: install lint  ## every test: unit, real model, browser
	$(PY) -m pytest

test-fast: install  ## the inner loop: unit tests with the fake embedder only
	$(PY) -m pytest -m "not slow and not browser" -x -q

clean:
	rm -rf $(VENV) $(INDEX) .pytest_cache .mypy_cache .ruff_cache
