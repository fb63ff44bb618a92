# prospector-scheduler: make test | test-all | bench | count-instructions | dist | check-install | check-passlib | clean
PYTHON ?= python3
# -E -s -S: no PYTHON* variables, no user or site packages (an installed PyYAML can never be used
# by accident); -W error: every warning fails the run.
ISOLATED = -E -s -S -W error

.PHONY: test test-all bench count-instructions dist check-install check-passlib clean

# TESTS: test modules, classes or methods to run instead of the whole suite, e.g. TESTS=tests.test_cli
TESTS =

test:
	$(PYTHON) $(ISOLATED) -m tests $(TESTS)

test-all:
	$(PYTHON) tests/all_pythons.py

bench:
	$(PYTHON) -E -s -S -m tests.bench

# Issue 11's no-op sync and its floor in instructions under valgrind's callgrind (repeatable where
# wall-clock time is not); minutes, not part of test or bench. COUNT_ARGS, e.g. COUNT_ARGS="--users 2000".
COUNT_ARGS =

count-instructions:
	$(PYTHON) -E -s -S -m tests.bench.count_instructions $(COUNT_ARGS)

# dist/prospector-scheduler.pyz (+ .sha256), the wheel and the sdist (in a git checkout), built with
# the standard library alone and reproducibly (SOURCE_DATE_EPOCH, else the last commit's time).
# Never downloads anything.
dist:
	$(PYTHON) tests/build_dist.py dist

# pip install . / pip install dist/*.whl / the example plugin, each in a throwaway venv, each
# checked by running the installed script. pip's build isolation fetches setuptools and wheel
# from the configured package index: not part of `make test`, which never needs a network.
# Our fixed hashes verified by passlib, installed from the package index into a throwaway venv.
check-passlib:
	$(PYTHON) tests/check_passlib.py

check-install:
	$(PYTHON) tests/check_install.py

clean:
	rm -rf build dist *.egg-info .eggs contrib/example-plugin/build contrib/example-plugin/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
