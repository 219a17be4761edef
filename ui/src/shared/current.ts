// The current event: chosen once (in the header, or by opening an event), shown in the
// header and used by every screen that works on one event (participants, dashboard, social).
// Kept across restarts in localStorage.

const KEY = "eventhub.currentEvent";
const listeners = new Set<(id: string) => void>();

let current = "";
try {
  current = window.localStorage.getItem(KEY) ?? "";
} catch {
  /* storage refused: start without one */
}

export function currentEventId(): string {
  return current;
}

/** Makes `id` the current event and tells every screen ("" clears it). */
export function setCurrentEvent(id: string): void {
  if (id === current) return;
  current = id;
  try {
    if (id) window.localStorage.setItem(KEY, id);
    else window.localStorage.removeItem(KEY);
  } catch {
    /* not kept across restarts, still shared in this session */
  }
  for (const f of [...listeners]) f(id);
}

/** Calls `f` on every change; returns the function that stops listening. */
export function onCurrentEvent(f: (id: string) => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}
