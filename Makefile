# tracelot: the commands a newcomer needs.
#   make run    set up, load the demo into SQLite (demo/tracelot.db) and show it around
#   make test   set up and run the whole test suite (SQLite; PostgreSQL with
#               TRACELOT_TEST_DATABASE_URL set, or `make test-pg` for a throwaway server)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := demo/tracelot.db
PYTEST_ARGS ?= -n 2

.PHONY: run test test-pg lint bench clean

$(BIN)/tracelot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/tracelot
	@mkdir -p demo
	@rm -f $(DEMO) $(DEMO)-wal $(DEMO)-shm
	$(BIN)/tracelot --db sqlite:///$(DEMO) demo
	@TRACELOT_DATABASE_URL=sqlite:///$(DEMO) ./scripts/tour

test: $(BIN)/tracelot
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS)

test-pg: $(BIN)/tracelot
	TRACELOT_TEST_DATABASE_URL=$$(./scripts/pg-test-server start) $(MAKE) test

lint: $(BIN)/tracelot
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(BIN)/tracelot
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) demo build *.egg-info .pytest_cache .ruff_cache .hypothesis
