# Two entry points on a fresh Linux machine with python3 (>= 3.11), pip and make:
#   make run   - create .venv, install cimjax, train the quickstart config, print accuracy and hardware summary
#   make test  - create .venv, install cimjax with its test extra, run the default test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cimjax-installed
CONFIG ?= configs/quickstart.py
ARGS   ?=
# pytest-xdist workers for the test targets (1 = a single process).
TEST_WORKERS ?= 2

.PHONY: install run test test-all clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "cimjax needs Python >= 3.11, found " + sys.version' 
	$(PYTHON) -m venv $(VENV) || { $(PYTHON) -m pip install --user --quiet virtualenv && $(PYTHON) -m virtualenv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/cimjax train --config $(CONFIG) $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# Includes the tests marked slow.
test-all: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m ''

clean:
	rm -rf $(VENV) build *.egg-info
