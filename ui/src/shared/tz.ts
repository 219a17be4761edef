// Conversions between a time zone's wall-clock time ("2027-01-12T09:00", what a
// datetime-local input shows) and UTC instants (RFC 3339 strings the backend stores).

export const COMMON_ZONES = [
  "Europe/Paris",
  "Europe/London",
  "Europe/Brussels",
  "Europe/Zurich",
  "Europe/Berlin",
  "Europe/Madrid",
  "Europe/Lisbon",
  "Africa/Casablanca",
  "Africa/Dakar",
  "Africa/Abidjan",
  "America/New_York",
  "America/Montreal",
  "America/Chicago",
  "America/Los_Angeles",
  "America/Sao_Paulo",
  "Asia/Dubai",
  "Asia/Singapore",
  "Asia/Tokyo",
  "Australia/Sydney",
  "Pacific/Noumea",
  "UTC",
];

const partsCache = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(tz: string): Intl.DateTimeFormat {
  let f = partsCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    partsCache.set(tz, f);
  }
  return f;
}

export function isValidZone(tz: string): boolean {
  try {
    partsFormatter(tz);
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

function wallAt(ms: number, tz: string): Wall {
  const p: Record<string, number> = {};
  for (const part of partsFormatter(tz).formatToParts(new Date(ms))) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  return { y: p.year, mo: p.month, d: p.day, h: p.hour === 24 ? 0 : p.hour, mi: p.minute, s: p.second };
}

/** Offset of `tz` from UTC at instant `ms`, in milliseconds (Paris in winter: +3 600 000). */
export function offsetAt(ms: number, tz: string): number {
  const w = wallAt(ms, tz);
  const asUtc = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

const WALL_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?/;

/**
 * Wall time in `tz` → UTC ISO string, or null if `wall` isn't a date-time.
 * A time skipped by a DST jump resolves forward (02:30 on the spring-forward night → 03:30);
 * an ambiguous time (autumn) resolves to its first occurrence.
 */
export function wallToUtc(wall: string, tz: string): string | null {
  const m = WALL_RE.exec(wall.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number);
  const guess = Date.UTC(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(guess)) return null;
  // Try the offsets in force around the guess; keep the first that maps back to the same wall time.
  const candidates = [offsetAt(guess - 86_400_000 / 2, tz), offsetAt(guess, tz), offsetAt(guess + 86_400_000 / 2, tz)];
  const uniq = [...new Set(candidates)].sort((a, b) => b - a); // larger offset = earlier instant
  for (const off of uniq) {
    const ms = guess - off;
    const w = wallAt(ms, tz);
    if (w.y === y && w.mo === mo && w.d === d && w.h === h && w.mi === mi) {
      return new Date(ms).toISOString();
    }
  }
  // In a DST gap: shift by the offset before the gap (moves the time forward).
  return new Date(guess - Math.min(...uniq)).toISOString();
}

const pad = (n: number) => String(n).padStart(2, "0");

/** UTC ISO string → wall time in `tz` as "YYYY-MM-DDTHH:mm" (a datetime-local value). */
export function utcToWall(iso: string, tz: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return "";
  const w = wallAt(ms, tz);
  return `${w.y}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}`;
}

/** "YYYY-MM-DD" of an instant in `tz`. */
export function dayKey(iso: string, tz: string): string {
  return utcToWall(iso, tz).slice(0, 10);
}

/** "UTC+01:00" for the offset of `tz` at `iso`. */
export function offsetLabel(iso: string, tz: string): string {
  const ms = Date.parse(iso);
  const off = offsetAt(Number.isNaN(ms) ? Date.now() : ms, tz) / 60000;
  const sign = off < 0 ? "−" : "+";
  const a = Math.abs(off);
  return `UTC${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** Moves an instant so that it keeps its wall-clock time when the zone changes. */
export function rezone(iso: string, fromTz: string, toTz: string): string {
  if (fromTz === toTz) return iso;
  return wallToUtc(utcToWall(iso, fromTz), toTz) ?? iso;
}

/** The browser's own zone (used for the list's date filters). */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** "Europe/Paris" → "Paris", "America/New_York" → "New York". */
export function zoneCity(tz: string): string {
  const last = tz.split("/").pop() ?? tz;
  return last.replace(/_/g, " ");
}
