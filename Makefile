# krav — the two commands in README's quickstart: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite bench lint previews screenshots browser clean portal-messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	rm -f krav.db krav.db-wal krav.db-shm
	$(BIN)/krav demo

test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 -q

# Debian's Chromium for the browser tests and screenshots (apt-get as root; a message otherwise)
browser:
	@test -x /usr/bin/chromium || scripts/install-browser.sh

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check src tests

previews: $(STAMP)
	$(BIN)/krav letters previews --out docs/letters

screenshots: $(STAMP) browser
	$(BIN)/python scripts/screenshots.py docs/portal

clean:
	rm -rf $(VENV) krav.db krav.db-wal krav.db-shm out

# The debtor portal's message catalogues (nynorsk, English) from the code and the table in
# src/krav/portal/locale/translations.py; read at run time, nothing to compile.
portal-messages: $(STAMP)
	cd src/krav/portal && ../../../$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ --no-location \
	  --omit-header --width 200 -o ../../../out/portal-messages.pot . >/dev/null
	$(BIN)/python src/krav/portal/locale/translations.py out/portal-messages.pot
