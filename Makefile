# One task runner: `make demo` and `make test` are all a contributor needs to remember.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BACKOFFICE := $(BIN)/backoffice
export XDG_RUNTIME_DIR := $(CURDIR)/.backoffice/runtime

.PHONY: install browser demo test lint bench serve stop clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed
	@mkdir -p .backoffice/runtime && chmod 700 .backoffice/runtime

# Browser tests drive Debian's chromium (Playwright's own browser download does not work offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

demo: install
	$(BACKOFFICE) db upgrade
	$(BACKOFFICE) demo load --seed 42

test: install browser
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check backoffice_lib tests benchmarks

bench: install
	$(BIN)/python -m benchmarks

stop:
	-$(BACKOFFICE) db stop

clean: stop
	rm -rf .backoffice output test-output
