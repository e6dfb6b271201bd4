# tracelot: the commands a newcomer needs.
#   make run    set up, load the demo into SQLite (demo/tracelot.db), show it around, and
#               serve the web pages on it (http://127.0.0.1:8000/, the login printed)
#   make test   set up and run the whole test suite (SQLite; PostgreSQL with
#               TRACELOT_TEST_DATABASE_URL set, or `make test-pg` for a throwaway server)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := demo/tracelot.db
PYTEST_ARGS ?= -n 2
# the web pages' JavaScript, from the npm registry (package-lock.json), served by tracelot
VENDOR := src/tracelot/web/static/vendor

.PHONY: run test test-pg lint bench screenshots assets clean

$(BIN)/tracelot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENDOR)/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp node_modules/barcode-detector/dist/iife/ponyfill.js $(VENDOR)/barcode-detector.js
	cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm $(VENDOR)/
	touch $@

assets: $(VENDOR)/htmx.min.js

run: $(BIN)/tracelot assets
	@mkdir -p demo
	@rm -f $(DEMO) $(DEMO)-wal $(DEMO)-shm
	@# bytecode for every command of the tour, even where PYTHONDONTWRITEBYTECODE is set
	@$(BIN)/python -m compileall -q src/tracelot
	$(BIN)/tracelot --db sqlite:///$(DEMO) demo
	@TRACELOT_DATABASE_URL=sqlite:///$(DEMO) ./scripts/tour
	@echo
	@$(BIN)/tracelot --db sqlite:///$(DEMO) init
	@echo "The web pages: http://127.0.0.1:8000/ (user admin, the password above). Ctrl-C stops."
	$(BIN)/tracelot --db sqlite:///$(DEMO) serve

test: $(BIN)/tracelot assets
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/pytest $(PYTEST_ARGS)

test-pg: $(BIN)/tracelot
	TRACELOT_TEST_DATABASE_URL=$$(./scripts/pg-test-server start) $(MAKE) test

lint: $(BIN)/tracelot
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

screenshots: $(BIN)/tracelot assets
	TRACELOT_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -n 0 tests/test_web.py tests/test_web_floor.py

bench: $(BIN)/tracelot
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) demo build *.egg-info .pytest_cache .ruff_cache .import_linter_cache .hypothesis node_modules $(VENDOR)
