# The book's two commands: `make book` and `make test`. Both build the environment first if needed.
PROFILE ?= cpu
PY := .venv/bin/python
# The environment may be shared by several clones: each imports hp_lib from its own tree.
export PYTHONPATH := $(CURDIR)

.PHONY: book test env clean

env:
	@bash tools/setup_env.sh

book: env
	$(PY) -m hp_lib build --profile $(PROFILE)

test: env
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf _build
