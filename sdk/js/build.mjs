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
// The handler file (an ES module or CommonJS, .mjs/.js/.cjs) may import `@wsh/sdk` (this
// directory's index.mjs), relative modules and packages from node_modules beside it;
// `require('@architect/functions')` is this SDK as well, Node's common built-ins resolve to
// node/, and the AWS SDK's API Gateway management API clients to aws/ (see handlerModules).
// esbuild bundles it all into one ES module, which is what the componentize tools take. Which
// export an event calls is decided when it runs (index.mjs: `_HANDLER`, else `handler`).

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

// --- what handler code imports ----------------------------------------------------------------
//
// Handlers written for Lambda import Node built-ins and the AWS SDK. A handler has no network,
// filesystem or processes, so each name resolves to a module of this SDK (or a well-kept npm
// polyfill beside it) that does what can be done here, or fails the build saying why.

const NODE_MODULES = {
  util: 'node/util.mjs',
  events: 'events/',
  buffer: 'buffer/',
  path: 'path-browserify',
  'path/posix': 'path-browserify',
  url: 'node/url.mjs',
  querystring: 'node/querystring.mjs',
  assert: 'node/assert.cjs',
  'assert/strict': 'node/assert-strict.cjs',
  crypto: 'node/crypto.mjs',
  process: 'node/process.cjs',
};

const AWS_MODULES = {
  'aws-sdk': 'aws/aws-sdk.cjs',
  'aws-sdk/global': 'aws/aws-sdk.cjs',
  'aws-sdk/clients/apigatewaymanagementapi': 'aws/apigatewaymanagementapi.cjs',
  '@aws-sdk/client-apigatewaymanagementapi': 'aws/v3.mjs',
};

// Node's other built-ins, which cannot work without what a handler lacks.
const NODE_BUILTINS = new Set([
  'fs', 'fs/promises', 'http', 'https', 'http2', 'net', 'tls', 'dgram', 'dns', 'dns/promises',
  'child_process', 'cluster', 'os', 'stream', 'stream/promises', 'stream/web', 'zlib',
  'worker_threads', 'readline', 'repl', 'vm', 'perf_hooks', 'async_hooks', 'timers',
  'timers/promises', 'v8', 'module', 'tty', 'inspector', 'string_decoder', 'punycode',
  'constants', 'domain', 'trace_events', 'wasi', 'diagnostics_channel', 'sys', 'test',
  'util/types', 'path/win32', 'sqlite',
]);

/** The esbuild plugin that resolves those names. */
function handlerModules(toolchainRequire) {
  const sdkFile = (rel) => (rel.includes('/') && !rel.endsWith('/') ? join(here, rel) : toolchainRequire.resolve(rel));
  const provided = Object.keys(NODE_MODULES).filter((n) => !n.includes('/')).join(', ');
  return {
    name: 'wsh-handler-modules',
    setup(build) {
      build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, async (args) => {
        if (args.pluginData?.wshPlain) return undefined;
        const name = args.path.replace(/^node:/, '');
        if (NODE_MODULES[name]) return { path: sdkFile(NODE_MODULES[name]) };
        if (NODE_BUILTINS.has(name) || args.path.startsWith('node:')) {
          // An npm package of a built-in's name (punycode, string_decoder) installed beside the
          // code is what it means.
          if (!args.path.startsWith('node:')) {
            const found = await build.resolve(args.path, {
              kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { wshPlain: true },
            });
            if (!found.errors.length) return { path: found.path, namespace: found.namespace };
          }
          return {
            errors: [{
              text: `Node's "${name}" is not available in a wsh handler (no filesystem, network or processes); ` +
                `the built-ins it has are ${provided}`,
            }],
          };
        }
        return undefined;
      });
      build.onResolve({ filter: /^(aws-sdk(\/.*)?|@aws-sdk\/.*)$/ }, (args) => {
        if (AWS_MODULES[args.path]) return { path: join(here, AWS_MODULES[args.path]) };
        return {
          errors: [{
            text: `"${args.path}" is not available in a wsh handler: it has no network. The AWS SDK there is the ` +
              'API Gateway management API client (aws-sdk\'s ApiGatewayManagementApi, @aws-sdk/client-apigatewaymanagementapi), ' +
              "which reaches this app's connections; keep state in the key-value store (kv of @wsh/sdk)",
          }],
        };
      });
    },
  };
}

// Globals Node has and QuickJS lacks (and the two the Serverless Framework's guide uses without
// requiring them), and the file of globals/ that provides each: injected only into bundles that
// use the name as a global (a first pass finds which), so that a handler that does not pays
// nothing for them.
const GLOBALS = {
  Buffer: 'buffer.mjs',
  TextEncoder: 'text.mjs',
  TextDecoder: 'text.mjs',
  URL: 'url.mjs',
  URLSearchParams: 'url.mjs',
  crypto: 'crypto.mjs',
  AWS: 'aws.mjs',
  util: 'util.mjs',
};
const MARK = '__wshFreeGlobal_';

/** Whether `path` may hold sloppy-mode CommonJS (a `.js` or `.cjs` file; an `.mjs` never does). */
function isSloppyCandidate(path) {
  return /\.c?js$/.test(path);
}

async function bundle(esbuild, handler, backend, world, outfile, toolchainRequire) {
  const sdk = join(here, 'index.mjs');
  const { wrap, exportLine } = WORLDS[world];
  // The SDK is imported first so that it is evaluated before the handler's own code. Its wrapper
  // gets the file's name, for messages about its exports.
  const entry = [
    `import { ${wrap} } from ${JSON.stringify(sdk)};`,
    `import * as user from ${JSON.stringify(handler)};`,
    exportLine.replace('(user)', `(user, ${JSON.stringify(basename(handler))})`),
  ].join('\n');
  // CommonJS files are sloppy-mode code, the bundle an ES module (strict): a file that uses a
  // name strict mode reserves (`let static = ...`, as Architect 5's guide does) is rewritten
  // with its local names renamed (esbuild's minifier, which knows scopes), and built again.
  const sloppy = new Set();
  for (;;) {
    try {
      const common = { handler, backend, outfile, entry, sdk, toolchainRequire, sloppy };
      // First pass: which of GLOBALS the code uses as globals (`define` marks exactly the free
      // references). Second: the bundle, with those injected.
      const marks = Object.fromEntries(Object.keys(GLOBALS).map((name) => [name, MARK + name]));
      const probe = await bundleOnce(esbuild, { ...common, define: marks, inject: [] });
      const used = Object.keys(GLOBALS).filter((name) => probe.js.includes(MARK + name));
      const inject = [...new Set(used.map((name) => join(here, 'globals', GLOBALS[name])))];
      if (!inject.length) return probe.finish();
      return (await bundleOnce(esbuild, { ...common, define: {}, inject })).finish();
    } catch (e) {
      const reserved = (e.errors ?? []).filter((m) => /reserved word and cannot be used with the "esm" output format/.test(m.text) && m.location);
      const files = reserved.map((m) => resolve(m.location.file)).filter((f) => isSloppyCandidate(f) && !sloppy.has(f));
      if (!files.length) throw e;
      for (const f of files) sloppy.add(f);
    }
  }
}

/** The plugin that renames the local names of the sloppy-mode CommonJS files in `sloppy`. */
function sloppyFiles(esbuild, sloppy) {
  return {
    name: 'wsh-sloppy-commonjs',
    setup(build) {
      build.onLoad({ filter: /\.c?js$/ }, async (args) => {
        if (!sloppy.has(resolve(args.path))) return undefined;
        const source = readFileSync(args.path, 'utf8');
        // The minifier renames every local name (top-level ones included, in a CommonJS
        // file), never a property or a global; the inline source map keeps positions pointing
        // at the file.
        const out = await esbuild.transform(source, {
          loader: 'js',
          format: 'cjs',
          minifyIdentifiers: true,
          keepNames: true,
          sourcemap: 'inline',
          sourcefile: args.path,
          target: 'es2022',
        });
        return { contents: out.code, loader: 'js' };
      });
    },
  };
}

async function bundleOnce(esbuild, { handler, backend, outfile, entry, sdk, toolchainRequire, sloppy, define, inject }) {
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
    plugins: [handlerModules(toolchainRequire), sloppyFiles(esbuild, sloppy)],
    define,
    inject,
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
  const js = result.outputFiles.find((f) => f.path.endsWith('.mjs')).text;
  const finish = () => {
    for (const w of result.warnings) console.error(formatMessage(w, 'warning'));
    const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith('.map')).text);
    const table = lineTable(map, dirname(outfile));
    // Appended, so that no line of the bundle moves; a string, parsed only when an error is
    // logged, so that it costs no heap objects in every instance.
    return { source: `${js}\nglobalThis.__wshLines = ${JSON.stringify(JSON.stringify(table))};\n`, table };
  };
  return { js, finish };
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
      ({ source, table } = await bundle(esbuild, handler, opts.backend, opts.world, bundlePath, require));
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
