//! What both entries share: calling the Ruby VM of the composed ruby.wasm. Included by each
//! entry crate (`#[path]`), whose bindings define `crate::ruby::legacy::guest`.
//!
//! The VM was booted, and the SDK and the handler's files loaded, at build time (`wsh internal
//! preinit-ruby` snapshotted it), so an event is one `rb-eval-string-protect` of
//! `Wsh.dispatch(...)` with the event as JSON, whose value is the answer as JSON.

use serde_json::Value;

use crate::ruby::legacy::guest as rb;

/// A Ruby single-quoted literal: only `\\` and `\'` are escapes in one.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The instance's environment (wsh sets `ARC_WSS_URL`), as JSON: the snapshot holds the build's
/// (empty) one, and the SDK replaces Ruby's `ENV` with this before calling the handler.
fn environment() -> String {
    let env: serde_json::Map<String, Value> = std::env::vars().map(|(k, v)| (k, Value::String(v))).collect();
    Value::Object(env).to_string()
}

/// Calls `Wsh.dispatch(kind, event, env)`; its answer is `{"ok": <response>}` or
/// `{"err": "<Class>: <message>"}` (the SDK has logged the backtrace).
pub fn dispatch(kind: &str, event: &Value) -> Result<Value, String> {
    let code = format!("Wsh.dispatch({}, {}, {})", literal(kind), literal(&event.to_string()), literal(&environment()));
    let (value, state) = rb::rb_eval_string_protect(&code);
    if state != 0 {
        // Wsh.dispatch rescues everything a handler raises: this is the SDK itself failing.
        return Err(format!("the Ruby SDK failed (state {state})"));
    }
    let out: Value =
        serde_json::from_str(&rb::rstring_ptr(value)).map_err(|e| format!("the Ruby SDK answered: {e}"))?;
    match out.get("err") {
        Some(e) => Err(e.as_str().unwrap_or("error").to_string()),
        None => Ok(out["ok"].clone()),
    }
}

/// `{k: v}` for WIT's `list<tuple<string, string>>`, as JSON.
pub fn pairs(p: &[(String, String)]) -> Value {
    Value::Object(p.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
}

/// `[[k, v], ...]` back into WIT's `list<tuple<string, string>>`.
pub fn tuples(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .map(|h| h.iter().filter_map(|p| Some((p[0].as_str()?.to_string(), p[1].as_str()?.to_string()))).collect())
        .unwrap_or_default()
}
