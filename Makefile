# One task runner: `make demo` and `make test` are all a contributor needs to remember.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BACKOFFICE := $(BIN)/backoffice
export XDG_RUNTIME_DIR := $(CURDIR)/.backoffice/runtime

.PHONY: install browser demo demo-bg test test-quick lint bench docs serve serve-stop stop clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed
	@mkdir -p .backoffice/runtime && chmod 700 .backoffice/runtime

# Browser tests drive Debian's chromium (Playwright's own browser download does not work offline).
browser:
	@{ command -v chromium && test -x /usr/sbin/nginx; } >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium and nginx (the sign-in proxy test) for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nginx >/dev/null; }

# `make demo` ends by running the month's jobs (jobs.yml) and serving the dashboards in the
# foreground (Ctrl-C stops). Non-interactive: `make demo DEMO_SERVE=0` (no server) or
# `make demo-bg` (server in the background, URL printed; `make serve-stop` stops it).
PORT ?= 8866
DEMO_USER ?= admin@studio.example
DEMO_SERVE ?= 1

demo: install
	$(BACKOFFICE) db upgrade
	@$(BACKOFFICE) demo load --seed 42 \
	  || echo "keeping the data already in the database ('backoffice demo load --force' replaces it)"
	@echo "running the jobs that are due (jobs.yml) as $(DEMO_USER)"
	@BACKOFFICE_USER=$(DEMO_USER) $(BACKOFFICE) jobs run-due \
	  || echo "a job failed: its run folder and 'backoffice jobs list' say why"
	@BACKOFFICE_USER=$(DEMO_USER) $(BACKOFFICE) jobs list --limit 8
	@if [ "$(DEMO_SERVE)" = "1" ]; then $(MAKE) --no-print-directory serve; fi

serve: install
	$(BACKOFFICE) serve --port $(PORT) --user $(DEMO_USER)

demo-bg: install
	@$(MAKE) --no-print-directory demo DEMO_SERVE=0
	@umask 077; nohup $(BACKOFFICE) serve --port $(PORT) --user $(DEMO_USER) > .backoffice/serve.log 2>&1 & \
	  echo $$! > .backoffice/serve.pid
	@for i in $$(seq 1 120); do grep -q "^open http" .backoffice/serve.log && break; sleep 0.5; done
	@grep "^open http" .backoffice/serve.log || { cat .backoffice/serve.log; exit 1; }
	@echo "serving in the background (log .backoffice/serve.log); make serve-stop stops it"

serve-stop:
	@if [ -f .backoffice/serve.pid ]; then kill $$(cat .backoffice/serve.pid) 2>/dev/null || true; \
	  rm -f .backoffice/serve.pid; echo "stopped"; else echo "no background server"; fi

# The whole suite: everything but the browser and server tests in parallel (pytest-xdist;
# --dist loadfile as tests/conftest.py schedules it: a file stays on one worker, the files that
# look at the whole cluster share one), then those one at a time (each starts a server that
# warms a pool of kernels). The 15 slowest tests are listed after each part.
WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -q --durations=15
test: install browser
	@status=0; \
	$(PYTEST) -n $(WORKERS) --dist loadfile -m "not (browser or serve)" || status=$$?; \
	$(PYTEST) -m "browser or serve" || status=$$?; \
	exit $$status

# The quick loop: no browser, server, notebook run or slow test.
# One file: .venv/bin/pytest tests/payroll/test_payroll_rules.py -q; one folder: tests/payroll.
test-quick: install
	$(PYTEST) -n $(WORKERS) --dist loadfile -m "not (browser or serve or notebook or slow)"

lint: install
	$(BIN)/ruff check backoffice_lib tests benchmarks

# The documentation (MkDocs + Material, offline): the command reference written again from the
# commands' --help, then the site in site/ (a broken link fails the build).
docs: install
	$(BIN)/python -m backoffice_lib.cli.reference
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# make bench [BENCH="payroll timeclock"]: figures and ratios against the issue targets.
bench: install
	$(BIN)/python -m benchmarks $(BENCH)

stop:
	-$(BACKOFFICE) db stop

clean: stop
	rm -rf .backoffice output test-output site
