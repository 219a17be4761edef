// A date (or date and time) control drawn by the app, in the interface's language whatever
// the system's locale: the text field shows and accepts `21/12/2026 14:30` (day first,
// 24 h, in French and in the app's English, which is British English), a calendar popup
// (flatpickr, npm `flatpickr`, loaded by index.html from dist/vendor) picks a day and a
// time, and a date that does not exist (31/02) or an unreadable entry is refused with a
// sentence in the interface's language.
//
// The value lives in a hidden input kept by the caller, in the same format as before and as
// the backend commands expect after the screen converts it: "YYYY-MM-DD" for a day,
// "YYYY-MM-DDTHH:mm" (wall-clock time in the event's zone) for a date and time. The hidden
// input fires `input` and `change` when the user changes the date; after setting its value
// from code, dispatch `datewords` on it (`refreshDateWords`) so the text follows.

import type { FlatpickrFn, Instance } from "flatpickr/dist/types/instance";
import type { CustomLocale } from "flatpickr/dist/types/locale";
import { h, icon } from "./dom.js";
import { getLang, t } from "./i18n.js";
import { field } from "./ui.js";

/** The global of flatpickr's browser build (and its French locale, `l10n/fr.js`). */
declare const flatpickr: FlatpickrFn | undefined;

export interface DateInputOptions {
  /** A date and a time (true) or a day only. */
  time: boolean;
  /** Write the error under the control (true), or leave it to the screen (`dateProblem`). */
  showError?: boolean;
  /** Accessible name of the text field (the visible label is the field's). */
  label?: string;
}

const pad = (n: number) => String(n).padStart(2, "0");

function daysIn(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** How the value reads in the text field: "21/12/2026 14:30" or "21/12/2026". */
export function formatEntry(value: string, time: boolean): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(value);
  if (!m) return "";
  const day = `${m[3]}/${m[2]}/${m[1]}`;
  return time ? `${day} ${m[4] ?? "00"}:${m[5] ?? "00"}` : day;
}

export type Parsed = { value: string } | { error: string };

/**
 * Reads what was typed: `21/12/2026 14:30` (also `21.12.2026`, `21-12-2026`, `14h30`, `14h`,
 * and the ISO form `2026-12-21T14:30`). A date-time typed without a time keeps
 * `previous`'s time (09:00 when there is none). Impossible dates and times are refused.
 */
export function parseEntry(text: string, time: boolean, previous = ""): Parsed {
  const s = text.trim().replace(/\s+/g, " ");
  if (!s) return { value: "" };
  let y: number, mo: number, d: number;
  let hh: number | null = null;
  let mi: number | null = null;
  const local = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:(?: |, ?|T)(\d{1,2})(?:[:hH](\d{2})?)?)?$/.exec(s);
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2}))?$/.exec(s);
  if (local) {
    [d, mo, y] = [Number(local[1]), Number(local[2]), Number(local[3])];
    if (local[4] !== undefined) [hh, mi] = [Number(local[4]), Number(local[5] ?? "0")];
  } else if (iso) {
    [y, mo, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
    if (iso[4] !== undefined) [hh, mi] = [Number(iso[4]), Number(iso[5])];
  } else {
    return { error: t(time ? "date.badFormatTime" : "date.badFormat") };
  }
  if (!time && hh !== null) return { error: t("date.badFormat") };
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || y < 1900) {
    return { error: t("date.impossible", { date: `${pad(d)}/${pad(mo)}/${y}` }) };
  }
  const day = `${y}-${pad(mo)}-${pad(d)}`;
  if (!time) return { value: day };
  if (hh === null || mi === null) {
    const prev = /T(\d{2}):(\d{2})/.exec(previous);
    [hh, mi] = prev ? [Number(prev[1]), Number(prev[2])] : [9, 0];
  }
  if (hh > 23 || mi > 59) return { error: t("date.impossibleTime", { time: `${pad(hh)}:${pad(mi)}` }) };
  return { value: `${day}T${pad(hh)}:${pad(mi)}` };
}

/** Why the last entry in this control was refused (null when it was read). */
export function dateProblem(value: HTMLInputElement): string | null {
  return value.dataset.dateError || null;
}

/** flatpickr's locale for the interface's language (British English: weeks start on Monday). */
function pickerLocale(fp: FlatpickrFn): CustomLocale {
  const fr = fp.l10ns.fr;
  if (getLang() === "fr" && fr) return fr;
  return { ...fp.l10ns.default, firstDayOfWeek: 1, rangeSeparator: " – " } as CustomLocale;
}

/** Pickers made by this module, to free those whose control left the page. */
const pickers = new Map<Instance, number>();

/** Destroys the calendars (kept by flatpickr in <body>) of controls no longer on the page. */
function sweep(): void {
  const now = Date.now();
  for (const [p, made] of pickers) {
    // A control just built may not be on the page yet.
    if (!p.input.isConnected && now - made > 2000) {
      p.destroy();
      pickers.delete(p);
    }
  }
}

/**
 * The control for the hidden input `value` (its `data-testid` names the parts: `-text` the
 * text field, `-open` the calendar button, `-calendar` the popup, `-error` the message; its
 * `id`, if any, moves to the text field so that a label points at what people type in).
 * Returns the element to put in the form (it holds `value`).
 */
export function dateInput(value: HTMLInputElement, opts: DateInputOptions): HTMLElement {
  sweep();
  value.type = "hidden";
  const id = value.dataset.testid ?? "date";
  const time = opts.time;
  const placeholder = t(time ? "date.placeholderTime" : "date.placeholder");
  const entry = h("input", {
    type: "text",
    class: "input date-entry",
    testid: `${id}-text`,
    autocomplete: "off",
    spellcheck: "false",
    placeholder,
  });
  if (opts.label) entry.setAttribute("aria-label", opts.label);
  if (value.id) {
    entry.id = value.id;
    value.removeAttribute("id");
  }
  const openBtn = h("button", { type: "button", class: "icon-btn date-open", testid: `${id}-open`, "aria-label": t("date.open"), title: t("date.open") }, icon("calendar", 16));
  const error = h("div", { class: "field-error date-error", testid: `${id}-error`, role: "alert" });
  error.hidden = true;
  const wrap = h("div", { class: `date-input${time ? " with-time" : ""}` }, value, h("div", { class: "date-row" }, entry, openBtn), error);

  const showValue = () => {
    entry.value = formatEntry(value.value, time);
  };
  const setError = (msg: string | null) => {
    if (msg) value.dataset.dateError = msg;
    else delete value.dataset.dateError;
    entry.classList.toggle("invalid", !!msg);
    if (msg) entry.setAttribute("aria-invalid", "true");
    else entry.removeAttribute("aria-invalid");
    if (opts.showError !== false) {
      error.hidden = !msg;
      error.textContent = msg ?? "";
    }
  };
  /** Puts `v` in the hidden input and tells the screen, as a person's change would. */
  const commit = (v: string, always = false) => {
    if (v === value.value && !always) return;
    value.value = v;
    value.dispatchEvent(new Event("input", { bubbles: true }));
    value.dispatchEvent(new Event("change", { bubbles: true }));
  };

  const dateFormat = time ? "Y-m-d\\TH:i" : "Y-m-d";
  let picker: Instance | null = null;
  const fp = typeof flatpickr === "function" ? flatpickr : undefined;
  if (fp) {
    picker = fp(value, {
      enableTime: time,
      time_24hr: true,
      dateFormat,
      allowInput: false,
      clickOpens: false,
      defaultHour: 9,
      minuteIncrement: 5,
      locale: pickerLocale(fp),
      positionElement: entry,
      disableMobile: true,
      onOpen: [
        (_dates, _text, inst) => {
          sweep();
          // Bounds the screen set on the hidden input (min/max).
          inst.set("minDate", value.min || undefined);
          inst.set("maxDate", value.max || undefined);
        },
      ],
      // flatpickr has written the value; `input`/`change` follow on the hidden input.
      onChange: [() => setError(null)],
    }) as Instance;
    // flatpickr turns its input into a text field: this one stays hidden (the text is `entry`).
    value.type = "hidden";
    picker.calendarContainer.dataset.testid = `${id}-calendar`;
    pickers.set(picker, Date.now());
  }

  const readEntry = () => {
    const r = parseEntry(entry.value, time, value.value);
    if ("error" in r) {
      setError(r.error);
      // Even when the value was empty already: the screen words the new error.
      commit("", true);
      return;
    }
    setError(null);
    commit(r.value);
    showValue();
  };
  entry.addEventListener("change", readEntry);
  entry.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      readEntry();
    } else if (ev.key === "ArrowDown" && ev.altKey) {
      ev.preventDefault();
      picker?.open(undefined, entry);
    }
  });
  // The hidden value changed by code or by the calendar: the text and the calendar follow.
  const followValue = () => {
    if (value.value) setError(null);
    if (!value.dataset.dateError) showValue();
    if (picker) {
      const shown = picker.selectedDates.length ? picker.formatDate(picker.selectedDates[0], dateFormat) : "";
      if (shown !== value.value) picker.setDate(value.value || [], false);
    }
  };
  value.addEventListener("input", followValue);
  value.addEventListener("change", followValue);
  value.addEventListener("datewords", followValue);

  // A click on the button while the calendar is open closes it (flatpickr closes it on the
  // press already: remember whether it was open then).
  let wasOpen = false;
  openBtn.addEventListener("mousedown", () => (wasOpen = !!picker?.isOpen));
  openBtn.addEventListener("click", () => {
    if (!picker) return;
    if (wasOpen || picker.isOpen) picker.close();
    else picker.open(undefined, entry);
    wasOpen = false;
  });
  if (!picker) openBtn.hidden = true;
  showValue();
  return wrap;
}

/** A labelled form field holding a date control (see `dateInput`). */
export function dateField(label: string, value: HTMLInputElement, opts: DateInputOptions & { optional?: boolean }): HTMLElement {
  const el = dateInput(value, opts);
  const entry = el.querySelector<HTMLInputElement>(".date-entry");
  return entry ? field(label, entry, { optional: opts.optional, around: el }) : el;
}
