// Jobs left half-done by a crash, and backups of the local store.

import { invokeCommand as invoke } from "../../shared/api.js";

// Types generated from the Rust types (ts-rs, `cargo test` refreshes ui/src/gen/).
import type { BackupSummary } from "../../gen/BackupSummary.js";
import type { Job } from "../../gen/Job.js";
import type { JobResumed } from "../../gen/JobResumed.js";
import type { RolledBack } from "../../gen/RolledBack.js";
export type { Job } from "../../gen/Job.js";
export type { JobResumed } from "../../gen/JobResumed.js";
export type { RolledBack } from "../../gen/RolledBack.js";
export type { BackupSummary } from "../../gen/BackupSummary.js";

export const recoverApi = {
  jobs: () => invoke<Job[]>("jobs_list"),
  resume: (id: string) => invoke<JobResumed>("jobs_resume", { id }),
  rollback: (id: string) => invoke<RolledBack>("jobs_rollback", { id }),
  backup: () => invoke<[string, BackupSummary] | null>("backup_create"),
};
