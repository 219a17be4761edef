// What the editor's tabs share: the draft being edited and a few services.

import type { CustomValue, EventInput } from "./api.js";

export type CustomType = "text" | "number" | "bool" | "list";

export interface CustomRow {
  uid: string;
  key: string;
  type: CustomType;
  value: string;
  bool: boolean;
}

export interface EditorCtx {
  draft: EventInput;
  /** lat/lng as typed (both or neither must be filled). */
  geo: { lat: string; lng: string };
  customRows: CustomRow[];
  knownTags: string[];
  /** The event's zone (always valid). */
  tz(): string;
  markDirty(): void;
  /** Wires a control to a field path: data-field, clears that path's error when edited, marks dirty. */
  bind(el: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, path: string, onValue: () => void): void;
  /** A client-side problem with a field (e.g. unparseable date): blocks saving until fixed. */
  setLocalError(path: string, message: string | null): void;
  rerenderPane(): void;
  /** Called when the draft's title/status change, to refresh the sticky header. */
  refreshHeader(): void;
  newId(): string;
  /** The event's id once saved (null for a new event). */
  savedId(): string | null;
}

export function customValueToRow(uid: string, key: string, v: CustomValue): CustomRow {
  if (typeof v === "boolean") return { uid, key, type: "bool", value: "", bool: v };
  if (typeof v === "number") return { uid, key, type: "number", value: String(v), bool: true };
  if (Array.isArray(v)) return { uid, key, type: "list", value: v.map(String).join(", "), bool: true };
  return { uid, key, type: "text", value: v ?? "", bool: true };
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

export function rowToCustomValue(r: CustomRow): CustomValue {
  switch (r.type) {
    case "bool":
      return r.bool;
    case "number":
      return r.value.trim() === "" ? null : Number(r.value.replace(",", "."));
    case "list":
      return r.value
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean)
        .map((x) => (NUMERIC.test(x) ? Number(x) : x));
    default:
      return r.value;
  }
}
