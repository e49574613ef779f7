# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# CPU machines get the CPU build of torch when it lies on local disk (pip takes it
# from there). Elsewhere, pass e.g. TORCH_INDEX=https://download.pytorch.org/whl/cpu
# for a CPU build, or leave it empty on a CUDA machine for PyPI's CUDA build.
TORCH_INDEX ?=
TORCH_ARGS := $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX),)

.PHONY: setup demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# pyproject.toml says which versions work; constraints.txt says which exact ones this
# venv gets (the set CI tests). torch goes first, on its own, so TORCH_INDEX applies to it only.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt torch $(TORCH_ARGS)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/simulacra demo --out demo_output

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

bench: setup
	$(BIN)/python bench/render_bench.py

clean:
	rm -rf $(VENV) demo_output .pytest_cache
