// Feedback questions / live polls and the analytics dashboard
// (commands in src-tauri/src/commands/feedback.rs and dashboard.rs).
import { channel, invokeCommand as invoke, type Language } from "../../shared/api.js";

// Types generated from the Rust types (ts-rs, `cargo test` refreshes ui/src/gen/).
import type { Dashboard } from "../../gen/Dashboard.js";
import type { LiveChange as Change } from "../../gen/LiveChange.js";
import type { OverviewRow } from "../../gen/OverviewRow.js";
import type { Question as GenQuestion } from "../../gen/Question.js";
import type { QuestionInput } from "../../gen/QuestionInput.js";
import type { QuestionStatus } from "../../gen/QuestionStatus.js";
import type { WatchInfo } from "../../gen/WatchInfo.js";
import type { Exported } from "../../gen/Exported.js";
import type { PollLink as Link } from "../../gen/PollLink.js";
export type { Exported } from "../../gen/Exported.js";
export type { PollLink as Link } from "../../gen/PollLink.js";
export type { QuestionKind } from "../../gen/QuestionKind.js";
export type { QuestionStatus } from "../../gen/QuestionStatus.js";
export type { Wording } from "../../gen/Wording.js";
export type { QuestionChoice as Choice } from "../../gen/QuestionChoice.js";
export type { QuestionInput } from "../../gen/QuestionInput.js";
export type { Funnel } from "../../gen/Funnel.js";
export type { SessionRow } from "../../gen/SessionRow.js";
export type { Nps } from "../../gen/Nps.js";
export type { Bucket } from "../../gen/Bucket.js";
export type { Distribution } from "../../gen/Distribution.js";
export type { TextAnswer } from "../../gen/TextAnswer.js";
export type { TimePoint } from "../../gen/TimePoint.js";
export type { Dashboard } from "../../gen/Dashboard.js";
export type { OverviewRow } from "../../gen/OverviewRow.js";
/** A live notification; with change streams it says what changed (see `dashboard::live`). */
export type { LiveChange as Change } from "../../gen/LiveChange.js";
/** A question, with its answer count when listed. */
export type Question = GenQuestion & { answers?: number };

/** Networking figures of an event (`networking::stats`). */
export type { NetworkingStats } from "../../gen/NetworkingStats.js";
import type { NetworkingStats } from "../../gen/NetworkingStats.js";

export const dashboardApi = {
  questions: (eventId: string) => invoke<Question[]>("feedback_list", { eventId }),
  createQuestion: (eventId: string, input: QuestionInput) => invoke<Question>("feedback_create", { eventId, input }),
  setStatus: (id: string, status: QuestionStatus) => invoke<Question>("feedback_set_status", { id, status }),
  updateQuestion: (id: string, version: number, input: QuestionInput) => invoke<Question>("feedback_update", { id, version, input }),
  deleteQuestion: (id: string) => invoke<null>("feedback_delete", { id }),
  link: (baseUrl: string, pollId: string | null, eventId: string | null) => invoke<Link>("feedback_link", { baseUrl, pollId, eventId }),
  get: (eventId: string, lang: Language) => invoke<Dashboard>("dashboard_get", { eventId, lang }),
  /** Update `prev` after notifications, recomputing only what they touched. */
  refresh: (prev: Dashboard, changes: Change[], lang: Language) => invoke<Dashboard>("dashboard_refresh", { prev, changes, lang }),
  overview: () => invoke<OverviewRow[]>("dashboard_overview"),
  watch: (eventId: string, onChange: (c: Change) => void) => invoke<WatchInfo>("dashboard_watch", { eventId, onChange: channel(onChange) }),
  unwatch: (id: number) => invoke<boolean>("dashboard_unwatch", { id }),
  networking: (eventId: string) => invoke<NetworkingStats>("networking_stats", { eventId }),
  exportNetworking: (eventId: string) => invoke<Exported | null>("networking_export_csv", { eventId }),
  exportCsv: (eventId: string, lang: Language) => invoke<Exported | null>("dashboard_export_csv", { eventId, lang }),
  exportHtml: (eventId: string, html: string) => invoke<Exported | null>("dashboard_export_html", { eventId, html }),
};
