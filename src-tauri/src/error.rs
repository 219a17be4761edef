//! What the UI receives when a command fails: `{code, message, field?}`. The UI branches
//! on `code` (see `eventhub_core::Code`), never on the message text.

use eventhub_core::{Code, Error};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct CmdError(Error);

pub type CmdResult<T> = Result<T, CmdError>;

impl From<Error> for CmdError {
    fn from(e: Error) -> Self {
        CmdError(e)
    }
}

impl From<tauri_plugin_store::Error> for CmdError {
    fn from(e: tauri_plugin_store::Error) -> Self {
        CmdError(Error::new(Code::Internal, format!("settings store: {e}")))
    }
}

impl From<tauri::Error> for CmdError {
    fn from(e: tauri::Error) -> Self {
        CmdError(Error::internal(e.to_string()))
    }
}
