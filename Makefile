# Xuehui: `make run` starts everything, `make test` runs the whole suite, `make bench` the benchmarks.
# Both set themselves up on a fresh Debian/Ubuntu machine with python3 (see README.md).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
ONLY ?=
PYTEST_ARGS ?=

.PHONY: setup run test bench lint services-up services-down messages i18n clean

setup: $(STAMP) messages

$(STAMP): requirements.txt
	@bash deploy/system_deps.sh runtime
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

messages: $(STAMP)
	@$(PY) -m deploy.compilemessages

# Developers: collect new strings and merge the Chinese translations in deploy/i18n/*.json.
i18n: $(STAMP)
	@$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore ".venv/*" --ignore "tests/*" --ignore "bench/*" --ignore "deploy/*" --ignore "staticfiles/*" >/dev/null
	@$(PY) -m deploy.i18n.fill_po deploy/i18n/*.json
	@$(PY) -m deploy.compilemessages

run: setup
	@$(PY) -m deploy.run

test: setup
	@bash deploy/system_deps.sh browser
	@$(PY) -m deploy.testrun $(PYTEST_ARGS)

bench: setup
	@$(PY) -m deploy.benchrun $(ONLY)

lint: setup
	@$(VENV)/bin/ruff check .

services-up: setup
	@$(PY) -m deploy.services up

services-down:
	@$(PY) -m deploy.services down

clean:
	rm -rf $(VENV) staticfiles
