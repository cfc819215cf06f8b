# One entry point for set-up, the main job and the tests. Each target installs what it
# needs into .venv first (pinned by requirements.lock), so a fresh machine needs only
# Python 3.10+ and make.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
WORKERS ?= 2
# requirements.lock is resolved for Python 3.11+; `make CONSTRAINTS= test` installs from
# pyproject.toml's ranges instead (Python 3.10).
CONSTRAINTS ?= -c requirements.lock
# CI and course machines keep an offline copy of the datasets beside the checkout.
DLCOURSE_DATA_MIRROR ?= $(wildcard $(abspath ../shared/datasets))
export DLCOURSE_DATA_MIRROR
# Full-profile runs also search the full mirror (all of CIFAR-10 and IMDB) where it exists.
FULL_MIRRORS := $(subst $(eval) ,:,$(strip $(wildcard $(abspath ../shared/datasets-full)) $(DLCOURSE_DATA_MIRROR)))

.PHONY: install sandbox run run-full test lint release selftest bench lock clean

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet $(CONSTRAINTS) -e ".[dev]"
	$(BIN)/python -c "from dlcourse.grading.config import install_site_config as i; i()"
	touch $@

install: $(BIN)/.installed

# Grading runs every submission in a bubblewrap sandbox: the one system requirement.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq bubblewrap) >/dev/null; \
	  else \
	    echo "grading needs bubblewrap: sudo apt-get install bubblewrap (or dnf install bubblewrap)"; \
	    exit 1; \
	  fi; }

run: install  ## execute every lab headless (smoke profile) and write build/run/report.md
	$(BIN)/dlcourse run --profile smoke --workers $(WORKERS)

run-full: install  ## every lab in the full profile, one at a time -> build/run-full/report.md
	DLCOURSE_DATA_MIRROR="$(FULL_MIRRORS)" $(BIN)/dlcourse run --profile full --workers 1 \
	  --timeout 2400 --out build/run-full

test: install sandbox  ## lint, unit tests, every notebook in the smoke profile, grading self-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(WORKERS) --dist worksteal --durations=15

lint: install
	$(BIN)/ruff check .

release: install  ## regenerate labs/ from solutions/
	$(BIN)/dlcourse release

selftest: install sandbox
	$(BIN)/dlcourse selftest --workers $(WORKERS)

bench: install  ## measure install, smoke and full runs, and the tests -> build/benchmarks.md
	$(BIN)/python benchmarks/measure.py --install --full --tests

lock:  ## re-resolve requirements.lock from pyproject.toml in a scratch environment
	rm -rf build/lock-venv && $(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/python -m pip install --quiet -e ".[dev]"
	( echo "# Exact versions of every package, resolved on Python 3.11 / Linux x86-64."; \
	  echo "# Used as pip constraints by the Makefile; refresh with \`make lock\`."; \
	  build/lock-venv/bin/python -m pip freeze --exclude-editable ) > requirements.lock

clean:
	rm -rf build .pytest_cache .ruff_cache
