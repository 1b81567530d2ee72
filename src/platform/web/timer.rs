//! Timers on the JS event loop that never keep a Node process alive: a program that is done
//! exits even while a retry or a watchdog waits. Pages and workers have no such notion, and
//! there the timers are plain `setTimeout`s.

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Calls `callback` after `ms` milliseconds; answers the timer, for `clearTimeout`, or `None`
/// where there is no `setTimeout`.
fn start(callback: &Function, ms: u32) -> Option<JsValue> {
    let global = js_sys::global();
    let set_timeout: Function =
        Reflect::get(&global, &"setTimeout".into()).ok()?.dyn_into().ok()?;
    let timer = set_timeout.call2(&global, callback, &ms.into()).ok()?;
    // Node's timers are objects with `unref`; the browsers' are numbers.
    let unref =
        Reflect::get(&timer, &"unref".into()).ok().and_then(|f| f.dyn_into::<Function>().ok());
    if let Some(unref) = unref {
        let _ = unref.call0(&timer);
    }
    Some(timer)
}

fn stop(timer: &JsValue) {
    let global = js_sys::global();
    let clear = Reflect::get(&global, &"clearTimeout".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    if let Some(clear) = clear {
        let _ = clear.call1(&global, timer);
    }
}

/// Resolves after `ms` milliseconds (at once where there are no timers).
pub async fn sleep(ms: u32) {
    let promise = Promise::new(&mut |resolve, _| {
        if start(&resolve, ms).is_none() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// What `promise` settles to, or `Ok(None)` when `ms` milliseconds pass first (the promise is
/// then left to settle unheard). A promise that resolves to `undefined` counts as late.
pub async fn within(promise: Promise, ms: u32) -> Result<Option<JsValue>, JsValue> {
    let mut timer = None;
    let late = Promise::new(&mut |resolve, _| timer = start(&resolve, ms));
    let outcome = JsFuture::from(Promise::race(&Array::of2(&promise, &late))).await;
    if let Some(timer) = &timer {
        stop(timer);
    }
    outcome.map(|value| Some(value).filter(|value| !value.is_undefined()))
}
