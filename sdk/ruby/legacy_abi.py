"""Renames the legacy wit-bindgen imports and exports of ruby.wasm's core module to the names
wit-component expects for world ``ruby:legacy/ruby`` (wit/ruby.wit), and drops the exports no
component needs.

ruby.wasm's npm modules were built with the 2022 wit-bindgen: their host functions are imported
from module ``rb-js-abi-host`` as ``eval-js: func(code: string) -> js-abi-result``, resource
intrinsics from ``canonical_abi``, and the guest's functions are exported as
``rb-eval-string-protect: func(str: string) -> tuple<...>``. Their core signatures are today's
canonical ABI, so renaming is all it takes. Anything this does not know (a release that changed
its bindings) stops the build, naming it: pin the npm package (package.json).

    python3 legacy_abi.py in.wasm out.wasm
"""

import sys

PACKAGE = "ruby:legacy"
VERSION = "@0.1.0"
HOST = f"{PACKAGE}/js-host{VERSION}"
GUEST = f"{PACKAGE}/guest{VERSION}"
# asyncify's and wasi-vfs's helpers, which only ruby.wasm's JavaScript host calls.
DROP_EXPORTS = {
    "wasi_vfs_pack_fs",
    "__wasi_vfs_rt_init",
    "asyncify_start_unwind",
    "asyncify_stop_unwind",
    "asyncify_start_rewind",
    "asyncify_stop_rewind",
    "asyncify_get_state",
}


class UnknownBinding(Exception):
    pass


def _leb(b, i):
    result = shift = 0
    while True:
        x = b[i]
        i += 1
        result |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return result, i


def _uleb(n):
    out = bytearray()
    while True:
        x = n & 0x7F
        n >>= 7
        if n:
            out.append(x | 0x80)
        else:
            out.append(x)
            return bytes(out)


def _name(b, i):
    n, i = _leb(b, i)
    return b[i : i + n].decode(), i + n


def _encode_name(s):
    e = s.encode()
    return _uleb(len(e)) + e


def map_import(module, name):
    if module == "rb-js-abi-host":
        if name == "rb_wasm_throw_prohibit_rewind_exception":
            return HOST, "throw-prohibit-rewind-exception"
        # "eval-js: func(code: string) -> js-abi-result" -> "eval-js"
        return HOST, name.split(":")[0]
    if module == "canonical_abi":
        known = {
            "resource_drop_js-abi-value": (HOST, "[resource-drop]js-abi-value"),
            "resource_new_rb-abi-value": (f"[export]{GUEST}", "[resource-new]rb-abi-value"),
            "resource_get_rb-abi-value": (f"[export]{GUEST}", "[resource-rep]rb-abi-value"),
        }
        if name not in known:
            raise UnknownBinding(f"unknown canonical_abi import {name!r}")
        return known[name]
    return module, name


def map_export(name):
    if name in DROP_EXPORTS:
        return None
    if name == "canonical_abi_drop_rb-abi-value":
        return f"{GUEST}#[dtor]rb-abi-value"
    if name.startswith("cabi_post_"):
        return f"cabi_post_{GUEST}#{name[len('cabi_post_'):].split(':')[0]}"
    if ": func" in name:
        return f"{GUEST}#{name.split(':')[0]}"
    return name


def _skip_import_desc(body, k):
    kind = body[k]
    k += 1
    if kind == 0:  # func: type index
        _, k = _leb(body, k)
    elif kind == 1:  # table: reftype, limits
        k += 1
        flags = body[k]
        k += 1
        _, k = _leb(body, k)
        if flags & 1:
            _, k = _leb(body, k)
    elif kind == 2:  # memory: limits
        flags = body[k]
        k += 1
        _, k = _leb(body, k)
        if flags & 1:
            _, k = _leb(body, k)
    elif kind == 3:  # global: valtype, mutability
        k += 2
    else:
        raise UnknownBinding(f"unexpected import kind {kind}")
    return k


def rename(wasm):
    """The module with its import (2) and export (7) sections renamed; others as they are."""
    if wasm[:8] != b"\0asm\x01\0\0\0":
        raise UnknownBinding("not a core WebAssembly module")
    if b"rb-js-abi-host" not in wasm:
        raise UnknownBinding("no rb-js-abi-host imports: not a ruby.wasm module with the legacy bindings")
    out = bytearray(wasm[:8])
    i = 8
    while i < len(wasm):
        section = wasm[i]
        size, j = _leb(wasm, i + 1)
        end = j + size
        body = wasm[j:end]
        if section == 2:
            count, k = _leb(body, 0)
            new = bytearray(_uleb(count))
            for _ in range(count):
                module, k = _name(body, k)
                name, k = _name(body, k)
                start = k
                k = _skip_import_desc(body, k)
                module, name = map_import(module, name)
                new += _encode_name(module) + _encode_name(name) + body[start:k]
            body = bytes(new)
        elif section == 7:
            count, k = _leb(body, 0)
            items = []
            for _ in range(count):
                name, k = _name(body, k)
                start = k
                k += 1
                _, k = _leb(body, k)
                renamed = map_export(name)
                if renamed is not None:
                    items.append(_encode_name(renamed) + body[start:k])
            body = _uleb(len(items)) + b"".join(items)
        out += bytes([section]) + _uleb(len(body)) + body
        i = end
    return bytes(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: legacy_abi.py in.wasm out.wasm")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    with open(sys.argv[2], "wb") as f:
        f.write(rename(data))
