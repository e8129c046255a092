# Two commands do everything on a fresh machine:  make book   and   make test
# Both create the environment from the lock files first (Python .venv, npm assets) when it is missing or stale.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ENV_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: book pdf test env bench lock clean publish publish-site

book: env
	$(BIN)/mrkit book

# The book and its PDF edition, _build/pdf/sleep-lbp-mr.pdf (printed by Debian chromium, offline).
pdf: env
	$(BIN)/mrkit book --pdf

test: env
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The built book on the gh-pages branch of REMOTE (a git remote or a repository's path; default origin), with
# .nojekyll so that GitHub Pages serves it as it is: make book, then ghp-import. Every page's footer names the
# mrkit version, the commit and the data fingerprint of the build.
REMOTE ?= origin
SITE   ?= _build/html
publish: book
	$(MAKE) --no-print-directory publish-site

# Only the push, of the site as built (tests/test_release.py runs it against a local bare repository).
publish-site:
	@test -f "$(SITE)/index.html" || { echo "make publish: no site at $(SITE)/index.html (make book builds it)" >&2; exit 2; }
	$(BIN)/ghp-import --no-jekyll --push --force --remote "$(REMOTE)" --branch gh-pages \
	    --message "Book built with mrkit $$($(BIN)/python -c 'import mrkit; print(mrkit.__version__)') at commit $$(git rev-parse --short HEAD)" \
	    "$(SITE)"

bench: env
	$(BIN)/python benchmarks/run.py

env: $(ENV_STAMP) $(NPM_STAMP)

$(ENV_STAMP): requirements.lock pyproject.toml setup.py src/mrkit/methods/_nmmin.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Re-resolve the lock from pyproject.toml's direct dependencies (needs the registries).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[book,test,bench]'
	{ echo "# Exact versions of every Python package the book and the tests use (pip freeze of a working .venv)."; \
	  echo "# Regenerate with: make lock"; .lock-venv/bin/python -m pip freeze --exclude-editable; } > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf _build book/generated
