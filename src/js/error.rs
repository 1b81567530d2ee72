//! Errors crossing into JavaScript: every failure becomes a JS `Error` whose `message` says what
//! went wrong and whose `code` is the stable code of [`crate::db::Error`].

use wasm_bindgen::JsValue;

/// The JS `Error` for a database error.
pub fn to_js(error: &crate::db::Error) -> JsValue {
    coded(error.code(), error.message())
}

/// A JS `Error` with `code` set.
pub fn coded(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("CambiumError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}
