# Kuzey Destek. `make run` and `make test` work on a fresh machine (see README.md).
PY := .venv/bin/python

.PHONY: setup browser balancer run test unit train validate evaluate ablation seed talk bench clean

setup:
	@scripts/setup.sh

# Debian's Chromium for the browser tests (only `make test` needs it).
browser:
	@scripts/setup-browser.sh

# Debian's HAProxy for several bridges on one machine (`python -m bot up --bridges N`) and their tests.
balancer:
	@scripts/setup-balancer.sh

run: setup
	$(PY) -m bot up

# Trains first (cached by data hash) so that the progress shows; pytest then reuses the model.
test: setup browser balancer
	$(PY) -m bot train
	$(PY) -m pytest

unit: setup
	$(PY) -m pytest tests/unit

train: setup
	$(PY) -m bot train

validate: setup
	$(PY) -m bot validate

evaluate: setup
	$(PY) -m bot evaluate

ablation: setup
	$(PY) -m bot evaluate --ablation

seed: setup
	$(PY) -m bot seed

talk: setup
	$(PY) -m bot talk

# Latency, load, idle connections, handoff, training (docs/benchmarks.md); not part of `make test`.
bench: setup
	$(PY) -m bench

clean:
	rm -rf build models .rasa .pytest_cache
