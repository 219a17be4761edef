// Feedback questions / live polls and the analytics dashboard
// (commands in src-tauri/src/commands/feedback.rs and dashboard.rs).
import { channel, invokeCommand as invoke, type Language } from "../../shared/api.js";

export type QuestionKind = "rating" | "nps" | "single" | "multiple" | "text";
export type QuestionStatus = "draft" | "open" | "closed";
export interface Wording { fr: string; en: string }
export interface Choice { id: string; label: Wording }
export interface QuestionInput {
  kind: QuestionKind;
  mode: "poll" | "survey";
  session_id?: string | null;
  label: Wording;
  choices: Choice[];
  required: boolean;
  anonymous: boolean;
}
export interface Question extends QuestionInput {
  _id: string;
  event_id: string;
  status: QuestionStatus;
  version: number;
  answers?: number;
}

export interface Funnel { invited: number; accepted: number; checked_in: number; declined: number; waitlisted: number; acceptance_rate: number; show_rate: number }
export interface SessionRow { session_id: string; title: string; capacity: number | null; attendees: number; fill_rate: number | null; avg_rating: number | null; ratings: number }
export interface Nps { promoters: number; passives: number; detractors: number; total: number; score: number }
export interface Bucket { value: string; label: string; count: number }
export interface Distribution { question_id: string; label: string; kind: QuestionKind; status: QuestionStatus; answers: number; average: number | null; buckets: Bucket[] }
export interface TextAnswer { question_id: string; question: string; text: string; at: string }
export interface TimePoint { at: string; answers: number; check_ins: number; connections: number; mentions: number }
export interface Dashboard {
  event_id: string; title: string; funnel: Funnel; sessions: SessionRow[]; nps: Nps; distributions: Distribution[]; texts: TextAnswer[];
  bucket: "minute" | "hour" | "day"; bucket_size: number; timeline: TimePoint[]; total_answers: number; respondents: number; counted_until: number | null; generated_at: string; took_ms: number;
}
export interface OverviewRow { event_id: string; title: string; starts_at: string; funnel: Funnel; answers: number; avg_rating: number | null; nps: number | null }
/** A live notification; with change streams it says what changed (see `dashboard::live`). */
export interface Change {
  mode: "change_stream" | "polling"; answers: number; participants: number; connections: number; mentions: number; full: boolean;
  questions: string[]; sessions: string[]; inserted: number; inserted_at: number[]; first_answers: Record<string, number>; since: string | null;
}
export interface Exported { path: string; bytes: number }
/** Networking figures of an event (`networking::stats`). */
export interface NetworkingStats {
  event_id: string; profiles_opted_in: number; requests_pending: number; connections_made: number; participants_connected: number;
  meetings_proposed: number; meetings_accepted: number; per_hour: { bucket: string; connections: number }[]; per_day: { bucket: string; connections: number }[];
  top_companies: { company: string; connections: number }[];
}
export interface Link { url: string; qr_svg: string }

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
  watch: (eventId: string, onChange: (c: Change) => void) => invoke<{ id: number; mode: Change["mode"] }>("dashboard_watch", { eventId, onChange: channel(onChange) }),
  unwatch: (id: number) => invoke<boolean>("dashboard_unwatch", { id }),
  networking: (eventId: string) => invoke<NetworkingStats>("networking_stats", { eventId }),
  exportNetworking: (eventId: string) => invoke<Exported | null>("networking_export_csv", { eventId }),
  exportCsv: (eventId: string, lang: Language) => invoke<Exported | null>("dashboard_export_csv", { eventId, lang }),
  exportHtml: (eventId: string, html: string) => invoke<Exported | null>("dashboard_export_html", { eventId, html }),
};
