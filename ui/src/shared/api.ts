// Typed wrapper over the Tauri 2 global API (`withGlobalTauri: true`): no npm import.

// Types generated from the Rust types (ts-rs, `cargo test` refreshes ui/src/gen/).
import type { ApiError } from "../gen/ApiError.js";
import type { ErrorCode } from "../gen/ErrorCode.js";
export type { ApiError } from "../gen/ApiError.js";
export type { ErrorCode } from "../gen/ErrorCode.js";
export type { Problem } from "../gen/Problem.js";

import type { Status } from "../gen/Status.js";
export type { Status } from "../gen/Status.js";
export const STATUSES: Status[] = ["draft", "published", "cancelled", "archived"];

export type { Capabilities } from "../gen/Capabilities.js";
export type { ServerInfo } from "../gen/ServerInfo.js";
export type { EngineInfo } from "../gen/EngineInfo.js";
export type { DbStatus } from "../gen/DbStatus.js";
export type { HealthReason } from "../gen/HealthReason.js";
export type { Health } from "../gen/Health.js";
import type { DbStatus } from "../gen/DbStatus.js";

export type { Settings } from "../gen/Settings.js";
import type { Settings } from "../gen/Settings.js";
export type Language = Settings["language"];
export type { GeoPoint } from "../gen/GeoPoint.js";
export type { Venue } from "../gen/Venue.js";
export type { Speaker } from "../gen/Speaker.js";
export type { Session } from "../gen/Session.js";
export type { Layout } from "../gen/Layout.js";
export type { SeatingPlan } from "../gen/SeatingPlan.js";

export type CustomScalar = string | number | boolean;
export type CustomValue = CustomScalar | null | CustomScalar[];

export type { EventInput } from "../gen/EventInput.js";
export type { EventDoc } from "../gen/EventDoc.js";
export type { Sort } from "../gen/Sort.js";
export type { EventQuery } from "../gen/EventQuery.js";
export type { EventSummary } from "../gen/EventSummary.js";
import type { EventDoc } from "../gen/EventDoc.js";
import type { EventInput } from "../gen/EventInput.js";
import type { EventQuery } from "../gen/EventQuery.js";
import type { EventSummary } from "../gen/EventSummary.js";
import type { Page as GenPage } from "../gen/Page.js";
/** A page of the events list. */
export type Page = GenPage<EventSummary>;
export type { Total } from "../gen/Total.js";
import type { Total } from "../gen/Total.js";

export interface StatusCount {
  status: Status;
  count: number;
}

// ---- the global injected by Tauri -------------------------------------------------------

type UnlistenFn = () => void;

interface TauriGlobal {
  core: { invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T> };
  event: {
    listen<T>(event: string, handler: (e: { event: string; id: number; payload: T }) => void): Promise<UnlistenFn>;
  };
}

declare global {
  interface Window {
    __TAURI__?: TauriGlobal;
  }
}

const ERROR_CODES: ErrorCode[] = [
  "validation",
  "not_found",
  "conflict",
  "duplicate",
  "db_unavailable",
  "engine_missing",
  "unsupported",
  "disk_full",
  "internal",
];

export function isApiError(e: unknown): e is ApiError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as ApiError).code === "string" &&
    typeof (e as ApiError).message === "string"
  );
}

/** Whatever a command rejected with, as an ApiError (unknown shapes become `internal`). */
export function toApiError(e: unknown): ApiError {
  if (isApiError(e)) {
    return ERROR_CODES.includes(e.code) ? e : { ...e, code: "internal" };
  }
  if (typeof e === "string") return { code: "internal", message: e };
  if (e instanceof Error) return { code: "internal", message: e.message };
  return { code: "internal", message: String(e) };
}

export function hasTauri(): boolean {
  return typeof window.__TAURI__?.core?.invoke === "function";
}

/** Call a backend command; rejections become ApiError. Feature API files use this. */
export async function invokeCommand<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  return invoke<T>(cmd, args);
}

async function invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  const tauri = window.__TAURI__;
  if (!tauri) {
    throw { code: "internal", message: "Tauri runtime not available" } as ApiError;
  }
  try {
    return await tauri.core.invoke<T>(cmd, args);
  } catch (e) {
    throw toApiError(e);
  }
}

/** What a Tauri IPC channel looks like from the page: the backend streams messages into it. */
export interface ChannelLike<T> {
  onmessage: (m: T) => void;
}

/** A Tauri IPC channel (`withGlobalTauri`) delivering each message to `onMessage`; pass it
 *  as a command argument for progress or live updates. */
export function channel<T>(onMessage: (m: T) => void): ChannelLike<T> {
  const g = window as unknown as { __TAURI__?: { core?: { Channel?: new () => ChannelLike<T> } } };
  const Ctor = g.__TAURI__?.core?.Channel;
  if (!Ctor) throw { code: "internal", message: "Tauri channels are not available" } as ApiError;
  const ch = new Ctor();
  ch.onmessage = onMessage;
  return ch;
}

export async function listen<T>(event: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  const tauri = window.__TAURI__;
  if (!tauri?.event) return () => undefined;
  return tauri.event.listen<T>(event, (e) => handler(e.payload));
}

/** Drops undefined/empty keys so the backend only sees the filters in use. */
function cleanQuery(q: EventQuery): EventQuery {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === "") continue;
    out[k] = v;
  }
  return out as EventQuery;
}

export const api = {
  dbStatus: () => invoke<DbStatus>("db_status"),
  dbConnect: (uri: string, remember: boolean) => invoke<DbStatus>("db_connect", { uri, remember }),
  dbUseLocal: () => invoke<DbStatus>("db_use_local"),
  settingsGet: () => invoke<Settings>("settings_get"),
  settingsSetLanguage: (language: Language) => invoke<null>("settings_set_language", { language }),
  /** Opens the logs folder in the file manager; resolves with its path. */
  settingsOpenLogs: () => invoke<string>("settings_open_logs"),
  eventsList: (query: EventQuery) => invoke<Page>("events_list", { query: cleanQuery(query) }),
  /** How many events match (capped at 1,000): asked after a page that does not say it. */
  eventsCount: (query: EventQuery) => invoke<Total>("events_count", { query: cleanQuery(query) }),
  eventsGet: (id: string) => invoke<EventDoc>("events_get", { id }),
  eventsCreate: (input: EventInput) => invoke<EventDoc>("events_create", { input }),
  eventsUpdate: (id: string, version: number, input: EventInput) =>
    invoke<EventDoc>("events_update", { id, version, input }),
  eventsDelete: (id: string, version: number) => invoke<null>("events_delete", { id, version }),
  eventsDuplicate: (id: string, title: string | null) => invoke<EventDoc>("events_duplicate", { id, title }),
  eventsTags: () => invoke<string[]>("events_tags"),
  eventsStatusCounts: () => invoke<StatusCount[]>("events_status_counts"),
  seedDemo: () => invoke<number>("seed_demo"),
};

/** The editable part of a stored event: exactly the keys the backend accepts as input. */
export function toInput(e: EventDoc | EventInput): EventInput {
  const input: EventInput = {
    title: e.title,
    description: e.description ?? "",
    starts_at: e.starts_at,
    ends_at: e.ends_at,
    timezone: e.timezone,
    venue: { name: e.venue?.name ?? "", address: e.venue?.address ?? "" },
    status: e.status,
    tags: [...(e.tags ?? [])],
    speakers: (e.speakers ?? []).map((s) => ({
      id: s.id,
      name: s.name,
      title: s.title ?? "",
      bio: s.bio ?? "",
      links: [...(s.links ?? [])],
      ...(s.photo_url ? { photo_url: s.photo_url } : {}),
    })),
    sessions: (e.sessions ?? []).map((s) => ({
      id: s.id,
      title: s.title,
      abstract: s.abstract ?? "",
      starts_at: s.starts_at,
      ends_at: s.ends_at,
      room: s.room ?? "",
      speaker_ids: [...(s.speaker_ids ?? [])],
      ...(s.capacity !== undefined && s.capacity !== null ? { capacity: s.capacity } : {}),
    })),
    seating: (e.seating ?? []).map((p) => ({
      id: p.id,
      room: p.room,
      layout: { ...p.layout },
      blocked: [...(p.blocked ?? [])],
    })),
    custom: JSON.parse(JSON.stringify(e.custom ?? {})),
  };
  if (e.venue?.location) {
    input.venue.location = { type: "Point", coordinates: [e.venue.location.coordinates[0], e.venue.location.coordinates[1]] };
  }
  if (e.capacity !== undefined && e.capacity !== null) input.capacity = e.capacity;
  return input;
}
