//! Settings commands through real IPC: the settings file and the logs folder are in the data
//! folder (`EVENTHUB_DATA_DIR` here), the logs button reports the folder it opens (written to
//! `EVENTHUB_E2E_OPEN_LOG` instead of opening a file manager), a bad language is refused.

use serde_json::json;

use crate::common::harness;

#[test]
fn settings_and_logs_live_in_the_data_folder() {
    let _env = crate::common::env_lock();
    let h = harness("ipc_settings");
    let data = tempfile::tempdir().unwrap();
    let opened = data.path().join("opened.txt");
    std::env::set_var("EVENTHUB_DATA_DIR", data.path());
    std::env::set_var("EVENTHUB_E2E_OPEN_LOG", &opened);

    let shown = h.call("settings_open_logs", json!({})).unwrap();
    let logs = data.path().join("logs");
    assert_eq!(shown.as_str(), Some(logs.to_str().unwrap()));
    assert!(logs.is_dir(), "the folder exists once asked for");
    assert_eq!(
        std::fs::read_to_string(&opened).unwrap().trim(),
        logs.to_str().unwrap()
    );

    h.call("settings_set_language", json!({"language": "en"}))
        .unwrap();
    let saved = std::fs::read_to_string(data.path().join("settings.json")).unwrap();
    assert!(saved.contains("\"en\""), "{saved}");
    let e = h
        .call("settings_set_language", json!({"language": "de"}))
        .unwrap_err();
    assert_eq!(e["field"], "language");
    let saved = std::fs::read_to_string(data.path().join("settings.json")).unwrap();
    assert!(
        !saved.contains("\"de\""),
        "nothing stored for a refused value: {saved}"
    );

    std::env::remove_var("EVENTHUB_DATA_DIR");
    std::env::remove_var("EVENTHUB_E2E_OPEN_LOG");
    h.done();
}
