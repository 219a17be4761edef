// The event editor: sticky header, tabs, save with field-level error reporting.

import { api, STATUSES, toApiError, toInput, type ApiError, type EventDoc, type EventInput, type Status } from "../../shared/api.js";
import { h, icon, replaceChildren } from "../../shared/dom.js";
import { formatDateTime, statusLabel, t, type MsgKey } from "../../shared/i18n.js";
import type { Nav, View } from "../../main.js";
import { isValidZone, wallToUtc } from "../../shared/tz.js";
import { button, confirmDialog, errorText, fieldProblems, toast, toastError } from "../../shared/ui.js";
import { setCurrentEvent } from "../../shared/current.js";
import { customValueToRow, rowToCustomValue, type CustomRow, type EditorCtx } from "../../shared/ctx.js";
import { renderCustom } from "./custom.js";
import { renderGeneral } from "./general.js";
import { prunedBlocked, renderSeating } from "./seating.js";
import { renderSessions } from "./sessions.js";
import { renderSpeakers } from "./speakers.js";

type Tab = "general" | "speakers" | "sessions" | "seating" | "custom";
const TABS: Tab[] = ["general", "speakers", "sessions", "seating", "custom"];

export function clientId(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID().replace(/-/g, "").slice(0, 8);
  return Math.random().toString(16).slice(2, 10).padEnd(8, "0");
}

function tabFor(path: string): Tab {
  const root = path.split(/[.[]/)[0];
  if (root === "speakers") return "speakers";
  if (root === "sessions") return "sessions";
  if (root === "seating") return "seating";
  if (root === "custom") return "custom";
  return "general";
}

function parentPath(path: string): string | null {
  const m = /^(.*)(\[\d+\]|\.[^.[\]]+)$/.exec(path);
  return m && m[1] ? m[1] : null;
}

function newDraft(): EventInput {
  const tz = "Europe/Paris";
  const d = new Date(Date.now() + 7 * 86_400_000);
  const day = d.toISOString().slice(0, 10);
  return {
    title: "",
    description: "",
    starts_at: wallToUtc(`${day}T09:00`, tz) ?? d.toISOString(),
    ends_at: wallToUtc(`${day}T18:00`, tz) ?? new Date(d.getTime() + 9 * 3_600_000).toISOString(),
    timezone: tz,
    venue: { name: "", address: "" },
    status: "draft",
    tags: [],
    speakers: [],
    sessions: [],
    seating: [],
    custom: {},
  };
}

interface Shown {
  path: string;
  control: Element;
  msg: HTMLElement;
}

export class EditorView implements View, EditorCtx {
  el = h("div", { class: "page editor-page" });
  draft: EventInput = newDraft();
  geo = { lat: "", lng: "" };
  customRows: CustomRow[] = [];
  knownTags: string[] = [];

  private doc: EventDoc | null = null;
  private tab: Tab = "general";
  private dirty = false;
  private saving = false;
  private conflict = false;
  private loading = false;
  private loadError: ApiError | null = null;
  private errors = new Map<string, string>();
  private localErrors = new Map<string, string>();
  private shown: Shown[] = [];

  private pane = h("div", { class: "tab-pane", role: "tabpanel", tabindex: "-1" });
  private headTitle = h("h1", { class: "editor-title" });
  private headMeta = h("div", { class: "editor-meta", testid: "version-info" });
  private saveBtn: HTMLButtonElement | null = null;
  private statusSel: HTMLSelectElement | null = null;
  private keyHandler = (ev: KeyboardEvent) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "s") {
      ev.preventDefault();
      void this.save();
    }
  };

  constructor(private nav: Nav, private id: string | null) {
    document.addEventListener("keydown", this.keyHandler);
    this.resetFrom(null);
    if (id) {
      this.loading = true;
      void this.load();
    }
    this.rerender();
    api
      .eventsTags()
      .then((tags) => {
        this.knownTags = tags;
        const dl = this.el.querySelector("#known-tags");
        if (dl) replaceChildren(dl, ...tags.map((x) => h("option", { value: x })));
      })
      .catch(() => undefined);
  }

  destroy(): void {
    document.removeEventListener("keydown", this.keyHandler);
  }

  async canLeave(): Promise<boolean> {
    if (!this.dirty) return true;
    return confirmDialog({ title: t("editor.leaveTitle"), text: t("editor.leaveText"), confirm: t("editor.leave"), danger: true });
  }

  focusFirst(): void {
    if (this.loading) return;
    (this.el.querySelector('[data-testid="f-title"]') as HTMLInputElement | null)?.focus();
  }

  private async load(): Promise<void> {
    if (!this.id) return;
    this.loading = true;
    try {
      const doc = await api.eventsGet(this.id);
      this.resetFrom(doc);
      this.loadError = null;
    } catch (e) {
      this.loadError = toApiError(e);
      toastError(this.loadError);
    }
    this.loading = false;
    this.conflict = false;
    this.rerender();
    this.focusFirst();
  }

  private resetFrom(doc: EventDoc | null): void {
    this.doc = doc;
    this.draft = doc ? toInput(doc) : newDraft();
    const loc = this.draft.venue.location;
    this.geo = loc ? { lat: String(loc.coordinates[1]), lng: String(loc.coordinates[0]) } : { lat: "", lng: "" };
    this.customRows = Object.entries(this.draft.custom).map(([k, v]) => customValueToRow(clientId(), k, v));
    this.dirty = false;
    this.errors.clear();
    this.localErrors.clear();
  }

  // ---- EditorCtx ----------------------------------------------------------------------------
  savedId(): string | null {
    return this.id;
  }


  tz(): string {
    return isValidZone(this.draft.timezone) ? this.draft.timezone : "UTC";
  }

  newId(): string {
    return clientId();
  }

  markDirty(): void {
    if (!this.dirty) {
      this.dirty = true;
      this.updateHeader();
    }
  }

  refreshHeader(): void {
    this.updateHeader();
  }

  bind(el: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, path: string, onValue: () => void): void {
    el.setAttribute("data-field", path);
    const handler = () => {
      this.clearErrorsOn(el);
      onValue();
      this.markDirty();
    };
    el.addEventListener("input", handler);
    if (el instanceof HTMLSelectElement || (el instanceof HTMLInputElement && (el.type === "checkbox" || el.type === "datetime-local"))) {
      el.addEventListener("change", handler);
    }
  }

  setLocalError(path: string, message: string | null): void {
    if (message) {
      this.localErrors.set(path, message);
      this.showErrors(false);
    } else if (this.localErrors.delete(path)) {
      this.showErrors(false);
    }
  }

  rerenderPane(): void {
    this.renderPane();
  }

  // ---- rendering ----------------------------------------------------------------------------

  rerender(): void {
    if (this.loading && !this.doc) {
      replaceChildren(this.el, h("div", { class: "card loading-card" }, h("div", { class: "spinner" }), t("common.loading")));
      return;
    }
    if (this.loadError && !this.doc) {
      replaceChildren(
        this.el,
        h(
          "div",
          { class: "card empty" },
          h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("alert", 28)),
          h("h2", null, this.loadError.code === "not_found" ? t("editor.notFound") : t("error.generic")),
          this.loadError.code === "not_found" ? null : h("p", { class: "muted" }, errorText(this.loadError)),
          button(t("common.back"), { icon: "arrowLeft", onClick: () => void this.nav.toList() }),
        ),
      );
      return;
    }
    replaceChildren(this.el, this.header(), this.conflict ? this.conflictBanner() : null, this.tabs(), this.pane);
    this.renderPane();
    this.updateHeader();
  }

  private header(): HTMLElement {
    const back = h("button", { type: "button", class: "icon-btn", "aria-label": t("common.back"), title: t("common.back") }, icon("arrowLeft"));
    back.addEventListener("click", () => void this.nav.toList());

    const status = h(
      "select",
      { class: `input status-select status-${this.draft.status}`, testid: "f-status", id: "f-status", "aria-label": t("editor.statusLabel") },
      ...STATUSES.map((s) => h("option", { value: s }, statusLabel(s))),
    );
    status.value = this.draft.status;
    this.bind(status, "status", () => {
      this.draft.status = status.value as Status;
      status.className = `input status-select status-${this.draft.status}`;
    });
    this.statusSel = status;

    // "Fermer", not "Annuler": the word must not be confused with the status "Annulé".
    const cancel = button(t("editor.close"), { onClick: () => void this.nav.toList(), testid: "cancel-edit" });
    // Invitations live with the participants: one click from the event.
    const invite = this.id ? button(t("inv.openFromEditor"), { icon: "users", testid: "editor-invite", onClick: () => void this.nav.toParticipants(this.id ?? undefined) }) : null;
    const save = button(t("common.save"), { kind: "primary", icon: "save", testid: "save-event", title: t("editor.shortcut") });
    save.addEventListener("click", () => void this.save());
    this.saveBtn = save;

    return h(
      "header",
      { class: "editor-head" },
      back,
      h("div", { class: "editor-head-text" }, this.headTitle, this.headMeta),
      h("div", { class: "editor-head-actions" }, status, invite, cancel, save),
    );
  }

  private updateHeader(): void {
    this.headTitle.textContent = this.draft.title.trim() || (this.doc ? t("editor.untitled") : t("editor.newTitle"));
    const meta: (Node | string)[] = [];
    if (this.doc) {
      meta.push(h("span", { class: "meta-text" }, 
        t("editor.version", {
          v: String(this.doc.version),
          who: this.doc.updated_by || t("editor.someone"),
          when: formatDateTime(this.doc.updated_at, this.tz()),
        })),
      );
    } else {
      meta.push(t("editor.notSaved"));
    }
    if (this.dirty) meta.push(h("span", { class: "unsaved" }, h("span", { class: "unsaved-dot", "aria-hidden": "true" }), t("editor.unsaved")));
    replaceChildren(this.headMeta, ...meta);
    if (this.saveBtn) {
      this.saveBtn.disabled = this.saving;
      const span = this.saveBtn.querySelector("span");
      if (span) span.textContent = this.saving ? t("common.saving") : t("common.save");
    }
    if (this.statusSel && this.statusSel.value !== this.draft.status) this.statusSel.value = this.draft.status;
    // Tab counters.
    for (const tab of TABS) {
      const badge = this.el.querySelector(`#tab-${tab} .tab-count`);
      if (badge) badge.textContent = this.tabCount(tab);
    }
  }

  private conflictBanner(): HTMLElement {
    const reload = button(t("common.reload"), { kind: "primary", icon: "refresh", testid: "conflict-reload" });
    reload.addEventListener("click", () => void this.load());
    return h(
      "div",
      { class: "alert alert-danger banner", role: "alert", testid: "conflict-banner" },
      icon("alert", 20),
      h("div", { class: "grow" }, h("strong", null, t("editor.conflictTitle")), h("div", null, t("editor.conflictText"))),
      reload,
    );
  }

  private tabCount(tab: Tab): string {
    switch (tab) {
      case "speakers":
        return this.draft.speakers.length ? String(this.draft.speakers.length) : "";
      case "sessions":
        return this.draft.sessions.length ? String(this.draft.sessions.length) : "";
      case "seating":
        return this.draft.seating.length ? String(this.draft.seating.length) : "";
      case "custom":
        return this.customRows.length ? String(this.customRows.length) : "";
      default:
        return "";
    }
  }

  private tabs(): HTMLElement {
    const list = h("div", { class: "tabs", role: "tablist", "aria-label": t("editor.tabs") });
    const icons = { general: "info", speakers: "mic", sessions: "clock", seating: "grid", custom: "sliders" } as const;
    const buttons = TABS.map((tab) => {
      const b = h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `tab-${tab}`,
          class: "tab",
          testid: `tab-${tab}`,
          "aria-selected": String(this.tab === tab),
          "aria-controls": "editor-pane",
          tabindex: this.tab === tab ? "0" : "-1",
        },
        icon(icons[tab], 16),
        h("span", null, t(`editor.tab.${tab}` as MsgKey)),
        h("span", { class: "tab-count" }, this.tabCount(tab)),
      );
      b.addEventListener("click", () => this.selectTab(tab));
      b.addEventListener("keydown", (ev) => {
        const i = TABS.indexOf(tab);
        let j = -1;
        if (ev.key === "ArrowRight") j = (i + 1) % TABS.length;
        else if (ev.key === "ArrowLeft") j = (i - 1 + TABS.length) % TABS.length;
        else if (ev.key === "Home") j = 0;
        else if (ev.key === "End") j = TABS.length - 1;
        if (j >= 0) {
          ev.preventDefault();
          this.selectTab(TABS[j]);
          (list.querySelector(`#tab-${TABS[j]}`) as HTMLElement | null)?.focus();
        }
      });
      return b;
    });
    replaceChildren(list, ...buttons);
    return list;
  }

  private selectTab(tab: Tab): void {
    if (this.tab === tab) return;
    this.tab = tab;
    for (const b of this.el.querySelectorAll<HTMLElement>('[role="tab"]')) {
      const on = b.id === `tab-${tab}`;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
    }
    this.renderPane();
  }

  private renderPane(): void {
    this.pane.id = "editor-pane";
    this.pane.setAttribute("aria-labelledby", `tab-${this.tab}`);
    let content: HTMLElement;
    switch (this.tab) {
      case "speakers":
        content = renderSpeakers(this);
        break;
      case "sessions":
        content = renderSessions(this);
        break;
      case "seating":
        content = renderSeating(this);
        break;
      case "custom":
        content = renderCustom(this);
        break;
      default:
        content = renderGeneral(this);
    }
    replaceChildren(this.pane, content);
    this.showErrors(false);
    this.updateHeader();
  }

  // ---- errors -------------------------------------------------------------------------------

  private findControl(path: string): Element | null {
    let p: string | null = path;
    while (p) {
      const el = this.el.querySelector(`[data-field="${CSS.escape(p)}"]`);
      if (el) return el;
      p = parentPath(p);
    }
    return null;
  }

  private clearErrorsOn(control: Element): void {
    const keep: Shown[] = [];
    for (const s of this.shown) {
      if (s.control === control) {
        this.errors.delete(s.path);
        this.localErrors.delete(s.path);
        s.msg.remove();
        control.classList.remove("invalid");
        control.removeAttribute("aria-invalid");
      } else keep.push(s);
    }
    this.shown = keep;
  }

  /** Draws every known error next to its control; optionally scrolls to and focuses the first. */
  private showErrors(focus: boolean): void {
    for (const s of this.shown) {
      s.msg.remove();
      s.control.classList.remove("invalid");
      s.control.removeAttribute("aria-invalid");
    }
    this.shown = [];
    const all = new Map([...this.errors, ...this.localErrors]);
    let first: Element | null = null;
    for (const [path, message] of all) {
      const control = this.findControl(path);
      if (!control) continue;
      control.classList.add("invalid");
      control.setAttribute("aria-invalid", "true");
      const msgId = `err-${path.replace(/[^\w-]/g, "_")}`;
      const msg = h("div", { class: "field-error", testid: "field-error", id: msgId, "data-for": path }, icon("alert", 14), h("span", null, message));
      const wrap = control.closest(".field");
      if (wrap && wrap !== control) wrap.appendChild(msg);
      else control.insertAdjacentElement("afterend", msg);
      const described = control.getAttribute("aria-describedby") ?? "";
      if (!described.split(" ").includes(msgId)) control.setAttribute("aria-describedby", `${described} ${msgId}`.trim());
      this.shown.push({ path, control, msg });
      first = first ?? control;
    }
    if (focus && first) {
      first.scrollIntoView({ block: "center", behavior: "smooth" });
      if (first instanceof HTMLElement) first.focus({ preventScroll: true });
    }
  }

  private reportFieldErrors(problems: [string, string][]): void {
    for (const [path, message] of problems) this.errors.set(path, message);
    const tab = tabFor(problems[0][0]);
    if (tab !== this.tab) {
      this.tab = tab;
      for (const b of this.el.querySelectorAll<HTMLElement>('[role="tab"]')) {
        const on = b.id === `tab-${tab}`;
        b.setAttribute("aria-selected", String(on));
        b.tabIndex = on ? 0 : -1;
      }
    }
    this.renderPane();
    this.showErrors(true);
  }

  // ---- save ---------------------------------------------------------------------------------

  /** Builds the input to send, or reports the client-side problems and returns null. */
  private collect(): EventInput | null {
    for (const k of [...this.localErrors.keys()]) {
      if (k.startsWith("custom") || k.startsWith("venue.location")) this.localErrors.delete(k);
    }
    // Custom fields: names must be present and unique.
    const custom: EventInput["custom"] = {};
    const seen = new Set<string>();
    for (const r of this.customRows) {
      const key = r.key.trim();
      if (!key && r.type !== "bool" && !r.value.trim()) continue; // an untouched empty row
      const path = `custom.${key}`;
      if (!key) {
        this.localErrors.set(`custom-row.${r.uid}`, t("custom.keyRequired"));
        continue;
      }
      if (seen.has(key)) {
        this.localErrors.set(`custom-row.${r.uid}`, t("custom.keyDuplicate"));
        continue;
      }
      seen.add(key);
      const v = rowToCustomValue(r);
      if (r.type === "number" && typeof v === "number" && !Number.isFinite(v)) {
        this.localErrors.set(path, t("custom.notNumber"));
        continue;
      }
      custom[key] = v;
    }
    // Venue coordinates: both or neither.
    const lat = this.geo.lat.trim();
    const lng = this.geo.lng.trim();
    const input: EventInput = { ...this.draft, custom, venue: { name: this.draft.venue.name, address: this.draft.venue.address } };
    if (lat || lng) {
      const la = Number(lat.replace(",", "."));
      const lo = Number(lng.replace(",", "."));
      if (!lat || !lng || !Number.isFinite(la) || !Number.isFinite(lo)) {
        this.localErrors.set(lat ? "venue.location.coordinates[0]" : "venue.location.coordinates[1]", t("general.geoBoth"));
      } else {
        input.venue.location = { type: "Point", coordinates: [lo, la] };
      }
    }
    if (input.capacity === undefined || input.capacity === null || Number.isNaN(input.capacity)) delete input.capacity;
    // Sessions are kept in time order, so error paths (sessions[i]) match what is shown.
    this.draft.sessions.sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
    input.sessions = this.draft.sessions.map((s) => {
      const out = { ...s, speaker_ids: [...s.speaker_ids] };
      if (out.capacity === undefined || out.capacity === null || Number.isNaN(out.capacity)) delete out.capacity;
      return out;
    });
    input.speakers = this.draft.speakers.map((s) => {
      const out = { ...s, links: s.links.map((l) => l.trim()).filter(Boolean) };
      if (!out.photo_url || !out.photo_url.trim()) delete out.photo_url;
      return out;
    });
    input.seating = this.draft.seating.map((p) => ({ ...p, layout: { ...p.layout }, blocked: prunedBlocked(p) }));
    if (this.localErrors.size) return null;
    return input;
  }

  async save(): Promise<void> {
    if (this.saving || this.loading || (this.loadError && !this.doc)) return;
    const input = this.collect();
    if (!input) {
      const [path, message] = [...this.localErrors][0];
      toast(`${t("editor.saveError")} — ${message}`, "error");
      const tab = tabFor(path.startsWith("custom-row.") ? "custom" : path);
      if (tab !== this.tab) this.selectTab(tab);
      this.showErrors(true);
      return;
    }
    this.saving = true;
    this.errors.clear();
    this.updateHeader();
    try {
      const created = !this.id;
      const doc = this.id && this.doc ? await api.eventsUpdate(this.id, this.doc.version, input) : await api.eventsCreate(input);
      this.id = doc._id;
      if (created) setCurrentEvent(doc._id);
      const tab = this.tab;
      this.resetFrom(doc);
      this.tab = tab;
      this.conflict = false;
      this.saving = false;
      this.rerender();
      toast(created ? t("editor.created") : t("editor.saved"), "success");
    } catch (e) {
      this.saving = false;
      this.updateHeader();
      const err = toApiError(e);
      switch (err.code) {
        case "validation": {
          // Every fault at once, each next to its control; one toast names them.
          const problems = fieldProblems(err);
          if (!problems.length) problems.push([err.field ?? "title", t("reason.unknown")]);
          toast(`${t("editor.saveError")} — ${errorText(err)}`, "error");
          this.reportFieldErrors(problems);
          break;
        }
        case "conflict":
          this.conflict = true;
          this.rerender();
          this.el.querySelector<HTMLElement>('[data-testid="conflict-reload"]')?.focus();
          break;
        default:
          toastError(err);
      }
    }
  }
}
