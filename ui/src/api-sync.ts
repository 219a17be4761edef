// Sync with a remote MongoDB (commands in src-tauri/src/commands/sync.rs).
import { channel, invokeCommand as invoke } from "./api.js";

export interface SyncStatus {
  remote: string | null;
  stored: "keychain" | "session" | "none";
  conflicts: number;
  /** Local changes since the last sync. */
  pending: number;
  /** Whether the remote answered (null when none is configured). */
  online: boolean | null;
  running: boolean;
  last_sync: string | null;
  /** Automatic sync when the remote is reachable (opt-in) and its last outcome. */
  auto: { enabled: boolean; last_run: string | null; last_result: string | null };
}

export interface CollectionReport {
  collection: string;
  pushed: number;
  pulled: number;
  merged: number;
  conflicts: number;
  unchanged: number;
  /** Unchanged on both sides since a pass that moved nothing: not read. */
  skipped: boolean;
  /** Written by the app while the sync ran: compared again next pass. */
  deferred: number;
  /** Copies of the same thing created apart, merged into one. */
  duplicates: MergedDuplicate[];
  /** Documents that could not be applied (tried again next pass). */
  failures: DocFailure[];
}

export interface MergedDuplicate {
  collection: string;
  survivor: string;
  merged: string;
  label: string;
}

export interface DocFailure {
  collection: string;
  id: string;
  code: "validation" | "duplicate" | "internal" | string;
  reason: string;
}

export interface SyncReport {
  dry_run: boolean;
  collections: CollectionReport[];
  cancelled: boolean;
  /** Steps after the collections (erasures, seat counts) that could not be done. */
  failures: DocFailure[];
}

export interface SyncProgress {
  collection: string;
  done: number;
  total: number;
}

export interface FieldConflict {
  field: string;
  base: unknown;
  local: unknown;
  remote: unknown;
}

export interface Conflict {
  _id: string;
  collection: string;
  doc_id: string;
  label: string;
  fields: FieldConflict[];
  local_by: string;
  remote_by: string;
  detected_at: string;
  /** Two copies merged into doc_id: the other copy's id (its values are `remote`). */
  merged_from?: string | null;
}

export const syncApi = {
  status: () => invoke<SyncStatus>("sync_status"),
  setRemote: (uri: string) => invoke<"keychain" | "session">("sync_set_remote", { uri }),
  run: (dryRun: boolean, onProgress: (p: SyncProgress) => void) => invoke<SyncReport>("sync_run", { dryRun, onProgress: channel(onProgress) }),
  cancel: () => invoke<null>("sync_cancel"),
  setAuto: (enabled: boolean) => invoke<null>("sync_set_auto", { enabled }),
  conflicts: () => invoke<Conflict[]>("sync_conflicts"),
  resolve: (id: string, choices: Record<string, "local" | "remote">) => invoke<null>("sync_resolve", { id, choices }),
};
