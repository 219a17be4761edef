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
import type { Erasure } from "../../gen/Erasure.js";
import type { ImportOptions } from "../../gen/ImportOptions.js";
import type { ImportPreview as Preview } from "../../gen/ImportPreview.js";
import type { ImportProgress as Progress } from "../../gen/ImportProgress.js";
import type { ImportReport } from "../../gen/ImportReport.js";
import type { MergeReport } from "../../gen/MergeReport.js";
import type { SeatingOverview } from "../../gen/SeatingOverview.js";
import type { SeatingAutoReport } from "../../gen/SeatingAutoReport.js";
import type { Target } from "../../gen/Target.js";
import type { ParticipantsExported } from "../../gen/ParticipantsExported.js";
import type { ParticipantBadge } from "../../gen/ParticipantBadge.js";
export type { ParticipantBadge } from "../../gen/ParticipantBadge.js";
export type { Erasure } from "../../gen/Erasure.js";
export type { MergeReport } from "../../gen/MergeReport.js";
export type { Seated } from "../../gen/Seated.js";
export type { SeatView } from "../../gen/SeatView.js";
export type { PlanView } from "../../gen/PlanView.js";
export type { SeatWarning } from "../../gen/SeatWarning.js";
export type { SeatingOverview } from "../../gen/SeatingOverview.js";
export type { SeatingAutoReport } from "../../gen/SeatingAutoReport.js";
export type { Target } from "../../gen/Target.js";
export type { ImportPreview as Preview } from "../../gen/ImportPreview.js";
export type { ImportOptions } from "../../gen/ImportOptions.js";
export type { RowErrorKind } from "../../gen/RowErrorKind.js";
export type { RowError } from "../../gen/RowError.js";
export type { ImportReport } from "../../gen/ImportReport.js";
export type { ImportProgress as Progress } from "../../gen/ImportProgress.js";
export const RSVP_STATUSES: RsvpStatus[] = ["invited", "accepted", "tentative", "waitlisted", "checked_in", "declined", "cancelled"];

export const TARGETS: Target[] = ["name", "first_name", "last_name", "email", "company", "role", "phone", "custom", "ignore"];



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
  badge: (id: string) => invoke<ParticipantBadge>("participants_badge", { id }),
  update: (id: string, version: number, input: ParticipantInput) => invoke<Participant>("participants_update", { id, version, input }),
  delete: (id: string, version: number | null) => invoke<null>("participants_delete", { id, version }),
  erase: (id: string) => invoke<Erasure>("participants_erase", { id }),
  merge: (keep: string, other: string) => invoke<MergeReport>("participants_merge", { keep, other }),
  seating: (eventId: string) => invoke<SeatingOverview>("participants_seating", { eventId }),
  assignSeat: (id: string, planId: string, label: string) => invoke<Participant>("participants_assign_seat", { id, planId, label }),
  unassignSeat: (id: string) => invoke<Participant>("participants_unassign_seat", { id }),
  autoSeat: (eventId: string, planId: string, by: "company" | "name") => invoke<SeatingAutoReport>("participants_auto_seat", { eventId, planId, by }),
  audit: (id: string) => invoke<AuditEntry[]>("participants_audit", { id }),
  create: (eventId: string, input: Pick<ParticipantInput, "name" | "email"> & Partial<ParticipantInput>) =>
    invoke<Participant>("participants_create", { eventId, input }),
  export: (eventId: string, query: ParticipantQuery, lang: string) =>
    invoke<ParticipantsExported | null>("participants_export", { eventId, query: clean(query), lang }),
};
