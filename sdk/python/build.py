#!/usr/bin/env python3
"""Turns a Python handler (a route directory's app.py) into a wsh handler component.

    <venv>/bin/python build.py --wit <wit dir> --out <component.wasm> <route dir>/app.py

--wit    the directory holding wsh's handler.wit (the repo's wit/)
--out    where to write the component (written whole, then renamed into place)
--componentize-py
         the componentize-py executable (default: the one beside this Python, i.e. in the venv
         that requirements.txt was installed into, else the one on PATH)

Everything in the route directory goes into the component (app.py and any modules beside it),
together with this SDK (wsh/, wsh_entry.py). componentize-py imports them during the build,
so a syntax or import error in app.py fails the build, naming the file and line.

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
WORLD = "ws-handler"
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
    output = output.replace('"/1/', f'"{HERE}/').replace("(/1/", f"({HERE}/")
    return output.strip()


def main():
    parser = argparse.ArgumentParser(prog="build.py", description="Build a wsh Python handler component.")
    parser.add_argument("--wit", required=True, help="directory holding wsh's handler.wit")
    parser.add_argument("--out", required=True, help="the component to write")
    parser.add_argument("--componentize-py", dest="tool", help="the componentize-py executable")
    parser.add_argument("handler", help="the route's app.py")
    args = parser.parse_args()

    handler = os.path.abspath(args.handler)
    if os.path.basename(handler) != "app.py" or not os.path.isfile(handler):
        sys.exit(f"wsh-build-py: {args.handler}: expected a route directory's app.py")
    route_dir = os.path.dirname(handler)
    out = os.path.abspath(args.out)
    started = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="wsh-build-py-") as work:
        app = os.path.join(work, "app")
        sdk = os.path.join(work, "sdk")
        shutil.copytree(route_dir, app, ignore=SKIP)
        os.mkdir(sdk)
        shutil.copytree(os.path.join(HERE, "wsh"), os.path.join(sdk, "wsh"), ignore=SKIP)
        shutil.copy(os.path.join(HERE, "wsh_entry.py"), sdk)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        partial = f"{out}.partial-{os.getpid()}"
        env = {k: v for k, v in os.environ.items() if k not in ("RUST_BACKTRACE", "RUST_LIB_BACKTRACE", "VIRTUAL_ENV")}
        command = [
            componentize_py(args.tool),
            "-q",
            "-d", os.path.abspath(args.wit),
            "-w", WORLD,
            "componentize", "wsh_entry",
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
    print(f"wsh-build-py: {args.handler} -> {out} ({size} bytes, {time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
