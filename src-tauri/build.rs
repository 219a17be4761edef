fn main() {
    // tauri.conf.json sits at the top level beside Cargo.toml; the capabilities stay in
    // the shell's own folder.
    tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("src-tauri/capabilities/**/*"),
    )
    .expect("tauri build script")
}
