// Participants of one event: counts per status, filter, search, pagination, status change
// per row, check-in, audit trail; CSV import wizard (participants-import.ts) and export.

import { api, toApiError, type EventSummary } from "../../shared/api.js";
import { papi, RSVP_STATUSES, type Participant, type ParticipantPage, type RsvpStatus } from "./api.js";
import { debounce, h, icon, replaceChildren } from "../../shared/dom.js";
import { formatDateTime, formatNumber, getLang, t, type MsgKey } from "../../shared/i18n.js";
import type { Nav, View } from "../../main.js";
import { actionsMenu, button, errorText, field, iconButton, openDialog, toast, toastError, type MenuItem } from "../../shared/ui.js";
import { openImportWizard } from "./import.js";
import { openDoorMode } from "./door.js";
import { currentEventId, onCurrentEvent, setCurrentEvent } from "../../shared/current.js";
import { InvitationsPanel, openPersonalLink } from "../invitations/panel.js";
import { qrImage } from "../invitations/api.js";
import { editMenuItem } from "./edit.js";

const PER_PAGE = 25;

/** Survives navigation: coming back keeps the event, filter and search. */
export const participantsState = {
  eventId: "",
  q: "",
  status: "" as RsvpStatus | "",
  page: 1,
};

export function rsvpLabel(s: RsvpStatus): string {
  return t(`p.st.${s}` as MsgKey);
}

export function rsvpPill(s: RsvpStatus): HTMLElement {
  return h("span", { class: `pill rsvp rsvp-${s}` }, h("span", { class: "pill-dot", "aria-hidden": "true" }), rsvpLabel(s));
}

export class ParticipantsView implements View {
  el = h("div", { class: "page participants-page" });
  navId = "nav-participants";
  private events: EventSummary[] = [];
  private page: ParticipantPage | null = null;
  private seq = 0;
  private head = h("div", { class: "page-head" });
  private chips = h("div", { class: "chips", role: "group" });
  private results = h("div", { class: "results" });
  private bar: HTMLElement = h("div");
  /** The invitations panel of the selected event (portal, links, campaign). */
  private invSlot = h("div", { class: "inv-slot" });
  private inv: InvitationsPanel | null = null;
  private debounced = debounce(() => this.reload(), 250);

  /** Stops following the current event (header). */
  private unfollow: () => void;

  constructor(
    eventId?: string,
    private nav?: Nav,
  ) {
    // An event given by the caller becomes the current one; otherwise the current one is shown.
    if (eventId) setCurrentEvent(eventId);
    const wanted = eventId || currentEventId();
    if (wanted && wanted !== participantsState.eventId) {
      participantsState.eventId = wanted;
      participantsState.page = 1;
    }
    this.unfollow = onCurrentEvent((id) => {
      if (id && id !== participantsState.eventId) this.switchTo(id);
    });
    this.rerender();
    void this.loadEvents();
  }

  private switchTo(id: string): void {
    participantsState.eventId = id;
    participantsState.page = 1;
    this.page = null;
    if (!this.events.some((e) => e._id === id)) {
      void this.loadEvents();
      return;
    }
    const sel = this.el.querySelector<HTMLSelectElement>("#p-event");
    if (sel) sel.value = id;
    this.renderHead();
    this.renderInvitations();
    this.reload();
  }

  private async loadEvents(): Promise<void> {
    try {
      const page = await api.eventsList({ sort: "starts_at_desc", per_page: 100 });
      this.events = page.items;
      const wanted = participantsState.eventId;
      if (wanted && !this.events.some((e) => e._id === wanted)) {
        // Opened from an event that is not among the listed ones (older, or a filter).
        const e = await api.eventsGet(wanted).catch(() => null);
        if (e) this.events.unshift({ ...e, venue_name: e.venue?.name ?? "", speakers: e.speakers.length, sessions: e.sessions.length });
      }
      if (!this.events.some((e) => e._id === participantsState.eventId)) {
        participantsState.eventId = this.events[0]?._id ?? "";
        participantsState.page = 1;
      }
      if (participantsState.eventId) setCurrentEvent(participantsState.eventId);
      this.rerender();
      this.reload();
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  private event(): EventSummary | undefined {
    return this.events.find((e) => e._id === participantsState.eventId);
  }

  reload(): void {
    const id = participantsState.eventId;
    if (!id) {
      this.page = null;
      this.renderResults();
      return;
    }
    const mine = ++this.seq;
    this.el.classList.add("is-loading");
    papi
      .list(id, {
        q: participantsState.q.trim() || undefined,
        status: participantsState.status || undefined,
        page: participantsState.page,
        per_page: PER_PAGE,
      })
      .then((page) => {
        if (mine !== this.seq) return;
        if (page.items.length === 0 && page.total > 0 && participantsState.page > 1) {
          participantsState.page = Math.max(1, Math.ceil(page.total / PER_PAGE));
          this.reload();
          return;
        }
        this.page = page;
        this.el.classList.remove("is-loading");
        this.renderResults();
      })
      .catch((e) => {
        if (mine !== this.seq) return;
        this.el.classList.remove("is-loading");
        toastError(toApiError(e));
      });
  }

  rerender(): void {
    this.bar = this.filterBar();
    this.chips.setAttribute("aria-label", t("p.status"));
    replaceChildren(this.el, this.head, this.bar, this.invSlot, this.chips, this.results);
    this.renderHead();
    this.renderInvitations();
    this.renderResults();
  }

  private renderInvitations(): void {
    const id = participantsState.eventId;
    if (!id) {
      this.inv = null;
      replaceChildren(this.invSlot);
      return;
    }
    if (this.inv?.eventId !== id) {
      this.inv = new InvitationsPanel(id, () => this.reload());
    }
    replaceChildren(this.invSlot, this.inv.el);
  }

  private renderHead(): void {
    const ev = this.event();
    const cap = this.page?.capacity;
    const sub: (string | HTMLElement)[] = [];
    if (ev && this.page) {
      sub.push(t("p.subtitle", { n: this.page.counts.reduce((a, c) => a + c.count, 0) }));
      if (cap) {
        sub.push(" · ");
        sub.push(
          h(
            "span",
            { testid: "p-capacity" },
            cap.capacity === null ? t("p.capacityNone", { taken: cap.taken }) : t("p.capacity", { taken: cap.taken, capacity: cap.capacity }),
          ),
        );
        if (cap.waitlisted > 0) sub.push(` · ${t("p.waitlist", { n: cap.waitlisted })}`);
      }
    }
    const disabled = !ev;
    const imp = button(t("p.import"), { kind: "primary", icon: "plus", testid: "p-import", onClick: () => void this.startImport() });
    const exp = button(t("p.export"), { icon: "copy", testid: "p-export", onClick: () => void this.exportCsv() });
    const add = button(t("p.add"), { icon: "users", testid: "p-add", onClick: () => void this.addOne() });
    const door = button(t("door.open"), { icon: "check", testid: "p-door", onClick: () => void this.openDoor() });
    imp.disabled = exp.disabled = add.disabled = door.disabled = disabled;
    replaceChildren(
      this.head,
      h("div", null, h("h1", { class: "page-title" }, t("p.title")), h("p", { class: "page-sub", testid: "p-sub" }, ...sub)),
      h("div", { class: "head-actions" }, door, add, exp, imp),
    );
  }

  private filterBar(): HTMLElement {
    const evSel = h("select", { id: "p-event", class: "input", testid: "p-event" });
    if (this.events.length === 0) evSel.appendChild(h("option", { value: "" }, t("p.chooseEvent")));
    for (const e of this.events) evSel.appendChild(h("option", { value: e._id }, e.title));
    evSel.value = participantsState.eventId;
    evSel.addEventListener("change", () => {
      // The header follows; this screen switches through the current-event listener.
      if (evSel.value && evSel.value !== currentEventId()) setCurrentEvent(evSel.value);
      else this.switchTo(evSel.value);
    });

    const status = h(
      "select",
      { id: "p-flt-status", class: "input", testid: "p-filter-status" },
      h("option", { value: "" }, t("p.all")),
      ...RSVP_STATUSES.map((s) => h("option", { value: s }, rsvpLabel(s))),
    );
    status.value = participantsState.status;
    status.addEventListener("change", () => {
      participantsState.status = status.value as RsvpStatus | "";
      participantsState.page = 1;
      this.reload();
    });

    const search = h("input", {
      id: "p-search",
      class: "input",
      type: "search",
      testid: "p-search",
      placeholder: t("p.search"),
      "aria-label": t("p.searchLabel"),
      autocomplete: "off",
      spellcheck: "false",
      value: participantsState.q,
    });
    search.addEventListener("input", () => {
      participantsState.q = search.value;
      participantsState.page = 1;
      this.debounced();
    });
    search.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") this.reload();
    });

    const f = (id: string, label: string, control: HTMLElement, cls = "") =>
      h("div", { class: `filter ${cls}` }, h("label", { for: id, class: "filter-label" }, label), control);
    return h(
      "div",
      { class: "filter-bar card", role: "search" },
      f("p-event", t("p.event"), evSel, "p-event-filter"),
      f("p-flt-status", t("p.status"), status),
      f("p-search", t("p.searchLabel"), search, "grow"),
      participantsState.eventId ? h("div", { class: "filter p-scan-filter" }, this.scanField()) : null,
    );
  }

  private renderChips(): void {
    const page = this.page;
    if (!page) {
      replaceChildren(this.chips);
      return;
    }
    const total = page.counts.reduce((a, c) => a + c.count, 0);
    const chip = (value: RsvpStatus | "", label: string, n: number) => {
      const b = h(
        "button",
        { type: "button", class: `chip`, "aria-pressed": String(participantsState.status === value), testid: `p-count-${value || "all"}` },
        value ? h("span", { class: `pill-dot rsvp-dot-${value}`, "aria-hidden": "true" }) : null,
        h("span", null, label),
        h("span", { class: "chip-n" }, formatNumber(n)),
      );
      b.addEventListener("click", () => {
        participantsState.status = participantsState.status === value ? "" : value;
        participantsState.page = 1;
        const sel = this.el.querySelector<HTMLSelectElement>("#p-flt-status");
        if (sel) sel.value = participantsState.status;
        this.reload();
      });
      return b;
    };
    const by = new Map(page.counts.map((c) => [c.status, c.count]));
    replaceChildren(this.chips, chip("", t("p.all"), total), ...RSVP_STATUSES.map((s) => chip(s, rsvpLabel(s), by.get(s) ?? 0)));
  }

  private renderResults(): void {
    this.renderHead();
    this.renderChips();
    if (this.events.length === 0 && !participantsState.eventId) {
      const create = this.nav ? button(t("list.new"), { kind: "primary", icon: "plus", testid: "p-new-event", onClick: () => void this.nav?.toEditor(null) }) : null;
      replaceChildren(this.results, h("div", { class: "card empty" }, h("div", { class: "empty-art", "aria-hidden": "true" }, icon("calendar", 36)), h("p", { class: "muted" }, t("p.noEvents")), create ? h("div", { class: "empty-actions" }, create) : null));
      return;
    }
    const page = this.page;
    if (!page) {
      replaceChildren(this.results, h("div", { class: "card loading-card" }, h("div", { class: "spinner" }), t("common.loading")));
      return;
    }
    const filtered = Boolean(participantsState.q.trim() || participantsState.status);
    if (page.total === 0) {
      const imp = button(t("p.import"), { kind: "primary", icon: "plus", onClick: () => void this.startImport() });
      replaceChildren(
        this.results,
        filtered
          ? h("div", { class: "card empty", testid: "p-no-results" }, h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("search", 28)), h("h2", null, t("p.noResults")))
          : h(
              "div",
              { class: "card empty", testid: "p-empty" },
              h("div", { class: "empty-art", "aria-hidden": "true" }, icon("users", 36)),
              h("h2", null, t("p.emptyTitle")),
              h("p", { class: "muted" }, t("p.emptyText")),
              h("div", { class: "empty-actions" }, imp),
            ),
      );
      return;
    }
    const table = h(
      "table",
      { class: "events-table participants-table" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", { scope: "col", class: "pc-person" }, t("p.col.person")),
          h("th", { scope: "col", class: "pc-status" }, t("p.col.status")),
          h("th", { scope: "col", class: "pc-inv" }, t("inv.column")),
          h("th", { scope: "col", class: "pc-actions" }, h("span", { class: "sr-only" }, t("p.col.actions"))),
        ),
      ),
      h("tbody", null, ...page.items.map((p) => this.row(p))),
    );
    const from = (page.page - 1) * page.per_page + 1;
    const to = from + page.items.length - 1;
    const prev = iconButton("chevronLeft", t("p.prev"), () => this.goPage(page.page - 1), { testid: "p-page-prev" });
    const next = iconButton("chevronRight", t("p.next"), () => this.goPage(page.page + 1), { testid: "p-page-next" });
    prev.disabled = page.page <= 1;
    next.disabled = to >= page.total;
    const footer = h("div", { class: "table-foot" }, h("span"), h("div", { class: "pager" }, h("span", { class: "pager-range", testid: "p-range" }, t("p.range", { from, to, total: page.total })), prev, next));
    replaceChildren(this.results, h("div", { class: "card table-card" }, table, footer));
  }

  private goPage(p: number): void {
    participantsState.page = Math.max(1, p);
    this.reload();
  }

  /**
   * One participant: who (name, role · company, e-mail), the RSVP status (a select), the
   * invitation e-mail's state, then the check-in button and a menu with the other actions.
   * At narrow widths the invitation column folds under the e-mail (see styles.css).
   */
  private row(p: Participant): HTMLElement {
    const display = p.name || p.email;
    const sel = h(
      "select",
      { class: `input input-sm rsvp-select rsvp-${p.status}`, testid: "p-status-select", "aria-label": t("p.changeStatus", { name: display }) },
      ...RSVP_STATUSES.map((s) => h("option", { value: s }, rsvpLabel(s))),
    );
    sel.value = p.status;
    sel.addEventListener("change", () => void this.changeStatus(p, sel.value as RsvpStatus));
    const checkIn = button(t("p.checkIn"), { small: true, icon: "check", testid: "p-checkin", title: t("p.checkInOf", { name: display }), onClick: () => void this.checkIn(p) });
    checkIn.disabled = p.status === "checked_in";
    const ev = this.event();
    const hasSessions = Boolean(ev && ev.sessions > 0 && (p.status === "accepted" || p.status === "checked_in"));
    // The row's other actions, one entry per line (null hides an entry).
    const actions: (MenuItem | null)[] = [
      hasSessions ? { label: t("p.sessions"), icon: "calendar", testid: "p-sessions", run: () => void this.showSessions(p) } : null,
      { label: t("p.badge"), icon: "grid", testid: "p-badge", run: () => void this.showBadge(p) },
      { label: t("inv.personalLink"), icon: "globe", testid: "p-link", run: () => void openPersonalLink(p._id, display) },
      { label: t("p.history"), icon: "clock", testid: "p-audit", run: () => void this.showAudit(p) },
      editMenuItem(p, () => this.reload()),
    ];
    const inv = p.invitation?.status ?? "none";
    const invChip = (testid?: string) => h("span", { class: `chip-sm inv-${inv}`, testid, "data-invitation": inv, title: t("inv.column") }, t(`inv.status.${inv}` as MsgKey));
    return h(
      "tr",
      { testid: "p-row", "data-id": p._id, "data-status": p.status },
      h(
        "td",
        { class: "pc-person" },
        h("div", { class: "cell-main", testid: "p-name" }, display),
        p.company || p.role ? h("div", { class: "cell-sub" }, [p.role, p.company].filter(Boolean).join(" · ")) : null,
        p.name ? h("div", { class: "cell-sub p-email" }, p.email) : null,
        h("div", { class: "p-inv-inline" }, invChip()),
      ),
      h("td", { class: "pc-status" }, sel),
      h("td", { class: "pc-inv" }, invChip("p-invitation")),
      h("td", { class: "pc-actions" }, h("div", { class: "row-actions" }, checkIn, actionsMenu(t("p.moreActions", { name: display }), actions, "p-menu"))),
    );
  }

  private async changeStatus(p: Participant, to: RsvpStatus): Promise<void> {
    try {
      const after = await papi.setStatus(p._id, p.version, to);
      const name = after.name || after.email;
      if (to !== after.status && after.status === "waitlisted") toast(t("p.waitlisted", { name }), "info");
      else toast(t("p.statusChanged", { name, status: rsvpLabel(after.status) }), "success");
    } catch (e) {
      const err = toApiError(e);
      if (err.code === "conflict") toast(t("p.changedMeanwhile"), "error");
      else toastError(err);
    }
    this.reload();
  }

  private async showBadge(p: Participant): Promise<void> {
    try {
      const b = await papi.badge(p._id);
      const body = h("div", { class: "inv-link" }, qrImage(b.qr_svg, t("p.badge")), h("div", null, h("strong", null, p.name || p.email), h("div", { class: "mono small break", testid: "p-badge-code" }, b.code), b.seat ? h("div", { testid: "p-badge-seat" }, t("seat.badge", { seat: b.seat })) : null, h("p", { class: "muted small" }, t("p.badgeHint"))));
      await openDialog(() => ({ title: `${t("p.badge")} — ${p.name || p.email}`, body: [h("div", { class: "dialog-body" }, body)] }));
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  /** A badge scanner types the code and Enter into this field. */
  private scanField(): HTMLElement {
    const input = h("input", { class: "input mono", type: "text", testid: "p-scan", autocomplete: "off", spellcheck: "false", placeholder: "EVENTHUB:…" });
    input.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter" || !input.value.trim()) return;
      ev.preventDefault();
      const code = input.value;
      input.value = "";
      void papi
        .checkInCode(participantsState.eventId, code)
        .then((after) => {
          toast(t("p.checkedIn", { name: after.name || after.email }), "success");
          this.reload();
        })
        .catch((e) => toastError(toApiError(e)))
        .finally(() => input.focus());
    });
    return field(t("p.scan"), input, { hint: t("p.scanHint") });
  }

  private async checkIn(p: Participant): Promise<void> {
    try {
      const after = await papi.checkIn(p._id);
      toast(t("p.checkedIn", { name: after.name || after.email }), "success");
    } catch (e) {
      toastError(toApiError(e));
    }
    this.reload();
  }

  /** The event's sessions for one participant: join, leave, or wait when full. */
  private async showSessions(p: Participant): Promise<void> {
    let event;
    try {
      event = await api.eventsGet(p.event_id);
    } catch (e) {
      toastError(toApiError(e));
      return;
    }
    const tz = event.timezone || "UTC";
    let current = p;
    const list = h("div", { class: "sess-list", testid: "p-sessions-list" });
    const render = () => {
      replaceChildren(
        list,
        ...event.sessions.map((s) => {
          const joined = (current.sessions ?? []).includes(s.id);
          const waiting = (current.session_waitlist ?? []).some((w) => w.session_id === s.id);
          const act = (f: () => Promise<Participant>) => async () => {
            try {
              current = await f();
              render();
              this.reload();
            } catch (e) {
              toastError(toApiError(e));
            }
          };
          const btn = joined
            ? button(t("p.sessLeave"), { small: true, kind: "danger", testid: "p-sess-leave", onClick: act(() => papi.leaveSession(p._id, s.id)) })
            : waiting
              ? button(t("p.sessLeaveWait"), { small: true, testid: "p-sess-unwait", onClick: act(() => papi.leaveSession(p._id, s.id)) })
              : button(t("p.sessJoin"), { small: true, kind: "primary", testid: "p-sess-join", onClick: act(() => papi.joinSession(p._id, s.id)) });
          return h(
            "div",
            { class: "sess-row", testid: "p-sess-row", "data-state": joined ? "joined" : waiting ? "waiting" : "none" },
            h(
              "div",
              null,
              h("strong", null, s.title),
              h("div", { class: "cell-sub" }, [formatDateTime(s.starts_at, tz), s.room, s.capacity ? t("p.sessCapacity", { n: s.capacity }) : ""].filter(Boolean).join(" · ")),
              joined ? h("span", { class: "chip-sm rsvp-accepted" }, t("p.sessJoined")) : waiting ? h("span", { class: "chip-sm rsvp-waitlisted" }, t("p.sessWaiting")) : null,
            ),
            btn,
          );
        }),
      );
    };
    render();
    await openDialog((close) => {
      const ok = h("button", { type: "button", class: "btn", testid: "p-sessions-close" }, t("common.close"));
      ok.addEventListener("click", () => close("ok"));
      return { title: t("p.sessionsOf", { name: p.name || p.email }), body: [h("div", { class: "dialog-body" }, list), h("footer", { class: "dialog-foot" }, ok)], className: "audit-dialog" };
    });
  }

  private async showAudit(p: Participant): Promise<void> {
    let entries;
    try {
      entries = await papi.audit(p._id);
    } catch (e) {
      toastError(toApiError(e));
      return;
    }
    // Times of the event's day are read in the event's zone, named above the list.
    const tz = this.event()?.timezone || "UTC";
    await openDialog((close) => {
      const list = entries.length
        ? h(
            "ol",
            { class: "audit-list", testid: "p-audit-list" },
            ...entries.map((a) =>
              h(
                "li",
                { class: "audit-entry", testid: "p-audit-entry" },
                h("div", { class: "audit-when" }, formatDateTime(a.at, tz)),
                h(
                  "div",
                  { class: "audit-what" },
                  h("strong", null, t(`audit.${a.action}` as MsgKey)),
                  a.from && a.to ? h("span", { class: "audit-change" }, rsvpPill(a.from), icon("chevronRight", 14), rsvpPill(a.to)) : a.to ? h("span", { class: "audit-change" }, rsvpPill(a.to)) : null,
                ),
                h("div", { class: "audit-who cell-sub" }, t("audit.by", { actor: a.actor || "?" }), a.note ? ` · ${a.note}` : ""),
              ),
            ),
          )
        : h("p", { class: "muted" }, t("audit.empty"));
      const ok = h("button", { type: "button", class: "btn", testid: "p-audit-close" }, t("common.close"));
      ok.addEventListener("click", () => close("ok"));
      return { title: t("audit.title", { name: p.name || p.email }), body: [h("div", { class: "dialog-body" }, list), h("footer", { class: "dialog-foot" }, ok)], className: "audit-dialog" };
    });
  }

  private async openDoor(): Promise<void> {
    const ev = this.event();
    if (!ev) return;
    await openDoorMode(ev);
    this.reload();
  }

  private async startImport(): Promise<void> {
    const ev = this.event();
    if (!ev) return;
    const changed = await openImportWizard(ev._id);
    if (changed) this.reload();
  }

  private async exportCsv(): Promise<void> {
    const ev = this.event();
    if (!ev) return;
    try {
      const r = await papi.export(ev._id, { q: participantsState.q.trim() || undefined, status: participantsState.status || undefined }, getLang());
      if (r) toast(t("p.exported", { n: r.count, path: r.path }), "success");
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  private async addOne(): Promise<void> {
    const ev = this.event();
    if (!ev) return;
    const done = await openDialog((close) => {
      const name = h("input", { class: "input", type: "text", testid: "add-name", autocomplete: "off" });
      const email = h("input", { class: "input", type: "email", testid: "add-email", autocomplete: "off" });
      const company = h("input", { class: "input", type: "text", testid: "add-company", autocomplete: "off" });
      const err = h("p", { class: "field-error", testid: "add-error" });
      err.hidden = true;
      const save = h("button", { type: "button", class: "btn btn-primary", testid: "add-save" }, t("add.save"));
      save.addEventListener("click", async () => {
        try {
          const p = await papi.create(ev._id, { name: name.value, email: email.value, company: company.value });
          toast(t("add.done", { name: p.name || p.email }), "success");
          close("ok");
        } catch (e) {
          const a = toApiError(e);
          err.textContent = errorText(a);
          err.hidden = false;
        }
      });
      const cancel = h("button", { type: "button", class: "btn" }, t("common.cancel"));
      cancel.addEventListener("click", () => close("cancel"));
      return {
        title: t("add.title"),
        body: [h("div", { class: "dialog-body add-grid" }, field(t("add.name"), name), field(t("add.email"), email), field(t("add.company"), company, { optional: true }), err), h("footer", { class: "dialog-foot" }, cancel, save)],
      };
    });
    if (done === "ok") this.reload();
  }

  destroy(): void {
    this.seq++;
    this.unfollow();
  }
}
