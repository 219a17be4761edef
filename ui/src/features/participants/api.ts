// Typed wrappers over the participants commands (see src-tauri/src/commands/participants.rs).

import { channel, invokeCommand as invoke } from "../../shared/api.js";

// Types generated from the Rust types (ts-rs, `cargo test` refreshes ui/src/gen/).
import type { RsvpStatus } from "../../gen/RsvpStatus.js";
import type { Participant } from "../../gen/Participant.js";
import type { ParticipantInput } from "../../gen/ParticipantInput.js";
import type { ParticipantPage } from "../../gen/ParticipantPage.js";
import type { ParticipantQuery } from "../../gen/ParticipantQuery.js";
export type { RsvpStatus } from "../../gen/RsvpStatus.js";
export type { Participant } from "../../gen/Participant.js";
export type { SeatRef } from "../../gen/SeatRef.js";
export type { ParticipantInput } from "../../gen/ParticipantInput.js";
export type { ParticipantStatusCount as StatusCount } from "../../gen/ParticipantStatusCount.js";
export type { Capacity } from "../../gen/Capacity.js";
export type { ParticipantPage } from "../../gen/ParticipantPage.js";
export type { ParticipantQuery } from "../../gen/ParticipantQuery.js";
export type { AuditEntry } from "../../gen/AuditEntry.js";
import type { AuditEntry } from "../../gen/AuditEntry.js";
export const RSVP_STATUSES: RsvpStatus[] = ["invited", "accepted", "tentative", "waitlisted", "checked_in", "declined", "cancelled"];

export type Target = "name" | "first_name" | "last_name" | "email" | "company" | "role" | "phone" | "custom" | "ignore";
export const TARGETS: Target[] = ["name", "first_name", "last_name", "email", "company", "role", "phone", "custom", "ignore"];

export interface Erasure {
  profiles: number;
  connections: number;
  meetings: number;
  feedback_answers: number;
  transactional: boolean;
}

export interface MergeReport {
  participant: Participant;
  answers_moved: number;
  answers_dropped: number;
  connections_moved: number;
  connections_dropped: number;
  meetings_moved: number;
  meetings_dropped: number;
  profile_moved: boolean;
}

export interface Seated {
  id: string;
  name: string;
  email: string;
  company: string;
  status: RsvpStatus;
}

export interface SeatView {
  label: string;
  blocked: boolean;
  participant: Seated | null;
}

export interface PlanView {
  plan: { id: string; room: string; layout: { kind: "grid"; rows: number; seats_per_row: number } | { kind: "tables"; tables: number; seats_per_table: number }; blocked: string[] };
  seats: SeatView[];
  capacity: number;
  assigned: number;
  free: number;
}

export type SeatWarningCode = "plan_under_capacity" | "attendees_over_seats" | "seat_blocked" | "seat_missing";

export interface SeatWarning {
  code: SeatWarningCode;
  params: Record<string, string | number>;
}

export interface SeatingOverview {
  plans: PlanView[];
  unseated: Seated[];
  seatable: number;
  attendees: number;
  capacity: number | null;
  warnings: SeatWarning[];
}

export interface Preview {
  file: string;
  encoding: string;
  separator: string;
  headers: string[];
  rows: string[][];
  total_rows: number;
  mapping: Target[];
}

export interface ImportOptions {
  encoding?: string | null;
  separator?: string | null;
  mapping?: Target[] | null;
}

export type RowErrorKind = "invalid_email" | "missing_column" | "duplicate_in_file" | "already_in_event" | "invalid_value";

export interface RowError {
  line: number;
  kind: RowErrorKind;
  reason: string;
  email: string;
}

export interface ImportReport {
  import_id: string;
  file: string;
  encoding: string;
  separator: string;
  rows: number;
  imported: number;
  rejected: number;
  /** Rows whose e-mail was already in the event (not counted as rejected). */
  already_present: number;
  errors: RowError[];
  cancelled: boolean;
  duration_ms: number;
}

export interface Progress {
  phase: "checking" | "writing" | "rolling_back" | "done";
  done: number;
  total: number;
}

function clean(q: ParticipantQuery): ParticipantQuery {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === "") continue;
    out[k] = v;
  }
  return out as ParticipantQuery;
}

export const papi = {
  pickFile: () => invoke<string | null>("participants_pick_file"),
  inspect: (path: string, options: ImportOptions | null) => invoke<Preview>("participants_inspect", { path, options }),
  import: (eventId: string, path: string, options: ImportOptions, onProgress: (p: Progress) => void) =>
    invoke<ImportReport>("participants_import", { eventId, path, options, onProgress: channel(onProgress) }),
  cancelImport: () => invoke<null>("participants_import_cancel"),
  list: (eventId: string, query: ParticipantQuery) => invoke<ParticipantPage>("participants_list", { eventId, query: clean(query) }),
  setStatus: (id: string, version: number | null, status: RsvpStatus) => invoke<Participant>("participants_set_status", { id, version, status }),
  checkIn: (id: string) => invoke<Participant>("participants_check_in", { id }),
  joinSession: (id: string, sessionId: string) => invoke<Participant>("participants_join_session", { id, sessionId }),
  leaveSession: (id: string, sessionId: string) => invoke<Participant>("participants_leave_session", { id, sessionId }),
  checkInCode: (eventId: string, code: string) => invoke<Participant>("participants_check_in_code", { eventId, code }),
  badge: (id: string) => invoke<{ code: string; qr_svg: string; seat: string | null }>("participants_badge", { id }),
  update: (id: string, version: number, input: ParticipantInput) => invoke<Participant>("participants_update", { id, version, input }),
  delete: (id: string, version: number | null) => invoke<null>("participants_delete", { id, version }),
  erase: (id: string) => invoke<Erasure>("participants_erase", { id }),
  merge: (keep: string, other: string) => invoke<MergeReport>("participants_merge", { keep, other }),
  seating: (eventId: string) => invoke<SeatingOverview>("participants_seating", { eventId }),
  assignSeat: (id: string, planId: string, label: string) => invoke<Participant>("participants_assign_seat", { id, planId, label }),
  unassignSeat: (id: string) => invoke<Participant>("participants_unassign_seat", { id }),
  autoSeat: (eventId: string, planId: string, by: "company" | "name") => invoke<{ assigned: number; left: number }>("participants_auto_seat", { eventId, planId, by }),
  audit: (id: string) => invoke<AuditEntry[]>("participants_audit", { id }),
  create: (eventId: string, input: { name: string; email: string; company?: string; role?: string; phone?: string }) =>
    invoke<Participant>("participants_create", { eventId, input }),
  export: (eventId: string, query: ParticipantQuery, lang: string) =>
    invoke<{ path: string; count: number } | null>("participants_export", { eventId, query: clean(query), lang }),
};
