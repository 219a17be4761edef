// Social: shared moments, imported and fetched posts, analysis and wall (commands in
// src-tauri/src/commands/social.rs).
import { channel, invokeCommand as invoke } from "../../shared/api.js";

export interface MomentInput {
  text: string;
  hashtags: string[];
  link?: string | null;
  photo_url?: string | null;
}

export interface Moment {
  text: string;
  hashtags: string[];
  link?: string;
  photo_url?: string;
}

export type Platform =
  | { kind: "x" }
  | { kind: "linkedin" }
  | { kind: "facebook" }
  | { kind: "mastodon"; instance: string }
  | { kind: "copy" };

export type PlatformName = Platform["kind"];

export type Sharer = { kind: "organiser" } | { kind: "participant"; participant_id: string };

export interface SharedMoment {
  _id: string;
  event_id: string;
  moment: Moment;
  by: Sharer;
  platform: PlatformName;
  instance?: string;
  url?: string;
  shared_at: string;
  updated_by: string;
  version: number;
}

export interface Shared {
  moment: SharedMoment;
  url: string | null;
  text: string;
}

export interface Progress {
  phase: "checking" | "writing" | "rolling_back" | "done";
  done: number;
  total: number;
}

export interface RecordError {
  record: number;
  id?: string;
  reason: string;
}

export interface ImportReport {
  run_id: string;
  file: string;
  format: "auto" | "x" | "mastodon" | "csv";
  record_unit: "item" | "line" | string;
  records: number;
  imported: number;
  already_present: number;
  rejected: number;
  errors: RecordError[];
  cancelled: boolean;
  duration_ms: number;
}

export interface FetchOptions {
  instance: string;
  tag: string;
  pages: number;
  limit?: number;
  /** Only for tests: `http://127.0.0.1:PORT` instead of `https://{instance}`. */
  base_url?: string | null;
}

export interface FetchSettings {
  instance: string;
  tag: string;
  pages: number;
}

export interface FetchReport {
  run_id: string;
  instance: string;
  tag: string;
  pages: number;
  received: number;
  imported: number;
  already_present: number;
  rejected: number;
  errors: RecordError[];
  newest_id: string | null;
  oldest_id: string | null;
  reached_end: boolean;
  waited_ms: number;
  cancelled: boolean;
  error: string | null;
  duration_ms: number;
}

export interface VolumePoint {
  at: string;
  posts: number;
}

export interface KeyCount {
  key: string;
  posts: number;
}

export interface AuthorRow {
  author: string;
  posts: number;
  likes: number;
  shares: number;
  replies: number;
}

export interface MentionRow {
  id: string;
  name: string;
  posts: number;
  share: number;
}

export interface Analysis {
  event_id: string;
  title: string;
  timezone: string;
  volume_by_hour: VolumePoint[];
  volume_by_day: VolumePoint[];
  top_hashtags: KeyCount[];
  top_authors: AuthorRow[];
  platforms: KeyCount[];
  engagement: { posts: number; likes: number; shares: number; replies: number; total: number };
  sessions: MentionRow[];
  speakers: MentionRow[];
  sentiment: { positive: number; neutral: number; negative: number; average_score: number };
  generated_at: string;
}

export interface Post {
  _id: string;
  event_id: string;
  platform: string;
  external_id: string;
  author: string;
  text: string;
  posted_at: string;
  url?: string;
  likes: number;
  shares: number;
  replies: number;
  hashtags: string[];
  mentions: string[];
  sentiment_score: number;
  sentiment: "positive" | "neutral" | "negative";
}

export interface Exported {
  path: string;
  bytes: number;
}

export const socialApi = {
  compose: (moment: MomentInput) => invoke<string>("social_compose", { moment }),
  share: (eventId: string, platform: Platform, moment: MomentInput) => invoke<Shared>("social_share", { eventId, platform, moment }),
  moments: (eventId: string) => invoke<SharedMoment[]>("social_moments", { eventId }),
  pickFile: () => invoke<string | null>("social_pick_file"),
  import: (eventId: string, path: string, onProgress: (p: Progress) => void) =>
    invoke<ImportReport>("social_import", { eventId, path, options: null, onProgress: channel(onProgress) }),
  importCancel: () => invoke<null>("social_import_cancel"),
  fetchSettings: () => invoke<FetchSettings>("social_fetch_settings"),
  fetch: (eventId: string, options: FetchOptions, onProgress: (p: Progress) => void) =>
    invoke<FetchReport>("social_fetch", { eventId, options, onProgress: channel(onProgress) }),
  fetchCancel: () => invoke<null>("social_fetch_cancel"),
  analysis: (eventId: string) => invoke<Analysis>("social_analysis", { eventId }),
  wall: (eventId: string, limit = 30) => invoke<Post[]>("social_wall", { eventId, limit }),
  exportCsv: (eventId: string) => invoke<Exported | null>("social_export_csv", { eventId }),
};
