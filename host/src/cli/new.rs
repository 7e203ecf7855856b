//! `wsh new`: a ready app in a new folder, from the examples in `guest-examples/` (and the
//! few files of `host/templates/` that turn one into an app of its own), carried inside the
//! binary.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::app::sdk;
use crate::embedded::{self, TEMPLATES};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Js,
    Python,
    Ruby,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    /// A socket that echoes each message, and a page at / to try it
    Echo,
    /// Chat rooms (rooms, key-value store, a page at /)
    Chat,
}

pub struct NewOptions {
    pub dir: PathBuf,
    pub lang: Lang,
    pub template: Template,
}

/// A folder of the embedded tree, and where its files go in the new app.
struct Part {
    from: &'static str,
    to: &'static str,
}

const fn part(from: &'static str, to: &'static str) -> Part {
    Part { from, to }
}

pub fn new(opts: NewOptions) -> Result<()> {
    let NewOptions { dir, lang, template } = opts;
    refuse_non_empty(&dir)?;
    let parts: &[Part] = match (template, lang) {
        (Template::Echo, lang) => {
            let handlers = match lang {
                Lang::Js => part("guest-examples/echo-js/src", "src"),
                Lang::Python => part("guest-examples/echo-py/src", "src"),
                Lang::Ruby => part("guest-examples/echo-rb/src", "src"),
                Lang::Rust => part("guest-examples/echo/src/ws/default", "src/ws/default"),
            };
            &[part("host/templates/echo", ""), part("guest-examples/echo/public", "public"), handlers]
        }
        (Template::Chat, Lang::Js) => &[part("guest-examples/chat-js", "")],
        (Template::Chat, Lang::Python) => &[part("guest-examples/chat-py", "")],
        (Template::Chat, Lang::Rust) => &[part("guest-examples/chat", "")],
        (Template::Chat, Lang::Ruby) => bail!("there is no chat template in Ruby yet: try --lang js, python or rust"),
    };
    let mut wrote = 0;
    for Part { from, to } in parts {
        for (rel, file) in embedded::under(TEMPLATES, from) {
            embedded::write(&dir.join(to).join(rel), file)?;
            wrote += 1;
        }
    }
    let gitignore =
        TEMPLATES.iter().find(|f| f.path == "host/templates/gitignore").context("no .gitignore template")?;
    embedded::write(&dir.join(".gitignore"), gitignore)?;
    if lang == Lang::Rust {
        let members: &[&str] = match template {
            Template::Echo => &["src/ws/*"],
            Template::Chat => &["src/ws/*", "src/http/*", "src/shared"],
        };
        write_workspace(&dir, members)?;
    }
    println!("wrote {} files to {}", wrote + 1 + usize::from(lang == Lang::Rust), dir.display());
    println!("next: cd {} && wsh serve, then open http://localhost:3333", dir.display());
    Ok(())
}

/// A file already there could be someone's work: only a new or empty folder is written to.
fn refuse_non_empty(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir).map(|mut entries| entries.next().is_some()) {
        Ok(true) => {
            let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
            bail!("{} is not empty: wsh new writes a new app only into a new or empty folder", dir.display())
        }
        Ok(false) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("reading {}", dir.display())),
    }
}

/// The handlers' workspace, whose `wsh-sdk` is a path to the Rust SDK this wsh uses (unpacked
/// into the cache when wsh is installed): it builds with no checkout and no registry release.
fn write_workspace(dir: &Path, members: &[&str]) -> Result<()> {
    let template =
        TEMPLATES.iter().find(|f| f.path == "host/templates/rust/Cargo.toml").context("no Cargo.toml template")?;
    let sdk = sdk::dir()?;
    let sdk = std::fs::canonicalize(&sdk).with_context(|| format!("locating the Rust SDK in {}", sdk.display()))?;
    let sdk = sdk.to_str().context("the SDK's path is not UTF-8")?;
    // JSON strings and arrays of them are TOML too.
    let text = String::from_utf8_lossy(template.bytes)
        .replace("{{MEMBERS}}", &serde_json::to_string(members)?)
        .replace("{{SDK}}", &serde_json::to_string(sdk)?);
    let path = dir.join("Cargo.toml");
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn writes_an_echo_app_and_refuses_a_non_empty_folder() {
        let dir = std::env::temp_dir().join(format!("wsh-new-{}", crate::ids::new_id()));
        new(NewOptions { dir: dir.clone(), lang: Lang::Python, template: Template::Echo }).unwrap();
        assert_eq!(
            files(&dir),
            [".gitignore", "app.arc", "public/index.html", "public/index.mjs", "src/ws/default/app.py"]
        );
        let again = new(NewOptions { dir: dir.clone(), lang: Lang::Js, template: Template::Echo });
        let message = format!("{:#}", again.unwrap_err());
        assert!(message.contains(&dir.display().to_string()) && message.contains("not empty"), "{message}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
