# Two commands for a fresh machine: `make lab` opens the course, `make test` runs every test.
# Set-up is idempotent: the venv is made once and reinstalled only when pyproject.toml changes.
# `make colab-check` runs the course on Colab's package stack (CI runs it after `make test`).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINTED := mnist_course tests $(wildcard benchmarks notebooks)

.PHONY: setup browser lab test colab-check lint typecheck format course bench gpu-check clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# JupyterLab comes with the `lab` extra (in `dev`); as root (containers) it needs --allow-root.
lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# The browser test needs Debian's Chromium; install it when missing and we may (root, apt-get).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	      || echo "chromium could not be installed: the browser test will be skipped"; \
	  else echo "no chromium (and no root apt-get): the browser test will be skipped"; fi; }

test: setup browser
	$(BIN)/python -m pytest

# The course on Colab's own package stack (Python 3.13, ipywidgets 7, classic Notebook), built
# once from ../shared/colab/pip-freeze.gpu.txt and cached in ~/.cache/mnist-course; see the script.
colab-check: browser
	python3 .ci/colab_check.py

lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

# The type checker reads the hints every function has ([tool.mypy] in pyproject.toml).
typecheck: setup
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

# Every notebook in full mode (the learners' course); executed copies land in build/notebooks.
course: setup
	$(BIN)/python -m benchmarks.course --full

# The quick benchmarks (each script also takes --full); they need real MNIST (MNIST_COURSE_DATA).
bench: setup
	$(BIN)/python -m benchmarks.data_path
	$(BIN)/python -m benchmarks.time_to_accuracy
	$(BIN)/python -m benchmarks.recipes
	$(BIN)/python -m benchmarks.latency
	$(BIN)/python -m benchmarks.file_formats
	$(BIN)/python -m benchmarks.canvas
	$(BIN)/python -m benchmarks.finetune
	$(BIN)/python -m benchmarks.course

# The GPU check: a few minutes on one CUDA GPU (fast to 99 %, best to 99.5 %, the fp16 path a T4
# takes, every notebook in smoke mode); add ARGS=--full for the longest lessons in full mode.
# Without a GPU it says so and exits 0.
gpu-check: setup
	$(BIN)/python -m benchmarks.gpu $(ARGS)

clean:
	rm -rf build .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
