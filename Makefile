# Two entry points for a fresh machine: `make echo` serves the echo example on port 3333,
# `make test` runs the whole test suite. Both install what they need first.

CARGO ?= cargo

.PHONY: setup echo test lint bench

# The Rust target the handlers compile to (rustup ships it, the toolchain image does not).
setup:
	rustup target add wasm32-wasip2

echo: setup
	$(CARGO) run --release -- serve guest-examples/echo/app.arc

# Guest-loading tests run the release host: a debug wasmtime compiles guests 20-45x slower.
test: setup
	$(CARGO) test --release

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --all-targets -- -D warnings

# Figures quoted in the README: per-route costs, then the reload benchmarks.
bench: setup
	$(CARGO) run --release -q -- bench guest-examples/echo/app.arc
	$(CARGO) run --release -q -- bench guest-examples/routes/app.arc --events 1000
	$(CARGO) test --release --test reload -- --ignored --nocapture bench_
