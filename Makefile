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
