# glueflake: every target sets up .venv from the pinned lock first, so a fresh
# clone needs nothing but python3 (3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test lint bench diagrams clean venv

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/glueflake run

test: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadscope $(PYTEST_ARGS)

lint: $(STAMP)
	mkdir -p .glueflake
	$(BIN)/ruff check src tests bench glue
	$(BIN)/ruff format --check src tests bench glue
	$(BIN)/mypy
	$(BIN)/sqlfluff lint models tests/dbt

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python -m bench.payloads

diagrams: $(STAMP)
	$(BIN)/glueflake diagrams

clean:
	rm -rf .glueflake target logs
