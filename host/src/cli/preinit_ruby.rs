//! `wsh internal preinit-ruby`: boots the Ruby VM of a Ruby handler at build time and snapshots
//! it (Wizer), so that every event's fresh instance starts with Ruby booted and the handler
//! loaded. Booting CRuby takes ~120 ms; a fresh instance of the snapshot takes well under one.
//!
//! `sdk/ruby/build.py` runs it on ruby.wasm's core module (a WASI preview-1 reactor whose
//! legacy wit-bindgen names it has already renamed to `ruby:legacy/…`), before making it a
//! component. It lives in wsh because it needs a wasmtime, and wsh has one: no second wasmtime
//! to build or install.
//!
//! The module's imports are served as follows while it runs: WASI preview 1 by wasmtime-wasi,
//! with an empty environment (the build's would otherwise be baked into the component) and no
//! files; ruby.wasm's "JavaScript" imports (`ruby:legacy/js-host`) trap, since nothing may reach
//! the host at build time; its resource intrinsics hand a handle out as its own representation.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use wasmtime::{Config, Engine, Instance, Linker, Module, Store, Val};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wizer::{InstanceState, SnapshotVal, ValType, Wizer};

const GUEST: &str = "ruby:legacy/guest@0.1.0";
const JS_HOST: &str = "ruby:legacy/js-host@0.1.0";

/// What ruby.wasm's JavaScript host passes to `ruby-init`: NUL-terminated C strings. `-e_=0`
/// keeps Ruby from reading a script from stdin.
const RUBY_ARGS: [&str; 3] = ["ruby.wasm\0", "-EUTF-8\0", "-e_=0\0"];

/// How long booting and loading may take: code at the top of a handler file runs here, and a
/// loop there must fail the build rather than hang it.
const LOAD_DEADLINE_SECS: u64 = 120;

/// Boots Ruby in `module`, evaluates `boot` (a non-empty String as its value is the error to
/// report), runs the GC, and writes the snapshot to `out`.
pub async fn preinit(module: &Path, boot: &Path, out: &Path) -> Result<()> {
    let started = Instant::now();
    let wasm = std::fs::read(module).with_context(|| format!("reading {}", module.display()))?;
    let script = std::fs::read_to_string(boot).with_context(|| format!("reading {}", boot.display()))?;
    let wizer = Wizer::new();
    let (cx, instrumented) = wizer.instrument(&wasm).map_err(anyhow::Error::from).context("instrumenting")?;
    let engine = Engine::new(Config::new().epoch_interruption(true)).map_err(anyhow::Error::from)?;
    let compiled = load_or_compile(&engine, &instrumented)?;
    let compiled_in = started.elapsed();

    let linker = linker(&engine, &compiled)?;
    let wasi = WasiCtxBuilder::new().inherit_stdout().inherit_stderr().build_p1();
    let mut store = Store::new(&engine, wasi);
    store.set_epoch_deadline(LOAD_DEADLINE_SECS);
    let ticker = engine.clone();
    // Ends with the process: this command does nothing after the snapshot.
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
            ticker.increment_epoch();
        }
    });
    let instance = linker.instantiate_async(&mut store, &compiled).await.map_err(anyhow::Error::from)?;
    let mut vm = Vm { store, instance };
    let boot_started = Instant::now();
    vm.boot().await.context("booting Ruby")?;
    let booted_in = boot_started.elapsed();
    if let Some(error) = vm.eval(&script).await.map_err(deadline)? {
        bail!("{}", error.trim_end());
    }
    if let Some(error) = vm.eval("GC.start").await? {
        bail!("GC.start: {error}");
    }
    let evaluated_in = boot_started.elapsed() - booted_in;

    let snapshot = wizer.snapshot(&cx, &mut vm).await.map_err(anyhow::Error::from).context("snapshotting")?;
    let tmp = out.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&tmp, &snapshot).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("renaming into {}", out.display()))?;
    eprintln!(
        "preinit-ruby: compile {compiled_in:.1?}, boot {booted_in:.0?}, load {evaluated_in:.0?}; {} -> {} bytes",
        wasm.len(),
        snapshot.len()
    );
    Ok(())
}

/// An error that is the load deadline's trap, said so.
fn deadline(e: anyhow::Error) -> anyhow::Error {
    if e.chain().any(|c| c.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt)) {
        return e.context(format!(
            "the handler's files were still loading after {LOAD_DEADLINE_SECS} s (a loop at load time?)"
        ));
    }
    e
}

/// The instrumented module compiled. Every Ruby handler starts from the same ruby.wasm, so its
/// instrumented form is the same too: compiled once (~25 s of Cranelift for 30 MB of code) and
/// kept in wsh's cache, the next build loads it in a fraction of a second.
fn load_or_compile(engine: &Engine, wasm: &[u8]) -> Result<Module> {
    let Some(dir) = crate::runtime::compile_cache::root().map(|d| d.join("ruby-preinit")) else {
        return Module::new(engine, wasm).map_err(anyhow::Error::from);
    };
    let mut key = blake3::Hasher::new();
    key.update(wasm);
    key.update(&engine_key(engine).to_le_bytes());
    let path = dir.join(format!("{}.cwasm", &key.finalize().to_hex()[..32]));
    if path.is_file() {
        crate::runtime::cache_prune::touch_path(&path);
        // SAFETY: written below by `precompile_module` of an engine with the same compatibility
        // hash (part of the file name), into wsh's own cache directory.
        match unsafe { Module::deserialize_file(engine, &path) } {
            Ok(module) => return Ok(module),
            Err(e) => eprintln!("preinit-ruby: ignoring unreadable {}: {e}", path.display()),
        }
    }
    let compiled = engine.precompile_module(wasm).map_err(anyhow::Error::from).context("compiling ruby.wasm")?;
    if let Err(e) = write_atomically(&dir, &path, &compiled) {
        eprintln!("preinit-ruby: cannot cache the compiled module: {e:#}");
    }
    // SAFETY: `compiled` was just produced by this engine.
    unsafe { Module::deserialize(engine, &compiled) }.map_err(anyhow::Error::from)
}

/// The engine's settings that change generated code (and wasmtime's version), hashed.
fn engine_key(engine: &Engine) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    h.finish()
}

/// Concurrent builds may compile at once: each writes its own file and renames it into place.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp: PathBuf = dir.join(format!(".{}.{}.tmp", std::process::id(), rand::random::<u64>()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))
}

fn linker(engine: &Engine, module: &Module) -> Result<Linker<WasiP1Ctx>> {
    let mut linker: Linker<WasiP1Ctx> = Linker::new(engine);
    p1::add_to_linker_async(&mut linker, |cx| cx).map_err(anyhow::Error::from)?;
    let resource_intrinsics = format!("[export]{GUEST}");
    for import in module.imports() {
        let (module, name) = (import.module(), import.name());
        let Some(ty) = import.ty().func().cloned() else { continue };
        if module == JS_HOST {
            if name.starts_with("[resource-drop]") {
                linker.func_new(module, name, ty, |_, _, _| Ok(())).map_err(anyhow::Error::from)?;
            } else {
                let what = format!("{module}#{name}");
                linker
                    .func_new(module, name, ty, move |_, _, _| {
                        Err(wasmtime::format_err!("{what} was called while loading (`require \"js\"` at load time?)"))
                    })
                    .map_err(anyhow::Error::from)?;
            }
        } else if module == resource_intrinsics {
            // `[resource-new]` and `[resource-rep]`: nothing here keeps a handle past one call.
            linker
                .func_new(module, name, ty, |_, params, results| {
                    results[0] = params[0];
                    Ok(())
                })
                .map_err(anyhow::Error::from)?;
        }
    }
    Ok(linker)
}

/// The running module, and the calls into its canonical-ABI exports that preinit needs.
struct Vm {
    store: Store<WasiP1Ctx>,
    instance: Instance,
}

impl Vm {
    async fn boot(&mut self) -> Result<()> {
        self.call::<(), ()>("_initialize", ()).await?;
        // ruby-init(args: list<string>): a list of (pointer, length) pairs.
        let mut list = Vec::new();
        for arg in RUBY_ARGS {
            let (ptr, len) = self.alloc(arg.as_bytes()).await?;
            list.extend_from_slice(&ptr.to_le_bytes());
            list.extend_from_slice(&len.to_le_bytes());
        }
        let (list_ptr, _) = self.alloc(&list).await?;
        self.call::<(i32, i32), ()>(&format!("{GUEST}#ruby-init"), (list_ptr, RUBY_ARGS.len() as i32)).await?;
        self.call::<(), ()>(&format!("{GUEST}#ruby-init-loadpath"), ()).await
    }

    /// Evaluates `code`: `None` when its value is not a String or is empty, else `Some` of it
    /// (the boot script answers its errors so); an exception that escapes is reported with
    /// Ruby's `full_message`.
    async fn eval(&mut self, code: &str) -> Result<Option<String>> {
        let wrapped = format!(
            "begin\n__wsh_value = begin\n{code}\nend\n__wsh_value.is_a?(String) ? __wsh_value : \"\"\n\
             rescue Exception => e\ne.full_message(highlight: false)\nensure\n$stdout.flush\n$stderr.flush\nend"
        );
        let (ptr, len) = self.alloc(wrapped.as_bytes()).await?;
        // Returns a pointer to (handle, state).
        let ret = self.call::<(i32, i32), i32>(&format!("{GUEST}#rb-eval-string-protect"), (ptr, len)).await?;
        let [handle, state] = self.read_pair(ret)?;
        if state != 0 {
            bail!("Ruby could not evaluate the boot script (state {state})");
        }
        let ret = self.call::<i32, i32>(&format!("{GUEST}#rstring-ptr"), handle as i32).await?;
        let [ptr, len] = self.read_pair(ret)?;
        let mut text = vec![0u8; len as usize];
        let memory = self.memory()?;
        memory.read(&self.store, ptr as usize, &mut text).context("reading a Ruby string")?;
        self.call::<i32, ()>(&format!("cabi_post_{GUEST}#rstring-ptr"), ret).await?;
        Ok(Some(String::from_utf8_lossy(&text).into_owned()).filter(|t| !t.is_empty()))
    }

    async fn alloc(&mut self, bytes: &[u8]) -> Result<(i32, i32)> {
        let len = i32::try_from(bytes.len()).context("too large for wasm32")?;
        let ptr = self.call::<(i32, i32, i32, i32), i32>("cabi_realloc", (0, 0, 1, len)).await?;
        let memory = self.memory()?;
        memory.write(&mut self.store, ptr as usize, bytes).context("writing into the module's memory")?;
        Ok((ptr, len))
    }

    fn read_pair(&mut self, at: i32) -> Result<[u32; 2]> {
        let mut buf = [0u8; 8];
        let memory = self.memory()?;
        memory.read(&self.store, at as usize, &mut buf).context("reading a return area")?;
        Ok([u32::from_le_bytes(buf[..4].try_into()?), u32::from_le_bytes(buf[4..].try_into()?)])
    }

    fn memory(&mut self) -> Result<wasmtime::Memory> {
        self.instance.get_memory(&mut self.store, "memory").context("ruby.wasm exports no memory")
    }

    async fn call<P, R>(&mut self, name: &str, params: P) -> Result<R>
    where
        P: wasmtime::WasmParams + Sync,
        R: wasmtime::WasmResults + Sync,
    {
        let f = self.instance.get_typed_func::<P, R>(&mut self.store, name).map_err(anyhow::Error::from)?;
        f.call_async(&mut self.store, params)
            .await
            .map_err(anyhow::Error::from)
            .with_context(|| format!("calling {name}"))
    }
}

impl InstanceState for Vm {
    async fn global_get(&mut self, name: &str, _: ValType) -> SnapshotVal {
        let global = self.instance.get_global(&mut self.store, name).expect("wizer names an exported global");
        match global.get(&mut self.store) {
            Val::I32(x) => SnapshotVal::I32(x),
            Val::I64(x) => SnapshotVal::I64(x),
            Val::F32(x) => SnapshotVal::F32(x),
            Val::F64(x) => SnapshotVal::F64(x),
            Val::V128(x) => SnapshotVal::V128(x.as_u128()),
            other => panic!("wizer cannot snapshot a global holding {other:?}"),
        }
    }

    async fn memory_contents(&mut self, name: &str, contents: impl FnOnce(&[u8]) + Send) {
        let memory = self.instance.get_memory(&mut self.store, name).expect("wizer names an exported memory");
        contents(memory.data(&self.store))
    }
}
