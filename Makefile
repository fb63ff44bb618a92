# prospector-scheduler: make test | test-all | bench | dist | clean
PYTHON ?= python3
# -E -s -S: no PYTHON* variables, no user or site packages (an installed PyYAML can never be used
# by accident); -W error: every warning fails the run.
ISOLATED = -E -s -S -W error

.PHONY: test test-all bench dist clean

test:
	$(PYTHON) $(ISOLATED) -m tests

test-all:
	$(PYTHON) tests/all_pythons.py

bench:
	$(PYTHON) -E -s -S -m tests.bench

clean:
	rm -rf build dist *.egg-info .eggs
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
