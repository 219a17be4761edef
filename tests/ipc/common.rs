//! The IPC test harness shared by the modules of `tests/ipc/`: the real command handlers behind
//! Tauri's mock runtime (no window), connected to a fresh database of the test's own.
#![allow(dead_code)]

use eventhub_app::{
    state::{ConnState, DbStatus},
    AppState,
};
use eventhub_core::testing::{cleanup, fresh_core};
use serde_json::Value;
use tauri::{
    ipc::{CallbackFn, InvokeBody},
    test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY},
    Manager, WebviewWindow, WebviewWindowBuilder,
};

pub struct Harness {
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    pub core: eventhub_core::Core,
}

/// A mock app whose connection is ready on a new database named after `test`.
pub fn harness(test: &str) -> Harness {
    let app = eventhub_app::builder(mock_builder())
        .build(mock_context(noop_assets()))
        .expect("mock app");
    let core = tauri::async_runtime::block_on(fresh_core(test));
    let state = app.state::<AppState>();
    tauri::async_runtime::block_on(state.set(
        Some(core.clone()),
        DbStatus {
            state: ConnState::Ready,
            source: None,
            server: Some(core.info().clone()),
            engine: None,
            error: None,
            health: None,
        },
    ));
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window");
    Harness {
        _app: app,
        window,
        core,
    }
}

impl Harness {
    /// Invoke a command as the UI does; `Err` holds the `{code, message, field}` value.
    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke(&self.window, cmd, args)
    }

    /// Run a future on Tauri's runtime (core calls in a test).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        tauri::async_runtime::block_on(f)
    }

    /// Drop the test's database.
    pub fn done(self) {
        tauri::async_runtime::block_on(cleanup(&self.core)).unwrap();
    }
}

/// The IPC tests share one process: a test that points the file-dialog hooks
/// (`EVENTHUB_E2E_*` variables) somewhere holds this lock for its whole run, so no other
/// test sees its variables.
pub fn env_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Invoke a command on `window` as the UI does; `Err` holds the `{code, message, field}`
/// value.
pub fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        tauri::webview::InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().expect("JSON response"))
}

/// A mock app with its window and no connection yet: the state of the app at start-up.
pub fn unconnected_app() -> (tauri::App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = eventhub_app::builder(mock_builder())
        .build(mock_context(noop_assets()))
        .expect("mock app");
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window");
    (app, window)
}
