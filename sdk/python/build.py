#!/usr/bin/env python3
"""Turns a Python handler (a route directory's app.py) into a wsh handler component.

    <venv>/bin/python build.py --wit <wit dir> --out <component.wasm> [--world ws-handler|http-handler] <route dir>/app.py

--wit    the directory holding wsh's handler.wit (the repo's wit/)
--out    where to write the component (written whole, then renamed into place)
--world  ws-handler (default): a @ws route or the $connect authorizer, exporting `handle`;
         http-handler: an @http route, exporting `handle-http`
--componentize-py
         the componentize-py executable (default: the one beside this Python, i.e. in the venv
         that requirements.txt was installed into, else the one on PATH)

The handler file is a route directory's app.py (or handler.py), or any file a serverless.yml
names (`handler: handlers.connect` is handlers.py): its module is imported as the handler, and
the entry calls its function `handler`, or the one the instance's `_HANDLER` names (Lambda's
variable, which wsh sets when several routes share one file).

Everything in the handler file's directory goes into the component (the file and any modules
beside it), together with this SDK (wsh/ and wsh_entry.py, or wsh_http_entry.py for an @http
route) and the modules it stands in for: `arc` (Architect's `arc.ws`), and `boto3` and
`botocore` whose only client is the API Gateway management API, routed to wsh's ws calls
(shims/; they go only into components, never onto a Python's path). The world is this SDK's
wit/world.wit (wsh's world plus wasi:cli/environment), with the app's wit/ as a dependency.
componentize-py imports them during the build, so a syntax or import error in the handler file
fails the build, naming the file and line.

Why not call componentize-py directly: its guest Python writes __pycache__/ into every -p
directory, and names them /0/, /1/ in its messages. This stages copies in a temporary
directory instead, and puts the real paths back into the messages.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# wsh's worlds: this SDK's world that includes each (wit/world.wit), and its entry module.
WORLDS = {
    "ws-handler": ("ws-handler-py", "wsh_entry"),
    "http-handler": ("http-handler-py", "wsh_http_entry"),
}
# Module names the SDK's own files take in the component.
RESERVED = {"wsh", "wsh_entry", "wsh_http_entry", "wsh_target", "wit_world", "componentize_py_types"}
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", "node_modules", "*.wasm", "*.cwasm", ".*")


def componentize_py(explicit):
    if explicit:
        return explicit
    beside = os.path.join(os.path.dirname(sys.executable), "componentize-py")
    if os.access(beside, os.X_OK):
        return beside
    found = shutil.which("componentize-py")
    if not found:
        sys.exit("wsh-build-py: componentize-py not found: pip install -r requirements.txt (beside build.py) into a venv and run build.py with its python")
    return found


def tidy(output, route_dir):
    """componentize-py's error output, with the staged paths back to the real ones and without
    the frames of componentize-py's own launcher."""
    output = re.sub(r"(?s)^Traceback \(most recent call last\):\n  File \"[^\"]*componentize-py\".*?\nAssertionError: ", "", output)
    output = re.sub(r"(?s)\nStack backtrace:\n.*", "\n", output)
    output = output.replace('"/0/', f'"{route_dir}/').replace("(/0/", f"({route_dir}/")
    output = re.sub(r'([("])/1/(boto3|botocore|arc)/', lambda m: f"{m.group(1)}{HERE}/shims/{m.group(2)}/", output)
    output = output.replace('"/1/', f'"{HERE}/').replace("(/1/", f"({HERE}/")
    return output.strip()


def assemble_wit(app_wit, out):
    """This SDK's wit/ with the app's wit/ (handler.wit and its deps) as a dependency."""
    shutil.copytree(os.path.join(HERE, "wit"), out)
    deps = os.path.join(out, "deps")
    os.makedirs(os.path.join(deps, "wsh-handler"))
    for name in os.listdir(app_wit):
        path = os.path.join(app_wit, name)
        if os.path.isfile(path) and name.endswith(".wit"):
            shutil.copy(path, os.path.join(deps, "wsh-handler", name))
        elif os.path.isdir(path) and name == "deps":
            shutil.copytree(path, deps, dirs_exist_ok=True)


def main():
    parser = argparse.ArgumentParser(prog="build.py", description="Build a wsh Python handler component.")
    parser.add_argument("--wit", required=True, help="directory holding wsh's handler.wit")
    parser.add_argument("--out", required=True, help="the component to write")
    parser.add_argument("--world", default="ws-handler", choices=sorted(WORLDS), help="ws-handler (default) or http-handler")
    parser.add_argument("--componentize-py", dest="tool", help="the componentize-py executable")
    parser.add_argument("handler", help="the handler file (a route's app.py, or the file serverless.yml names)")
    args = parser.parse_args()

    handler = os.path.abspath(args.handler)
    module = os.path.basename(handler)[:-3] if handler.endswith(".py") else ""
    if not module or not os.path.isfile(handler):
        sys.exit(f"wsh-build-py: {args.handler}: expected a Python handler file (a route directory's app.py, or the file serverless.yml names)")
    if module in RESERVED:
        sys.exit(f"wsh-build-py: {args.handler}: a handler module cannot be named {module} (the SDK's own module); rename the file")
    route_dir = os.path.dirname(handler)
    out = os.path.abspath(args.out)
    started = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="wsh-build-py-") as work:
        app = os.path.join(work, "app")
        sdk = os.path.join(work, "sdk")
        shutil.copytree(route_dir, app, ignore=SKIP)
        # Architect's src/shared, as its Python runtime lays it out: vendor/shared beside the
        # handler (`from vendor.shared.chat import dumps`).
        src = os.path.dirname(os.path.dirname(route_dir))
        shared = os.path.join(src, "shared")
        if os.path.basename(src) == "src" and os.path.isdir(shared):
            shutil.copytree(shared, os.path.join(app, "vendor", "shared"), ignore=SKIP, dirs_exist_ok=True)
        os.mkdir(sdk)
        shutil.copytree(os.path.join(HERE, "wsh"), os.path.join(sdk, "wsh"), ignore=SKIP)
        for shim in os.listdir(os.path.join(HERE, "shims")):
            if not shim.startswith((".", "__")):
                shutil.copytree(os.path.join(HERE, "shims", shim), os.path.join(sdk, shim), ignore=SKIP)
        world, entry = WORLDS[args.world]
        shutil.copy(os.path.join(HERE, f"{entry}.py"), sdk)
        # Which module the entry imports as the handler.
        with open(os.path.join(sdk, "wsh_target.py"), "w") as f:
            f.write(f"MODULE = {module!r}\nFILE = {os.path.basename(handler)!r}\n")
        wit = os.path.join(work, "wit")
        assemble_wit(os.path.abspath(args.wit), wit)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        partial = f"{out}.partial-{os.getpid()}"
        env = {k: v for k, v in os.environ.items() if k not in ("RUST_BACKTRACE", "RUST_LIB_BACKTRACE", "VIRTUAL_ENV")}
        command = [
            componentize_py(args.tool),
            "-q",
            "-d", wit,
            "-w", world,
            "componentize", entry,
            # /0/ is the route, /1/ the SDK: the order tidy() undoes.
            "-p", app,
            "-p", sdk,
            "-o", partial,
        ]
        result = subprocess.run(command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            if os.path.exists(partial):
                os.remove(partial)
            sys.exit(f"wsh-build-py: {tidy(result.stdout, route_dir)}")
        os.replace(partial, out)

    size = os.path.getsize(out)
    print(f"wsh-build-py: {args.handler} -> {out} ({args.world}, {size} bytes, {time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
