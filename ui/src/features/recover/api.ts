// Jobs left half-done by a crash, and backups of the local store.

import { invokeCommand as invoke } from "../../shared/api.js";

export interface Job {
  _id: string;
  state: "running" | "interrupted" | "done" | "failed" | "rolled_back";
  event_id: string;
  label: string;
  work: { kind: "import" | "campaign" };
  started_at: string;
  error: string | null;
  written: number;
}

export interface BackupSummary {
  counts: Record<string, number>;
  documents: number;
  bytes: number;
}

export const recoverApi = {
  jobs: () => invoke<Job[]>("jobs_list"),
  resume: (id: string) => invoke<Record<string, number | boolean | string>>("jobs_resume", { id }),
  rollback: (id: string) => invoke<{ undone: number }>("jobs_rollback", { id }),
  backup: () => invoke<[string, BackupSummary] | null>("backup_create"),
};
