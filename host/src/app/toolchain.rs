//! The JavaScript, Python and Ruby toolchains that handler builds run, installed beside their
//! SDK on a language's first build (what `make setup` does in the source tree): `npm ci` from
//! the SDK's lockfile, a venv with the SDK's pinned `requirements.txt`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::layout::Source;
use crate::progress::Step;

/// What runs a language's build: its SDK folder, the program, and the script it runs.
pub(crate) struct Toolchain {
    pub(crate) dir: PathBuf,
    pub(crate) program: PathBuf,
    pub(crate) script: PathBuf,
}

/// The toolchain for `source`'s language under the SDK folder `sdk`, installed first if it is
/// not there.
pub(crate) async fn ensure(source: &Source, sdk: &Path) -> Result<Toolchain> {
    let (name, lang, npm, venv) = match source {
        Source::Js(_) => ("JavaScript", "js", true, None),
        Source::Ruby(_) => ("Ruby", "ruby", true, Some("wasm-tools")),
        _ => ("Python", "python", false, Some("componentize-py")),
    };
    let dir = sdk.join(lang);
    let python = dir.join(".venv").join("bin").join("python");
    let toolchain = match source {
        Source::Js(_) => Toolchain { dir: dir.clone(), program: "node".into(), script: dir.join("build.mjs") },
        _ => Toolchain { dir: dir.clone(), program: python, script: dir.join("build.py") },
    };
    if !ready(&dir, npm, venv) {
        tokio::task::spawn_blocking(move || install(name, &dir, npm, venv))
            .await
            .context("installing a toolchain")??;
    }
    Ok(toolchain)
}

/// Whether the last file each install writes is there (`make setup`'s targets): npm's
/// `.package-lock.json`, and the venv's `tool` (which `make setup` touches once pip is done).
fn ready(dir: &Path, npm: bool, venv: Option<&str>) -> bool {
    (!npm || dir.join("node_modules").join(".package-lock.json").is_file())
        && venv.is_none_or(|tool| dir.join(".venv").join("bin").join(tool).is_file())
}

/// Blocking. One install at a time per SDK folder, across processes: a lock file, and the check
/// again once it is held.
fn install(name: &str, dir: &Path, npm: bool, venv: Option<&str>) -> Result<()> {
    let lock_path = dir.join(".wsh-install.lock");
    let lock = std::fs::File::create(&lock_path).with_context(|| format!("creating {}", lock_path.display()))?;
    lock.lock().with_context(|| format!("locking {}", lock_path.display()))?;
    if npm && !ready(dir, true, None) {
        let step = Step::start(format!("installing the {name} toolchain (npm ci) into {}", dir.display()));
        let mut npm = Command::new("npm");
        npm.args(["ci", "--no-audit", "--no-fund"]).current_dir(dir);
        finish(step, run(npm, "install Node.js, with npm"))?;
    }
    if let Some(tool) = venv
        && !ready(dir, false, venv)
    {
        let venv = dir.join(".venv");
        let step =
            Step::start(format!("installing the {name} toolchain (a venv, pip install) into {}", venv.display()));
        let mut create = Command::new("python3");
        create.args(["-m", "venv", "--clear"]).arg(&venv);
        let mut pip = Command::new(venv.join("bin").join("pip"));
        pip.args(["install", "-q", "-r"]).arg(dir.join("requirements.txt"));
        // `--clear`: a venv left half-installed by an interrupted run starts over.
        let installed = run(create, "install Python 3, with its venv module")
            .and_then(|()| run(pip, "the venv has no pip: install Python 3's venv module"))
            .and_then(|()| {
                let tool = venv.join("bin").join(tool);
                if tool.is_file() { Ok(()) } else { bail!("pip installed no {}", tool.display()) }
            });
        finish(step, installed)?;
    }
    Ok(())
}

fn finish(step: Step, result: Result<()>) -> Result<()> {
    match &result {
        Ok(()) => step.done(),
        Err(_) => step.failed(),
    }
    result
}

/// Runs `command` to completion; its output only shows when it fails. `hint` says what to
/// install when the program is missing.
fn run(mut command: Command, hint: &str) -> Result<()> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {program} ({hint}, to build these handlers)"))?;
    if !output.status.success() {
        bail!(
            "{program} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    Ok(())
}
