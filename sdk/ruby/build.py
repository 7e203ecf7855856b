#!/usr/bin/env python3
"""Turns a Ruby handler (a route directory's index.rb or handler.rb) into a wsh handler component.

    <venv>/bin/python build.py --wit <wit dir> --out <component.wasm> [--world ws-handler|http-handler] <route dir>/index.rb
    <venv>/bin/python build.py --setup

--wit    the directory holding wsh's handler.wit (the repo's wit/, which the glue is built against)
--out    where to write the component (written whole, then renamed into place)
--world  ws-handler (default): a @ws route or the $connect authorizer, exporting `handle`;
         http-handler: an @http route, exporting `handle-http`
--wsh    the wsh binary that snapshots the VM (default: $WSH_EXE, which wsh sets when it runs
         this, else `wsh` on PATH)
--setup  only build what every handler shares (the glue components, the WASI adapter)

What it does (README.md has the why):
 1. ruby.wasm's core module (npm: @ruby/3.4-wasm-wasi, CRuby with its stdlib packed inside) gets
    its legacy wit-bindgen names renamed (legacy_abi.py);
 2. `wsh internal preinit-ruby` boots Ruby in it, evaluates the SDK (lib/) and the route
    directory's .rb files, loads the handler file, and snapshots it (Wizer): a fresh instance
    starts with all that done. A syntax or load error in the handler fails the build here.
    Its data segments are then merged (dense_image.py) so that wasmtime maps them;
 3. wasm-tools wraps the snapshot as a component (world ruby:legacy/ruby in wit/ruby.wit) with
    the WASI preview-1 adapter;
 4. wasm-tools composes it with the glue (glue/): js-host, which serves ruby.wasm's JavaScript
    imports and carries the SDK's calls to wsh, and entry-ws or entry-http, which exports the
    world's function.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import dense_image
import legacy_abi

HERE = os.path.dirname(os.path.abspath(__file__))
RUBY_WASM = os.path.join(HERE, "node_modules", "@ruby", "3.4-wasm-wasi", "dist", "ruby+stdlib.wasm")
TARGET = os.path.join(HERE, "target")
ADAPTER = os.path.join(TARGET, "wasi_snapshot_preview1.reactor.wasm")
GLUE = os.path.join(TARGET, "glue", "wasm32-wasip2", "release")
# wsh's worlds: the glue component that exports each.
WORLDS = {"ws-handler": "wsh_ruby_entry_ws.wasm", "http-handler": "wsh_ruby_entry_http.wasm"}
ENTRIES = ("index.rb", "handler.rb")


def fail(message):
    sys.exit(f"wsh-build-rb: {message}")


def run(command, what, **kwargs):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
    if result.returncode != 0:
        fail(f"{what} failed:\n{result.stdout.strip()}")
    return result.stdout


def tool(name, explicit=None):
    """A program: `explicit`, else the one beside this Python (the venv's), else on PATH."""
    if explicit:
        return explicit
    beside = os.path.join(os.path.dirname(sys.executable), name)
    if os.access(beside, os.X_OK):
        return beside
    found = shutil.which(name)
    if not found:
        fail(f"{name} not found: run `make setup` (it installs the Ruby toolchain in {HERE})")
    return found


def setup():
    """The parts every handler shares, built with cargo: a no-op when they are fresh."""
    cargo = os.environ.get("CARGO", "cargo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGO_TARGET_")}
    run(
        [cargo, "build", "-q", "--release", "--target", "wasm32-wasip2", "--manifest-path",
         os.path.join(HERE, "glue", "Cargo.toml"), "--target-dir", os.path.join(TARGET, "glue")],
        "building the glue components (cargo, wasm32-wasip2: `rustup target add wasm32-wasip2`)",
        env=env,
    )
    if not os.path.isfile(ADAPTER):
        run(
            [cargo, "run", "-q", "--release", "--manifest-path", os.path.join(HERE, "adapter", "Cargo.toml"),
             "--target-dir", os.path.join(TARGET, "adapter"), "--", ADAPTER],
            "writing the WASI preview-1 adapter (crate wasi-preview1-component-adapter-provider)",
            env=env,
        )


def ruby_literal(s):
    """A single-quoted Ruby literal: only \\\\ and \\' are escapes in one."""
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sources(route_dir):
    """(virtual path, real path) of every .rb file the handler may load: the SDK's lib/ under
    wsh-sdk/, the route directory's by their path in it, and Architect's src/shared (beside
    src/ws and src/http) as vendor/shared/, where Architect puts it for Ruby functions."""
    found = []

    def walk(root, prefix):
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in ("node_modules", "target"))
            for name in sorted(filenames):
                if name.endswith(".rb"):
                    real = os.path.join(dirpath, name)
                    found.append((prefix + os.path.relpath(real, root).replace(os.sep, "/"), real))

    walk(os.path.join(HERE, "lib"), "wsh-sdk/")
    walk(route_dir, "")
    shared = os.path.join(os.path.dirname(os.path.dirname(route_dir)), "shared")
    if os.path.isdir(shared) and os.path.basename(os.path.dirname(os.path.dirname(route_dir))) == "src":
        walk(shared, "vendor/shared/")
    return found


def boot_script(route_dir, entry):
    parts = ["# wsh-boot: generated by build.py", open(os.path.join(HERE, "boot.rb"), encoding="utf-8").read()]
    for virtual, real in sources(route_dir):
        try:
            with open(real, encoding="utf-8") as f:
                source = f.read()
        except UnicodeDecodeError:
            fail(f"{real}: not UTF-8")
        parts.append(f"Wsh::Files.add({ruby_literal(virtual)}, {ruby_literal(source)})")
    parts.append(f"Wsh::Files.boot({ruby_literal(entry)})")
    return "\n".join(parts) + "\n"


def tidy(output, route_dir):
    """preinit's error, with the route's virtual paths (index.rb:3) as real ones, and the SDK's
    as wsh-sdk/..."""
    output = re.sub(r"(?m)^error: ", "", output.strip())
    return re.sub(
        r"(?<![\w./-])((?!wsh-sdk/)[\w./-]+\.rb):(\d+)",
        lambda m: f"{os.path.join(route_dir, m.group(1))}:{m.group(2)}"
        if os.path.isfile(os.path.join(route_dir, m.group(1))) else m.group(0),
        output,
    )


def main():
    parser = argparse.ArgumentParser(prog="build.py", description="Build a wsh Ruby handler component.")
    parser.add_argument("--wit", help="directory holding wsh's handler.wit")
    parser.add_argument("--out", help="the component to write")
    parser.add_argument("--world", default="ws-handler", choices=sorted(WORLDS), help="ws-handler (default) or http-handler")
    parser.add_argument("--wsh", default=os.environ.get("WSH_EXE"), help="the wsh binary (default: $WSH_EXE, else wsh on PATH)")
    parser.add_argument("--setup", action="store_true", help="only build what every handler shares")
    parser.add_argument("handler", nargs="?", help="the route's index.rb or handler.rb")
    args = parser.parse_args()

    if args.setup:
        setup()
        return
    if not (args.wit and args.out and args.handler):
        parser.error("--wit, --out and the handler file are required")
    handler = os.path.abspath(args.handler)
    if os.path.basename(handler) not in ENTRIES or not os.path.isfile(handler):
        fail(f"{args.handler}: expected a route directory's index.rb or handler.rb")
    if not os.path.isfile(os.path.join(args.wit, "handler.wit")):
        fail(f"{args.wit}: no handler.wit there")
    if not os.path.isfile(RUBY_WASM):
        fail(f"{RUBY_WASM} is missing: run `make setup` (npm ci in {HERE})")
    route_dir = os.path.dirname(handler)
    out = os.path.abspath(args.out)
    wasm_tools = tool("wasm-tools")
    wsh = tool("wsh", args.wsh)
    started = time.monotonic()
    setup()

    with tempfile.TemporaryDirectory(prefix="wsh-build-rb-") as work:
        path = lambda name: os.path.join(work, name)  # noqa: E731
        with open(RUBY_WASM, "rb") as f:
            try:
                core = legacy_abi.rename(f.read())
            except legacy_abi.UnknownBinding as e:
                fail(f"{RUBY_WASM}: {e} (is package.json's pinned ruby.wasm installed?)")
        with open(path("core.wasm"), "wb") as f:
            f.write(core)
        with open(path("boot.rb"), "w", encoding="utf-8") as f:
            f.write(boot_script(route_dir, os.path.basename(handler)))
        # Its own empty directory: nothing of the build's (a stray .wsh, the cwd) leaks in.
        result = subprocess.run(
            [wsh, "internal", "preinit-ruby", path("core.wasm"), path("boot.rb"), "-o", path("snapshot.wasm")],
            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={k: v for k, v in os.environ.items() if k not in ("RUST_BACKTRACE", "RUST_LIB_BACKTRACE")},
        )
        if result.returncode != 0:
            fail(tidy(result.stdout, route_dir))
        preinit = result.stdout.strip().splitlines()[-1:] or [""]
        with open(path("snapshot.wasm"), "rb") as f:
            snapshot = dense_image.rewrite(f.read())
        with open(path("snapshot.wasm"), "wb") as f:
            f.write(snapshot)
        run([wasm_tools, "component", "embed", os.path.join(HERE, "wit"), "--world", "ruby:legacy/ruby",
             path("snapshot.wasm"), "-o", path("embedded.wasm")], "wasm-tools component embed")
        run([wasm_tools, "component", "new", path("embedded.wasm"), "--adapt", f"wasi_snapshot_preview1={ADAPTER}",
             "-o", path("ruby.wasm")], "wasm-tools component new")
        # compose names each dependency by its file's stem, which must be kebab-case; given both
        # dependencies at once it only resolves the root's imports, hence two steps.
        shutil.copy(os.path.join(GLUE, "wsh_ruby_js_host.wasm"), path("js-host.wasm"))
        shutil.copy(os.path.join(GLUE, WORLDS[args.world]), path("entry.wasm"))
        run([wasm_tools, "compose", path("ruby.wasm"), "-d", path("js-host.wasm"), "-o", path("ruby-js.wasm")],
            "wasm-tools compose (ruby.wasm + js-host)")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        partial = f"{out}.partial-{os.getpid()}"
        run([wasm_tools, "compose", path("entry.wasm"), "-d", path("ruby-js.wasm"), "-o", partial],
            "wasm-tools compose (entry + ruby)")
        os.replace(partial, out)

    size = os.path.getsize(out)
    took = time.monotonic() - started
    print(f"wsh-build-rb: {args.handler} -> {out} ({args.world}, {size} bytes, {took:.1f} s; {preinit[0]})")


if __name__ == "__main__":
    main()
