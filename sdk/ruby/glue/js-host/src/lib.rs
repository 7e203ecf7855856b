//! Plays "JavaScript" for ruby.wasm inside a wsh handler.
//!
//! ruby.wasm's core module imports a JavaScript engine (`ruby:legacy/js-host`, its `js`
//! extension's FFI). There is no JavaScript in a wsh handler: this component implements just
//! enough of that interface for the extension to load (`JS.eval("return undefined")` and the
//! like), plus the one channel the Ruby SDK uses to reach the host: `JS.eval("wsh:" + json)`
//! performs one `wsh:handler/ws` call and answers with a JSON string, `{"ok": ...}` or
//! `{"err": "<ws-error>", "reason": ...}`. Everything else is a JavaScript failure, which Ruby
//! raises as `JS::Error`.

use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

wit_bindgen::generate!({
    inline: r#"
        package wsh:ruby-glue;

        world js-host-impl {
            import wsh:handler/ws@0.2.0;
            export ruby:legacy/js-host@0.1.0;
        }
    "#,
    // wsh's WIT (the repository's wit/), then ruby.wasm's.
    path: ["../../../../wit", "../../wit"],
    world: "wsh:ruby-glue/js-host-impl",
    generate_all,
});

use exports::ruby::legacy::js_host::{Guest, GuestJsAbiValue, JsAbiResult, JsAbiValue, JsAbiValueBorrow, RawInteger};
use wsh::handler::types::{Data, WsError};
use wsh::handler::ws;

/// Identities for the objects `JS.eval` can make (`{}`, `[]`).
static NEXT_OBJECT: AtomicU32 = AtomicU32::new(1);

/// A JavaScript value, as far as ruby.wasm's extension can observe one here.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    /// `{}`, `[]` and `globalThis`, by identity.
    Object {
        id: u32,
        array: bool,
    },
}

impl GuestJsAbiValue for Val {}

fn new(v: Val) -> JsAbiValue {
    JsAbiValue::new(v)
}

fn object(array: bool) -> Val {
    Val::Object { id: NEXT_OBJECT.fetch_add(1, Ordering::Relaxed), array }
}

/// JavaScript's `String(v)`.
fn js_string(v: &Val) -> String {
    match v {
        Val::Undefined => "undefined".into(),
        Val::Null => "null".into(),
        Val::Bool(b) => b.to_string(),
        Val::Num(n) if n.fract() == 0.0 && n.abs() < 1e21 => format!("{}", *n as i64),
        Val::Num(n) => n.to_string(),
        Val::Str(s) => s.clone(),
        Val::Object { array: true, .. } => String::new(),
        Val::Object { .. } => "[object Object]".into(),
    }
}

fn ws_error(e: WsError) -> Value {
    match e {
        WsError::Gone => json!({ "err": "gone" }),
        WsError::PayloadTooLarge => json!({ "err": "payload-too-large" }),
        WsError::SlowConsumer => json!({ "err": "slow-consumer" }),
        WsError::Unavailable(reason) => json!({ "err": "unavailable", "reason": reason }),
    }
}

fn text(req: &Value, key: &str) -> Result<String, String> {
    req[key].as_str().map(str::to_string).ok_or_else(|| format!("wsh call without a string {key:?}"))
}

/// One host call: `{"op": "send", "id": ..., "text": ...}` (or `"binary": <base64>`),
/// `{"op": "close", "id": ...}`, `{"op": "info", "id": ...}`.
fn wsh_call(req: &str) -> Result<Value, String> {
    let req: Value = serde_json::from_str(req).map_err(|e| format!("bad wsh call: {e}"))?;
    let id = text(&req, "id")?;
    let out = match req["op"].as_str() {
        Some("send") => {
            let data = match (req["text"].as_str(), req["binary"].as_str()) {
                (Some(t), _) => Data::Text(t.to_string()),
                (None, Some(b)) => Data::Binary(B64.decode(b).map_err(|e| e.to_string())?),
                (None, None) => return Err("send without text or binary".into()),
            };
            ws::send(&id, &data).map(|()| Value::Null)
        }
        Some("close") => ws::close(&id).map(|()| Value::Null),
        Some("info") => ws::info(&id).map(|i| {
            let mut identity = json!({ "sourceIp": i.identity.source_ip });
            if let Some(agent) = i.identity.user_agent {
                identity["userAgent"] = json!(agent);
            }
            json!({
                "connectionId": i.connection_id,
                "connectedAt": i.connected_at,
                "lastActiveAt": i.last_active_at,
                "identity": identity,
            })
        }),
        other => return Err(format!("unknown wsh call {other:?}")),
    };
    Ok(match out {
        Ok(v) => json!({ "ok": v }),
        Err(e) => ws_error(e),
    })
}

fn unsupported(what: &str) -> JsAbiResult {
    JsAbiResult::Failure(new(Val::Str(format!("{what}: there is no JavaScript in a wsh handler"))))
}

struct Host;

impl Guest for Host {
    type JsAbiValue = Val;

    fn throw_prohibit_rewind_exception(msg_ptr: u32, msg_len: u32) {
        panic!("ruby.wasm: prohibited rewind (message at {msg_ptr:#x}, {msg_len} bytes)");
    }

    fn eval_js(code: String) -> JsAbiResult {
        if let Some(req) = code.strip_prefix("wsh:") {
            return match wsh_call(req) {
                Ok(v) => JsAbiResult::Success(new(Val::Str(v.to_string()))),
                Err(e) => JsAbiResult::Failure(new(Val::Str(e))),
            };
        }
        // What ruby.wasm's own Ruby code evaluates.
        let v = match code.trim().trim_end_matches(';').trim() {
            "return undefined" => Val::Undefined,
            "return null" => Val::Null,
            "return true" => Val::Bool(true),
            "return false" => Val::Bool(false),
            "return {}" => object(false),
            "return []" => object(true),
            _ => return unsupported("JS.eval"),
        };
        JsAbiResult::Success(new(v))
    }

    fn is_js(_value: JsAbiValueBorrow<'_>) -> bool {
        true
    }

    fn instance_of(_value: JsAbiValueBorrow<'_>, _klass: JsAbiValueBorrow<'_>) -> bool {
        false
    }

    fn global_this() -> JsAbiValue {
        new(Val::Object { id: 0, array: false })
    }

    fn int_to_js_number(value: i32) -> JsAbiValue {
        new(Val::Num(value as f64))
    }

    fn float_to_js_number(value: f64) -> JsAbiValue {
        new(Val::Num(value))
    }

    fn string_to_js_string(value: String) -> JsAbiValue {
        new(Val::Str(value))
    }

    fn bool_to_js_bool(value: bool) -> JsAbiValue {
        new(Val::Bool(value))
    }

    fn proc_to_js_function(_value: u32) -> JsAbiValue {
        new(Val::Undefined)
    }

    fn rb_object_to_js_rb_value(_raw: u32) -> JsAbiValue {
        new(Val::Undefined)
    }

    fn js_value_to_string(value: JsAbiValueBorrow<'_>) -> String {
        js_string(value.get::<Val>())
    }

    fn js_value_to_integer(value: JsAbiValueBorrow<'_>) -> RawInteger {
        match value.get::<Val>() {
            Val::Num(n) => RawInteger::AsFloat(*n),
            Val::Bool(b) => RawInteger::AsFloat(if *b { 1.0 } else { 0.0 }),
            Val::Str(s) => RawInteger::Bignum(format!("{s}\0")),
            _ => RawInteger::AsFloat(0.0),
        }
    }

    fn export_js_value_to_host(_value: JsAbiValueBorrow<'_>) {}

    fn import_js_value_from_host() -> JsAbiValue {
        new(Val::Undefined)
    }

    fn js_value_typeof(value: JsAbiValueBorrow<'_>) -> String {
        match value.get::<Val>() {
            Val::Undefined => "undefined",
            Val::Bool(_) => "boolean",
            Val::Num(_) => "number",
            Val::Str(_) => "string",
            Val::Null | Val::Object { .. } => "object",
        }
        .into()
    }

    fn js_value_equal(lhs: JsAbiValueBorrow<'_>, rhs: JsAbiValueBorrow<'_>) -> bool {
        let (l, r) = (lhs.get::<Val>(), rhs.get::<Val>());
        matches!((l, r), (Val::Null | Val::Undefined, Val::Null | Val::Undefined)) || l == r
    }

    fn js_value_strictly_equal(lhs: JsAbiValueBorrow<'_>, rhs: JsAbiValueBorrow<'_>) -> bool {
        lhs.get::<Val>() == rhs.get::<Val>()
    }

    fn reflect_apply(
        _target: JsAbiValueBorrow<'_>,
        _this: JsAbiValueBorrow<'_>,
        _args: Vec<JsAbiValueBorrow<'_>>,
    ) -> JsAbiResult {
        unsupported("Reflect.apply")
    }

    fn reflect_get(_target: JsAbiValueBorrow<'_>, key: String) -> JsAbiResult {
        unsupported(&format!("reading property {key}"))
    }

    fn reflect_set(_target: JsAbiValueBorrow<'_>, key: String, _value: JsAbiValueBorrow<'_>) -> JsAbiResult {
        unsupported(&format!("setting property {key}"))
    }
}

export!(Host);
