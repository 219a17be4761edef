// Events list: search, filters, status counts, table, pagination, empty state.

import { api, STATUSES, toApiError, type EventQuery, type EventSummary, type Page, type Sort, type Status, type StatusCount, type Total } from "../../shared/api.js";
import { debounce, h, icon, replaceChildren } from "../../shared/dom.js";
import { formatDayWords, formatNumber, formatRange, statusLabel, t, type MsgKey } from "../../shared/i18n.js";
import type { Nav, View } from "../../main.js";
import { localZone, wallToUtc } from "../../shared/tz.js";
import { button, confirmDialog, dateWords, iconButton, statusPill, toast, toastError } from "../../shared/ui.js";

const PER_PAGE = 20;
const SORTS: Sort[] = ["starts_at", "starts_at_desc", "title", "updated_at"];

/** Survives navigation: coming back to the list keeps the search and filters. */
export const listState = {
  q: "",
  status: "" as Status | "",
  tag: "",
  venue: "",
  from: "",
  to: "",
  sort: "starts_at" as Sort,
  /** Upcoming (not over yet) by default, past ones, or all. */
  when: "upcoming" as When,
  page: 1,
};

type When = "upcoming" | "past" | "all";
const WHENS: When[] = ["upcoming", "past", "all"];

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function buildQuery(): EventQuery {
  const tz = localZone();
  const q: EventQuery = { sort: listState.sort, page: listState.page, per_page: PER_PAGE };
  if (listState.q.trim()) q.q = listState.q.trim();
  if (listState.status) q.status = listState.status;
  if (listState.tag) q.tag = listState.tag;
  if (listState.venue.trim()) q.venue = listState.venue.trim();
  if (listState.from) q.from = wallToUtc(`${listState.from}T00:00`, tz) ?? undefined;
  if (listState.to) q.to = wallToUtc(`${nextDay(listState.to)}T00:00`, tz) ?? undefined;
  // Upcoming: not over yet (`from` keeps events that end after it); past: already started.
  const now = new Date().toISOString();
  if (listState.when === "upcoming" && (!q.from || q.from < now)) q.from = now;
  if (listState.when === "past" && (!q.to || q.to > now)) q.to = now;
  return q;
}

function filtersActive(): boolean {
  return Boolean(listState.q.trim() || listState.status || listState.tag || listState.venue.trim() || listState.from || listState.to);
}

export class ListView implements View {
  el = h("div", { class: "page list-page" });
  private page: Page | null = null;
  /** How many match: from the page when it says it, else counted after it is shown. */
  private total: Total | null = null;
  private counts: StatusCount[] = [];
  private tags: string[] = [];
  private loading = true;
  private seq = 0;
  private results = h("div", { class: "results" });
  private chips = h("div", { class: "chips", role: "group" });
  private toolbar = h("div", { class: "list-toolbar" });
  private filters: HTMLElement | null = null;
  private resetBtn: HTMLButtonElement | null = null;
  private tagSelect: HTMLSelectElement | null = null;
  private debounced = debounce(() => this.reload(), 250);

  constructor(private nav: Nav) {
    this.rerender();
    this.reload();
  }

  setQuery(q: string, immediate: boolean): void {
    listState.q = q;
    listState.page = 1;
    if (immediate) this.reload();
    else this.debounced();
  }

  reload(): void {
    const mine = ++this.seq;
    this.loading = true;
    this.el.classList.add("is-loading");
    const query = buildQuery();
    Promise.all([api.eventsList(query), api.eventsStatusCounts().catch(() => this.counts), api.eventsTags().catch(() => this.tags)])
      .then(([page, counts, tags]) => {
        if (mine !== this.seq) return;
        // Past the last page (after a delete, say): step back to the last one.
        if (page.items.length === 0 && listState.page > 1) {
          void api.eventsCount(query).then((n) => {
            if (mine !== this.seq) return;
            listState.page = Math.max(1, Math.ceil(n.total / PER_PAGE));
            this.reload();
          }, (e: unknown) => mine === this.seq && toastError(toApiError(e)));
          return;
        }
        this.page = page;
        // The page is shown at once; the count (a second, capped query) follows.
        this.total = page.total === null ? null : { total: page.total, capped: false };
        if (page.total === null) {
          api.eventsCount(query).then(
            (n) => {
              if (mine !== this.seq) return;
              this.total = n;
              this.renderCount();
            },
            () => undefined,
          );
        }
        this.counts = counts;
        this.tags = tags;
        this.loading = false;
        this.el.classList.remove("is-loading");
        this.renderTagOptions();
        this.renderResults();
      })
      .catch((e) => {
        if (mine !== this.seq) return;
        this.loading = false;
        this.el.classList.remove("is-loading");
        toastError(toApiError(e));
        this.renderResults();
      });
  }

  rerender(): void {
    const newBtn = button(t("list.new"), { kind: "primary", icon: "plus", testid: "new-event", onClick: () => void this.nav.toEditor(null) });
    const header = h(
      "div",
      { class: "page-head" },
      h("div", null, h("h1", { class: "page-title" }, t("list.title")), h("p", { class: "page-sub", id: "list-sub" })),
      newBtn,
    );
    this.chips.setAttribute("aria-label", t("list.countsLabel"));
    this.filters = this.filterBar();
    replaceChildren(this.toolbar, this.whenControl(), this.chips, this.sortControl());
    replaceChildren(this.el, header, this.toolbar, this.filters, this.results);
    this.renderTagOptions();
    this.renderResults();
  }

  private filterBar(): HTMLElement {
    const status = h(
      "select",
      { id: "flt-status", class: "input", testid: "filter-status" },
      h("option", { value: "" }, t("status.all")),
      ...STATUSES.map((s) => h("option", { value: s, selected: listState.status === s }, statusLabel(s))),
    );
    status.value = listState.status;
    status.addEventListener("change", () => {
      listState.status = status.value as Status | "";
      listState.page = 1;
      this.reload();
    });

    const tag = h("select", { id: "flt-tag", class: "input", testid: "filter-tag" });
    tag.addEventListener("change", () => {
      listState.tag = tag.value;
      listState.page = 1;
      this.reload();
    });
    this.tagSelect = tag;

    const venue = h("input", { id: "flt-venue", class: "input", type: "text", placeholder: t("list.venuePlaceholder"), value: listState.venue, testid: "filter-venue", autocomplete: "off" });
    venue.addEventListener("input", () => {
      listState.venue = venue.value;
      listState.page = 1;
      this.debounced();
    });
    venue.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") this.reload();
    });

    const from = h("input", { id: "flt-from", class: "input", type: "date", value: listState.from, testid: "filter-from" });
    const to = h("input", { id: "flt-to", class: "input", type: "date", value: listState.to, testid: "filter-to" });
    const onDates = () => {
      listState.from = from.value;
      listState.to = to.value;
      to.min = from.value;
      listState.page = 1;
      this.reload();
    };
    from.addEventListener("change", onDates);
    to.addEventListener("change", onDates);
    to.min = listState.from;

    const reset = button(t("list.reset"), { kind: "subtle", small: true, icon: "close", testid: "reset-filters" });
    reset.addEventListener("click", () => this.resetFilters());
    reset.hidden = !filtersActive();
    this.resetBtn = reset;

    const f = (id: string, label: string, control: HTMLElement, cls = "", extra: HTMLElement | null = null) =>
      h("div", { class: `filter ${cls}` }, h("label", { for: id, class: "filter-label" }, label), control, extra);

    return h(
      "div",
      { class: "filter-bar card", role: "search", "aria-label": t("list.filters") },
      f("flt-status", t("list.status"), status),
      f("flt-tag", t("list.tag"), tag),
      f("flt-venue", t("list.venue"), venue, "grow"),
      f("flt-from", t("list.from"), from, "", dateWords(from, () => formatDayWords(from.value))),
      f("flt-to", t("list.to"), to, "", dateWords(to, () => formatDayWords(to.value))),
      h("div", { class: "filter filter-reset" }, reset),
    );
  }

  private whenControl(): HTMLElement {
    const mk = (w: When) => {
      const b = h("button", { type: "button", class: "seg", "aria-pressed": String(listState.when === w), testid: `when-${w}` }, t(`list.when.${w}` as MsgKey));
      b.addEventListener("click", () => {
        if (listState.when === w) return;
        listState.when = w;
        // Soonest first for what is coming, latest first for what is over.
        if (w === "past" && listState.sort === "starts_at") listState.sort = "starts_at_desc";
        if (w === "upcoming" && listState.sort === "starts_at_desc") listState.sort = "starts_at";
        listState.page = 1;
        this.rerender();
        this.reload();
      });
      return b;
    };
    return h("div", { class: "segmented when", role: "group", "aria-label": t("list.when") }, ...WHENS.map(mk));
  }

  private sortControl(): HTMLElement {
    const sort = h("select", { id: "flt-sort", class: "input input-sm", testid: "sort" }, ...SORTS.map((s) => h("option", { value: s }, t(`list.sort.${s}` as MsgKey))));
    sort.value = listState.sort;
    sort.addEventListener("change", () => {
      listState.sort = sort.value as Sort;
      listState.page = 1;
      this.reload();
    });
    return h("div", { class: "sort" }, h("label", { for: "flt-sort", class: "filter-label" }, t("list.sort")), sort);
  }

  private resetFilters(): void {
    Object.assign(listState, { q: "", status: "", tag: "", venue: "", from: "", to: "", page: 1 });
    const search = document.querySelector<HTMLInputElement>('[data-testid="search"]');
    if (search) search.value = "";
    this.rerender();
    this.reload();
  }

  private renderTagOptions(): void {
    const sel = this.tagSelect;
    if (!sel) return;
    const tags = [...this.tags];
    if (listState.tag && !tags.includes(listState.tag)) tags.unshift(listState.tag);
    replaceChildren(sel, h("option", { value: "" }, t("list.allTags")), ...tags.map((x) => h("option", { value: x }, x)));
    sel.value = listState.tag;
  }

  private renderChips(): void {
    const total = this.counts.reduce((a, c) => a + c.count, 0);
    const chip = (value: Status | "", label: string, n: number) => {
      const b = h(
        "button",
        { type: "button", class: `chip chip-${value || "all"}`, "aria-pressed": String(listState.status === value), testid: `count-${value || "all"}` },
        value ? h("span", { class: `pill-dot dot-${value}`, "aria-hidden": "true" }) : null,
        h("span", null, label),
        h("span", { class: "chip-n" }, formatNumber(n)),
      );
      b.addEventListener("click", () => {
        listState.status = listState.status === value ? "" : value;
        listState.page = 1;
        const sel = this.el.querySelector<HTMLSelectElement>("#flt-status");
        if (sel) sel.value = listState.status;
        this.reload();
      });
      return b;
    };
    const byStatus = new Map(this.counts.map((c) => [c.status, c.count]));
    replaceChildren(this.chips, chip("", t("status.all"), total), ...STATUSES.map((s) => chip(s, statusLabel(s), byStatus.get(s) ?? 0)));
  }

  private renderResults(): void {
    this.renderChips();
    if (this.resetBtn) this.resetBtn.hidden = !filtersActive();
    // No event at all (not merely none upcoming): the welcome card instead of the table.
    const none = this.counts.reduce((a, c) => a + c.count, 0) === 0;
    const bare = Boolean(this.page && this.page.total === 0 && !filtersActive() && none);
    this.toolbar.hidden = bare;
    if (this.filters) this.filters.hidden = bare;
    const page = this.page;
    this.renderCount();
    if (!page) {
      replaceChildren(this.results, h("div", { class: "card loading-card" }, h("div", { class: "spinner" }), t("common.loading")));
      return;
    }
    if (page.total === 0 && !filtersActive() && none) {
      replaceChildren(this.results, this.emptyState());
      return;
    }
    if (page.total === 0 && !filtersActive()) {
      const all = button(t("list.when.showAll"), { testid: "when-show-all" });
      all.addEventListener("click", () => {
        listState.when = "all";
        this.rerender();
        this.reload();
      });
      replaceChildren(this.results, h("div", { class: "card empty", testid: "when-empty" }, h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("calendar", 28)), h("h2", null, t(listState.when === "past" ? "list.when.nonePast" : "list.when.noneUpcoming")), h("div", { class: "empty-actions" }, all, button(t("list.new"), { kind: "primary", icon: "plus", onClick: () => void this.nav.toEditor(null) }))));
      return;
    }
    if (page.items.length === 0) {
      replaceChildren(
        this.results,
        h(
          "div",
          { class: "card empty" },
          h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("search", 28)),
          h("h2", null, t("list.noResults")),
          h("p", { class: "muted" }, t("list.noResultsText")),
          button(t("list.reset"), { onClick: () => this.resetFilters() }),
        ),
      );
      return;
    }

    const table = h(
      "table",
      { class: "events-table" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", { scope: "col", class: "col-event" }, t("list.col.event")),
          h("th", { scope: "col", class: "col-dates" }, t("list.col.dates")),
          h("th", { scope: "col", class: "col-venue" }, t("list.col.venue")),
          h("th", { scope: "col", class: "col-status" }, t("list.col.status")),
          h("th", { scope: "col", class: "col-content" }, t("list.col.content")),
          h("th", { scope: "col", class: "col-actions" }, h("span", { class: "sr-only" }, t("list.col.actions"))),
        ),
      ),
      h("tbody", null, ...page.items.map((e) => this.row(e))),
    );

    const prev = iconButton("chevronLeft", t("list.prev"), () => this.goPage(page.page - 1), { testid: "page-prev" });
    const next = iconButton("chevronRight", t("list.next"), () => this.goPage(page.page + 1), { testid: "page-next" });
    prev.disabled = page.page <= 1;
    next.disabled = !page.more;
    const mode = page.search_mode
      ? h("span", { class: "search-mode", testid: "search-mode" }, icon("info", 14), t(page.search_mode === "text" ? "list.searchMode.text" : "list.searchMode.terms"))
      : h("span");
    const footer = h(
      "div",
      { class: "table-foot" },
      mode,
      h("div", { class: "pager" }, h("span", { class: "pager-range", testid: "page-range" }), prev, next),
    );
    replaceChildren(this.results, h("div", { class: "card table-card" }, table, footer));
    this.renderCount();
  }

  /** The subtitle and the pager's range: what is known of the count so far. */
  private renderCount(): void {
    const page = this.page;
    const sub = this.el.querySelector("#list-sub");
    const n = this.total;
    const from = page ? (page.page - 1) * page.per_page + 1 : 0;
    const to = page ? from + page.items.length - 1 : 0;
    if (sub) {
      sub.textContent = !page
        ? t("common.loading")
        : !n
          ? t("list.subtitleCounting", { n: formatNumber(to) })
          : n.capped
            ? t("list.subtitleCapped", { n: formatNumber(n.total) })
            : t("list.subtitle", { n: n.total });
    }
    const range = this.el.querySelector("[data-testid=page-range]");
    if (range && page) {
      range.textContent = !n
        ? t("list.rangeOpen", { from, to: formatNumber(to) })
        : t("list.range", { from, to, total: n.capped ? `${formatNumber(n.total)}+` : n.total });
    }
  }

  private goPage(p: number): void {
    listState.page = Math.max(1, p);
    this.reload();
    const main = document.getElementById("main");
    if (main) main.scrollTop = 0;
  }

  private row(e: EventSummary): HTMLElement {
    const range = formatRange(e.starts_at, e.ends_at, e.timezone);
    const open = h("button", { type: "button", class: "row-title" }, e.title);
    open.addEventListener("click", () => void this.nav.toEditor(e._id));
    const tr = h(
      "tr",
      { testid: "event-row", "data-id": e._id },
      h(
        "td",
        { class: "col-event" },
        open,
        e.tags.length ? h("div", { class: "tags" }, ...e.tags.slice(0, 4).map((x) => h("span", { class: "tag" }, x)), e.tags.length > 4 ? h("span", { class: "tag tag-more" }, `+${e.tags.length - 4}`) : null) : null,
      ),
      h("td", { class: "col-dates" }, h("div", { class: "cell-main" }, range.days), h("div", { class: "cell-sub" }, range.hours)),
      h(
        "td",
        { class: "col-venue" },
        e.venue_name ? h("div", { class: "cell-main venue" }, icon("mapPin", 14), h("span", null, e.venue_name)) : h("span", { class: "muted" }, t("list.noVenue")),
      ),
      h("td", { class: "col-status" }, statusPill(e.status)),
      h(
        "td",
        { class: "col-content" },
        h("div", { class: "cell-sub counts" }, icon("mic", 14), t("list.speakers", { n: e.speakers })),
        h("div", { class: "cell-sub counts" }, icon("clock", 14), t("list.sessions", { n: e.sessions })),
      ),
      h(
        "td",
        { class: "col-actions" },
        h(
          "div",
          { class: "row-actions" },
          iconButton("edit", `${t("list.open")} — ${e.title}`, () => void this.nav.toEditor(e._id), { testid: "row-open" }),
          iconButton("users", `${t("nav.participants")} — ${e.title}`, () => void this.nav.toParticipants(e._id), { testid: "row-participants" }),
          iconButton("copy", `${t("list.duplicate")} — ${e.title}`, () => void this.duplicate(e), { testid: "row-duplicate" }),
          iconButton("trash", `${t("list.delete")} — ${e.title}`, () => void this.remove(e), { testid: "row-delete", danger: true }),
        ),
      ),
    );
    tr.addEventListener("click", (ev) => {
      if ((ev.target as HTMLElement).closest("button")) return;
      void this.nav.toEditor(e._id);
    });
    return tr;
  }

  private async duplicate(e: EventSummary): Promise<void> {
    try {
      const copy = await api.eventsDuplicate(e._id, null);
      toast(t("list.duplicated", { title: copy.title }), "success");
      this.reload();
    } catch (err) {
      toastError(toApiError(err));
    }
  }

  private async remove(e: EventSummary): Promise<void> {
    const ok = await confirmDialog({
      title: t("list.deleteTitle"),
      text: t("list.deleteText", { title: e.title }),
      confirm: t("common.delete"),
      danger: true,
    });
    if (!ok) return;
    try {
      await api.eventsDelete(e._id, e.version);
      toast(t("list.deleted"), "success");
    } catch (err) {
      const ae = toApiError(err);
      if (ae.code === "conflict") toast(t("list.changedMeanwhile"), "error");
      else if (ae.code !== "not_found") toastError(ae);
    }
    this.reload();
  }

  private emptyState(): HTMLElement {
    const seed = button(t("list.seed"), { kind: "primary", icon: "sparkles", testid: "seed-demo" });
    seed.addEventListener("click", async () => {
      seed.disabled = true;
      try {
        const n = await api.seedDemo();
        toast(t("list.seeded", { n }), "success");
        this.reload();
      } catch (e) {
        toastError(toApiError(e));
        seed.disabled = false;
      }
    });
    const create = button(t("list.new"), { icon: "plus", onClick: () => void this.nav.toEditor(null) });
    return h(
      "div",
      { class: "card empty", testid: "empty-state" },
      h("div", { class: "empty-art", "aria-hidden": "true" }, icon("calendar", 36)),
      h("h2", null, t("list.emptyTitle")),
      h("p", { class: "muted" }, t("list.emptyText")),
      h("div", { class: "empty-actions" }, seed, create),
    );
  }

  destroy(): void {
    this.seq++;
  }

  isLoading(): boolean {
    return this.loading;
  }
}
