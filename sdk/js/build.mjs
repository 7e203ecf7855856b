#!/usr/bin/env node
// Turns a JavaScript handler file into a wsh handler component.
//
//   node build.mjs --wit <wit dir> --out <component.wasm> [--world ws-handler|http-handler] [--backend qjs|sm] [--toolchain <dir>] [--bundle-out <file.mjs>] <handler.mjs>
//
// --wit        the directory holding wsh's handler.wit (the repo's wit/)
// --world      ws-handler (default): a @ws route or the $connect authorizer, exporting `handle`;
//              http-handler: an @http route, exporting `handle-http`
// --out        where to write the component (written whole, then renamed into place)
// --backend    qjs (default): QuickJS via componentize-qjs, ~1.6 MB, the fast one per event.
//              sm: StarlingMonkey via @bytecodealliance/componentize-js, ~12 MB and ~3x slower per
//              event; not installed by package.json (it pulls ~385 MB): install it next to it with
//              `npm install --no-save @bytecodealliance/componentize-js@0.23.0 @bytecodealliance/preview2-shim@0.25.0`.
// --toolchain  the directory whose node_modules has the tools (default: this file's directory)
// --bundle-out also write the bundled JavaScript there: run-time stack traces point into it
//
// The handler file may import `@wsh/sdk` (this directory's index.mjs), relative modules and
// packages from node_modules beside it; `require('@architect/functions')` is this SDK as well.
// esbuild bundles it all into one ES module, which is what the componentize tools take.

import { mkdtemp, mkdir, readdir, copyFile, writeFile, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));

// wsh's worlds: this SDK's world that includes each (wit/world.wit), and the entry that exports
// the handler as the world's function (componentize-qjs names exports in camelCase).
const WORLDS = {
  'ws-handler': { world: 'ws-handler-js', exportLine: 'export const handle = __wshHandle(user);', wrap: '__wshHandle' },
  'http-handler': { world: 'http-handler-js', exportLine: 'export const handleHttp = __wshHandleHttp(user);', wrap: '__wshHandleHttp' },
};

function usage(problem) {
  console.error(`wsh-build-js: ${problem}`);
  console.error('usage: node build.mjs --wit <wit dir> --out <component.wasm> [--world ws-handler|http-handler] [--backend qjs|sm] [--toolchain <dir>] [--bundle-out <file.mjs>] <handler.mjs>');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { backend: 'qjs', toolchain: here, world: 'ws-handler' };
  const names = { '--wit': 'wit', '--out': 'out', '--world': 'world', '--backend': 'backend', '--toolchain': 'toolchain', '--bundle-out': 'bundleOut', '-o': 'out' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (names[arg]) {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      opts[names[arg]] = argv[++i];
    } else if (arg.startsWith('-')) {
      usage(`unknown option ${arg}`);
    } else if (opts.handler) {
      usage(`one handler file only (got ${opts.handler} and ${arg})`);
    } else {
      opts.handler = arg;
    }
  }
  if (!opts.handler) usage('no handler file given');
  if (!opts.wit) usage('--wit is required');
  if (!opts.out) usage('--out is required');
  if (!['qjs', 'sm'].includes(opts.backend)) usage(`--backend must be qjs or sm, not ${opts.backend}`);
  if (!WORLDS[opts.world]) usage(`--world must be ${Object.keys(WORLDS).join(' or ')}, not ${opts.world}`);
  return opts;
}

/** A package's ES module entry, found from `toolchain`'s node_modules. */
async function importFrom(toolchain, name) {
  const pkgDir = join(toolchain, 'node_modules', name);
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  } catch {
    throw new Error(`${name} is not installed in ${toolchain}/node_modules (run \`npm install --no-audit --no-fund\` there)`);
  }
  const exp = typeof pkg.exports === 'string' ? pkg.exports : pkg.exports?.import ?? pkg.exports?.['.']?.import;
  return import(pathToFileURL(join(pkgDir, exp ?? pkg.main ?? 'index.js')).href);
}

/** wit/ of this SDK (our world and the WASI bits console needs) + the app's wit as a dependency. */
async function assembleWit(appWit, dir) {
  const copyTree = async (from, to) => {
    await mkdir(to, { recursive: true });
    for (const entry of await readdir(from, { withFileTypes: true })) {
      if (entry.isDirectory()) await copyTree(join(from, entry.name), join(to, entry.name));
      else await copyFile(join(from, entry.name), join(to, entry.name));
    }
  };
  await copyTree(join(here, 'wit'), dir);
  const deps = join(dir, 'deps');
  await mkdir(join(deps, 'wsh-handler'), { recursive: true });
  for (const entry of await readdir(appWit, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.wit')) await copyFile(join(appWit, entry.name), join(deps, 'wsh-handler', entry.name));
    else if (entry.isDirectory() && entry.name === 'deps') await copyTree(join(appWit, 'deps'), deps);
  }
}

async function bundle(esbuild, handler, backend, world, outfile) {
  const sdk = join(here, 'index.mjs');
  const { wrap, exportLine } = WORLDS[world];
  // The SDK is imported first so that it is evaluated before the handler's own code.
  const entry = [
    `import { ${wrap} } from ${JSON.stringify(sdk)};`,
    `import * as user from ${JSON.stringify(handler)};`,
    exportLine,
  ].join('\n');
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: dirname(handler), sourcefile: 'wsh-entry.mjs', loader: 'js' },
    bundle: true,
    write: false,
    outfile,
    sourcemap: 'external',
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    // WIT interfaces are resolved by the componentize tool, not from files.
    external: ['wsh:*', 'wasi:*'],
    alias: { '@wsh/sdk': sdk, '@architect/functions': sdk },
    // QuickJS never runs its job queue in a synchronous export: lower async functions to
    // generators stepped by the global Promise, which the SDK replaces (see index.mjs).
    supported: backend === 'qjs'
      ? { 'async-await': false, 'async-generator': false, 'for-await': false, 'top-level-await': false }
      : {},
    banner: { js: `globalThis.__wshBackend = ${JSON.stringify(backend)};` },
    // `exports.handler = ...` in a file with imports is supported on purpose (index.mjs).
    logOverride: { 'commonjs-variable-in-esm': 'silent' },
    logLevel: 'silent',
  });
  for (const w of result.warnings) console.error(formatMessage(w, 'warning'));
  const js = result.outputFiles.find((f) => f.path.endsWith('.mjs')).text;
  const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith('.map')).text);
  const table = lineTable(map, dirname(outfile));
  // Appended, so that no line of the bundle moves; a string, parsed only when an error is
  // logged, so that it costs no heap objects in every instance.
  return { source: `${js}\nglobalThis.__wshLines = ${JSON.stringify(JSON.stringify(table))};\n`, table };
}

/** `text` with bundle positions replaced by source ones (as index.mjs does at run time). */
function sourcePositions(text, table) {
  return text.replace(/[^\s()@]*\.bundle\.mjs:(\d+)(?::\d+)?/g, (at, line) => {
    const origin = table.lines[line - 1];
    return origin ? `${table.sources[origin[0]]}:${origin[1]}` : at;
  });
}

/**
 * For each line of the bundle, the source file and line it came from, decoded from esbuild's
 * source map: index.mjs rewrites run-time stack traces with it, so that they name the handler's
 * own files instead of the bundle the engine actually ran.
 */
function lineTable(map, mapDir) {
  const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const lines = [];
  let source = 0;
  let line = 0;
  for (const group of map.mappings.split(';')) {
    let first = null;
    for (const segment of group.split(',')) {
      // Base64 VLQ fields: generated column, then source index, line and column as deltas
      // that run on across the whole map.
      const fields = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const d = digits.indexOf(ch);
        value += (d & 31) << shift;
        if (d & 32) {
          shift += 5;
        } else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      if (fields.length < 4) continue;
      source += fields[1];
      line += fields[2];
      first ??= [source, line + 1];
    }
    lines.push(first);
  }
  const sources = map.sources.map((s) => {
    const path = resolve(mapDir, s);
    const rel = relative(process.cwd(), path);
    return rel && !rel.startsWith('..') ? rel : path;
  });
  return { sources, lines };
}

function formatMessage(m, kind) {
  const at = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : '';
  const line = m.location?.lineText ? `\n    ${m.location.lineText}\n    ${' '.repeat(m.location.column)}^` : '';
  return `${at}${kind}: ${m.text}${line}`;
}

/** Runs the componentize tool of `backend` on the bundle; returns the component's bytes. */
async function componentize({ backend, world, require, toolchain, source, bundlePath, wit }) {
  if (backend === 'qjs') {
    let qjs;
    try {
      qjs = require('componentize-qjs');
    } catch {
      throw new Error(`componentize-qjs is not installed in ${toolchain}/node_modules (run \`npm install --no-audit --no-fund\` there)`);
    }
    const { component } = await qjs.componentize({
      witPath: wit,
      world: WORLDS[world].world,
      jsSource: source,
      jsPath: bundlePath,
      moduleRoot: dirname(bundlePath),
      // wasmtime without component-model-async cannot run the default async-ABI runtime.
      sync: true,
    });
    return component;
  }
  const { componentize } = await importFrom(toolchain, '@bytecodealliance/componentize-js');
  // componentize-js finds the source relative to the working directory.
  const cwd = process.cwd();
  process.chdir(dirname(bundlePath));
  try {
    const { component } = await componentize(source, {
      witPath: wit,
      worldName: WORLDS[world].world,
      sourceName: basename(bundlePath),
      // wasmtime-wasi has no wasi:http; a handler has no network anyway.
      disableFeatures: ['http', 'fetch-event'],
    });
    return component;
  } finally {
    process.chdir(cwd);
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const handler = resolve(opts.handler);
  const out = resolve(opts.out);
  const appWit = resolve(opts.wit);
  const toolchain = resolve(opts.toolchain);
  await stat(handler).catch(() => { throw new Error(`${handler}: no such file`); });
  const started = Date.now();

  const require = createRequire(join(toolchain, 'package.json'));
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    throw new Error(`esbuild is not installed in ${toolchain}/node_modules (run \`npm install --no-audit --no-fund\` there)`);
  }

  const work = await mkdtemp(join(tmpdir(), 'wsh-build-js-'));
  try {
    // Engine stack traces name this file (index.mjs maps its lines back to the sources).
    const bundlePath = join(work, `${basename(handler).replace(/\.[cm]?js$/, '')}.bundle.mjs`);
    let source, table;
    try {
      ({ source, table } = await bundle(esbuild, handler, opts.backend, opts.world, bundlePath));
    } catch (e) {
      if (!e.errors) throw e;
      throw new Error(e.errors.map((m) => formatMessage(m, 'error')).join('\n'));
    }
    if (opts.bundleOut) await writeFile(resolve(opts.bundleOut), source);
    await writeFile(bundlePath, source);
    const wit = join(work, 'wit');
    await assembleWit(appWit, wit);

    let component;
    try {
      component = await componentize({ backend: opts.backend, world: opts.world, require, toolchain, source, bundlePath, wit });
    } catch (e) {
      // The module is evaluated during the build: an exception at its top level lands here.
      throw new Error(sourcePositions(String(e?.message ?? e).replace(/^: /, ''), table));
    }

    await mkdir(dirname(out), { recursive: true });
    const partial = `${out}.partial-${process.pid}`;
    await writeFile(partial, component);
    await rename(partial, out);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`wsh-build-js: ${opts.handler} -> ${out} (${opts.world}, ${opts.backend}, ${component.length} bytes, ${seconds} s)`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`wsh-build-js: ${e?.message ?? e}`);
  process.exit(1);
});
