// Sync with a remote MongoDB (commands in src-tauri/src/commands/sync.rs).
import { channel, invokeCommand as invoke } from "../../shared/api.js";

// Types generated from the Rust types (ts-rs, `cargo test` refreshes ui/src/gen/).
import type { Choice } from "../../gen/Choice.js";
import type { Conflict } from "../../gen/Conflict.js";
import type { SyncProgress } from "../../gen/SyncProgress.js";
import type { SyncReport } from "../../gen/SyncReport.js";
import type { SyncStatus } from "../../gen/SyncStatus.js";
export type { AutoResult } from "../../gen/AutoResult.js";
export type { CollectionReport } from "../../gen/CollectionReport.js";
export type { Conflict } from "../../gen/Conflict.js";
export type { DocFailure } from "../../gen/DocFailure.js";
export type { FieldConflict } from "../../gen/FieldConflict.js";
export type { MergedDuplicate } from "../../gen/MergedDuplicate.js";
export type { SyncProgress } from "../../gen/SyncProgress.js";
export type { SyncReport } from "../../gen/SyncReport.js";
export type { SyncStatus } from "../../gen/SyncStatus.js";

export const syncApi = {
  status: () => invoke<SyncStatus>("sync_status"),
  setRemote: (uri: string) => invoke<Exclude<SyncStatus["stored"], "none">>("sync_set_remote", { uri }),
  run: (dryRun: boolean, onProgress: (p: SyncProgress) => void) => invoke<SyncReport>("sync_run", { dryRun, onProgress: channel(onProgress) }),
  cancel: () => invoke<null>("sync_cancel"),
  setAuto: (enabled: boolean) => invoke<null>("sync_set_auto", { enabled }),
  conflicts: () => invoke<Conflict[]>("sync_conflicts"),
  resolve: (id: string, choices: Record<string, Choice>) => invoke<null>("sync_resolve", { id, choices }),
};
