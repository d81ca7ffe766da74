# Two commands: `make demo` (set up + screen the bundled Nantong demo) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint format app bench layers clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/geo-screen demo --out out/demo

# one test process per core (pytest-xdist): the whole suite in about 4 minutes on 2 cores, about 7 in one process
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n auto -m "not slow and not browser"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

app: $(STAMP)
	$(BIN)/streamlit run app.py

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python scripts/benchmark.py

layers: $(STAMP)
	$(BIN)/python layers/nantong/build.py

clean:
	rm -rf $(VENV) out .pytest_cache
