# Two entry points for a fresh machine: `make echo` serves the echo example on port 3333,
# `make test` runs the whole test suite. Both install what they need first.

CARGO ?= cargo

.PHONY: setup test-setup system-packages echo test lint bench bench-load autobahn fuzz

# What handlers are built with: the Rust target (rustup ships it, the toolchain image does
# not), and the pinned JavaScript, Python and Ruby toolchains, installed beside their SDKs.
# Ruby's glue components and WASI adapter are built by cargo (no-ops when fresh).
setup: sdk/js/node_modules/.package-lock.json sdk/python/.venv/bin/componentize-py \
		sdk/ruby/node_modules/.package-lock.json sdk/ruby/.venv/bin/wasm-tools
	rustup target add wasm32-wasip2
	sdk/ruby/.venv/bin/python sdk/ruby/build.py --setup

# What only the tests use: boto3, playwright-core, and the Debian packages below.
test-setup: setup system-packages tests/.venv/.installed tests/browser/node_modules/.package-lock.json

# Debian packages the tests drive: chromium (the browser tests), redis-server and nginx (the
# cluster tests start their own, on free ports).
SYSTEM_PACKAGES := chromium redis-server nginx
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
system-packages:
	@# `dpkg -s` also succeeds for a removed package whose config files remain: ask for
	@# "install ok installed" of each.
	@[ "$$(dpkg-query -W -f='$${Status}\n' $(SYSTEM_PACKAGES) 2>/dev/null | grep -c '^install ok installed$$')" = $(words $(SYSTEM_PACKAGES)) ] || { \
		$(SUDO) apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $(SYSTEM_PACKAGES); }; }

# `npm ci`: installs exactly the lockfile, and never rewrites it.
sdk/js/node_modules/.package-lock.json: sdk/js/package.json sdk/js/package-lock.json
	cd sdk/js && npm ci --no-audit --no-fund

sdk/python/.venv/bin/componentize-py: sdk/python/requirements.txt
	python3 -m venv sdk/python/.venv
	sdk/python/.venv/bin/pip install -q -r sdk/python/requirements.txt
	touch $@

# Ruby: CRuby for WASI (ruby.wasm, pinned in package.json; ~30 MB) and wasm-tools (a wheel).
sdk/ruby/node_modules/.package-lock.json: sdk/ruby/package.json sdk/ruby/package-lock.json
	cd sdk/ruby && npm ci --no-audit --no-fund

sdk/ruby/.venv/bin/wasm-tools: sdk/ruby/requirements.txt
	python3 -m venv sdk/ruby/.venv
	sdk/ruby/.venv/bin/pip install -q -r sdk/ruby/requirements.txt
	touch $@

# The tests' AWS SDK client (boto3), for the @connections API.
tests/.venv/.installed: tests/requirements.txt
	python3 -m venv tests/.venv
	tests/.venv/bin/pip install -q -r tests/requirements.txt
	touch $@

# The browser test's driver (playwright-core); the browser is Debian's chromium
# (system-packages).
tests/browser/node_modules/.package-lock.json: tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund

echo: setup
	$(CARGO) run --release -- serve guest-examples/echo/app.arc

# Guest-loading tests run the release host: a debug wasmtime compiles guests 20-45x slower.
test: test-setup
	$(CARGO) test --release

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings

# Figures quoted in the README: per-route costs, then the reload benchmarks.
bench: test-setup
	$(CARGO) run --release -q -- bench guest-examples/echo/app.arc
	$(CARGO) run --release -q -- bench guest-examples/routes/app.arc --events 1000
	$(CARGO) run --release -q -- bench guest-examples/counter/app.arc --kv --events 5000
	$(CARGO) test --release --test reload -- --ignored --nocapture --test-threads=1 bench_
	$(CARGO) test --release --test limits -- --ignored --nocapture --test-threads=1 bench_
	$(CARGO) test --release --test rooms -- --ignored --nocapture --test-threads=1 bench_
	$(CARGO) test --release --test cluster -- --ignored --nocapture --test-threads=1 bench_

# The load benchmark quoted in the README: real sockets on loopback, a native axum echo server
# against the Rust, JavaScript and Python echo apps, in one sitting, ratios to native (about 3
# minutes). Options through LOAD_ARGS, e.g. `make bench-load LOAD_ARGS="--secs 2 --runs 1"`;
# `wsh-load --help` lists them.
bench-load: setup
	$(CARGO) build --release -q -p wsh
	$(CARGO) run --release -q -p wsh-load --bin wsh-load -- $(LOAD_ARGS)

# WebSocket conformance: the Autobahn suite through a wasm echo handler (needs Python 2.7).
autobahn: setup
	tests/autobahn.sh

# The manifest parser and route selection under cargo-fuzz, N seconds per target (needs
# `cargo install cargo-fuzz`; the first build takes about 30 minutes).
fuzz:
	fuzz/run.sh $(or $(SECONDS_PER_TARGET),60)
