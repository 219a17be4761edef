// EventHub front end: start-up, app shell (sidebar, top bar, server badge), navigation.

import { api, hasTauri, listen, toApiError, type DbStatus, type Health, type Language, type Settings } from "./shared/api.js";
import { h, icon, replaceChildren, type IconName } from "./shared/dom.js";
import { getLang, onLangChange, setLang, t, type MsgKey } from "./shared/i18n.js";
import { toast, toastError } from "./shared/ui.js";
import { ListView, listState } from "./features/events/list.js";
import { openServerPanel, serverBadgeText } from "./features/server/panel.js";
import { renderNoTauri, renderSetup, renderSplash } from "./features/server/setup.js";
import { currentEventId, onCurrentEvent, setCurrentEvent } from "./shared/current.js";
import { loadCharts } from "./shared/vendor.js";

// The first screen (the shell and the events list) is all that is loaded at start; the
// other screens are modules of their own, fetched when first opened (and in the
// background once the first screen is up), so that the web view has less to fetch and run
// before its first paint.
const screens = {
  editor: () => import("./features/events/editor.js"),
  participants: () => import("./features/participants/view.js"),
  dashboard: () => loadCharts().then(() => import("./features/dashboard/view.js")),
  social: () => loadCharts().then(() => import("./features/social/view.js")),
  sync: () => import("./features/sync/view.js"),
  settings: () => import("./features/settings/view.js"),
  advanced: () => import("./features/advanced/view.js"),
  lab: () => loadCharts().then(() => import("./features/lab/view.js")),
  recover: () => import("./features/recover/view.js"),
};

/** Loads every other screen's modules while the app is idle (each is fetched once). */
function preloadScreens(): void {
  const load = () => {
    for (const get of Object.values(screens)) void get().catch(() => undefined);
  };
  const idle = (window as Window & { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number }).requestIdleCallback;
  if (idle) idle(load, { timeout: 2000 });
  else setTimeout(load, 500);
}

export interface View {
  el: HTMLElement;
  /** Test id of the sidebar entry this view belongs to (default `nav-events`). */
  navId?: string;
  rerender(): void;
  destroy?(): void;
  canLeave?(): Promise<boolean>;
}

export interface Nav {
  toList(): Promise<void>;
  toEditor(id: string | null): Promise<void>;
  toParticipants(eventId?: string): Promise<void>;
  status(): DbStatus | null;
}

class App implements Nav {
  private root = document.getElementById("app") as HTMLElement;
  private dbStatus: DbStatus | null = null;
  private settings: Settings = { language: "fr", saved_uri: null };
  private mode: "splash" | "setup" | "shell" | null = null;
  private view: View | null = null;
  private main: HTMLElement | null = null;
  private searchInput: HTMLInputElement | null = null;
  private badge: HTMLButtonElement | null = null;
  /** The latest health check of the connected server (null: none yet, shown as fine). */
  private health: Health | null = null;
  private bannerHost: HTMLElement | null = null;
  /** Jobs left half-done are offered once per start. */
  private jobsOffered = false;
  private currentSel: HTMLSelectElement | null = null;
  private currentSeq = 0;
  /** How many `db://status` events have arrived (see `askStatus`). */
  private statusEvents = 0;
  private connectingTimer: number | null = null;
  /** Bumped by every navigation: a screen whose module arrives late is not shown. */
  private navSeq = 0;

  async start(): Promise<void> {
    onCurrentEvent((id) => {
      const sel = this.currentSel;
      if (!sel) return;
      if ([...sel.options].some((o) => o.value === id)) sel.value = id;
      else void this.loadCurrentOptions();
    });
    if (!hasTauri()) {
      replaceChildren(this.root, renderNoTauri());
      return;
    }
    onLangChange(() => this.onLanguageChanged());
    // The settings and the two subscriptions side by side (each is a round trip to the
    // backend); the status is asked for once subscribed, so that no change is missed.
    const [settings] = await Promise.all([
      api.settingsGet().catch(() => null),
      listen<DbStatus>("db://status", (s) => {
        this.statusEvents++;
        this.applyStatus(s);
      }),
      listen<Health>("db://health", (hl) => this.applyHealth(hl)),
    ]);
    if (settings) {
      this.settings = settings;
      setLang(settings.language === "en" ? "en" : "fr");
    } /* else keep French */
    document.documentElement.lang = getLang();
    try {
      await this.askStatus();
    } catch (e) {
      const err = toApiError(e);
      this.applyStatus({ state: "failed", source: null, server: null, engine: null, error: { code: err.code, message: err.message }, health: null });
    }
  }

  /**
   * Asks the backend for the connection's status. An answer is older than any
   * `db://status` event that arrived while it was on its way (the backend records a
   * change, then sends the event): it is then dropped, the event being the news.
   */
  private async askStatus(): Promise<void> {
    const seen = this.statusEvents;
    const s = await api.dbStatus();
    if (this.statusEvents === seen) this.applyStatus(s);
  }

  /**
   * While a connection is being made, asks again every second: should an event have been
   * missed at start (sent while the page subscribed), the screen still follows the
   * database rather than saying "starting" for ever.
   */
  private watchConnecting(): void {
    if (this.connectingTimer !== null) return;
    this.connectingTimer = window.setTimeout(() => {
      this.connectingTimer = null;
      if (this.dbStatus?.state !== "connecting") return;
      const before = this.dbStatus;
      const seen = this.statusEvents;
      api.dbStatus().then(
        (s) => {
          if (this.statusEvents !== seen) return;
          if (s.state !== before.state || s.source !== before.source) this.applyStatus(s);
          else this.watchConnecting();
        },
        () => this.watchConnecting(),
      );
    }, 1000);
  }

  status(): DbStatus | null {
    return this.dbStatus;
  }

  async changeLanguage(l: Language): Promise<void> {
    if (l === getLang()) return;
    setLang(l);
    try {
      await api.settingsSetLanguage(l);
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  private onLanguageChanged(): void {
    document.title = `${t("app.name")} · ${t("app.tagline")}`;
    if (this.mode === "shell") {
      this.buildShell();
      if (this.view && this.main) {
        this.view.rerender();
        replaceChildren(this.main, this.view.el);
      }
      this.updateNav();
    } else if (this.dbStatus) {
      this.mode = null;
      this.applyStatus(this.dbStatus);
    }
  }

  applyStatus(s: DbStatus): void {
    const prev = this.dbStatus;
    this.dbStatus = s;
    if (s.state === "connecting") this.watchConnecting();
    if (s.state !== "ready") this.health = null;
    else if (s.health) this.health = s.health;
    if (s.state === "ready") {
      if (!prev || prev.state !== "ready") performance.mark("eventhub:ready");
      if (this.mode !== "shell") {
        this.mode = "shell";
        this.buildShell();
        void this.toList(true);
      } else {
        this.updateBadge();
        const serverChanged = prev?.server?.uri !== s.server?.uri || prev?.server?.database !== s.server?.database;
        if (serverChanged && this.view instanceof ListView) this.view.reload();
      }
      if (!this.jobsOffered) {
        this.jobsOffered = true;
        void screens.recover().then((m) => m.offerInterruptedJobs());
        preloadScreens();
      }
      return;
    }
    // The embedded engine starting: the window is usable at once, the badge says the
    // database is starting, and what the screens ask for waits for it in the backend.
    if (s.state === "connecting" && s.source === "local" && this.mode !== "setup") {
      if (this.mode !== "shell") {
        this.mode = "shell";
        this.buildShell();
        void this.toList(true);
      } else {
        this.updateBadge();
      }
      return;
    }
    if (s.state === "connecting") {
      this.mode = "splash";
      this.view?.destroy?.();
      this.view = null;
      replaceChildren(this.root, renderSplash(s, this.langSwitch()));
      return;
    }
    if (this.mode === "setup" && prev?.state === "failed" && prev.error?.code === s.error?.code && prev.error?.message === s.error?.message) {
      return; // same failure reported again: keep what the user is typing
    }
    this.mode = "setup";
    this.view?.destroy?.();
    this.view = null;
    replaceChildren(this.root, renderSetup(s, this.settings, this.langSwitch(), (st) => this.applyStatus(st)));
  }

  /** A new health check result: badge, banner, and a word when the database is back. */
  applyHealth(hl: Health): void {
    const prev = this.health;
    this.health = hl;
    if (this.dbStatus) this.dbStatus.health = hl;
    this.updateBadge();
    this.updateBanner();
    if (hl.state === "ok" && prev && prev.state !== "ok") {
      if (hl.restarts > prev.restarts) toast(t("health.restarted"), "success");
      if (this.view instanceof ListView) this.view.reload();
    }
  }

  /** The sentence explaining a health problem, with what to do. */
  private healthText(hl: Health): string {
    if (hl.reason === "not_answering" && !hl.local) return t("health.reason.not_answering_remote");
    return t(`health.reason.${hl.reason ?? "not_answering"}` as MsgKey);
  }

  private updateBanner(): void {
    if (!this.bannerHost) return;
    const hl = this.health;
    if (!hl || hl.state === "ok") {
      replaceChildren(this.bannerHost);
      return;
    }
    const where: Node[] = [];
    if (hl.state === "down" && hl.log_path) where.push(h("div", { class: "alert-detail mono small wrap", testid: "health-log" }, t("health.logs", { path: hl.log_path })));
    if (hl.state === "down" && hl.reason === "disk_full" && hl.data_dir) where.push(h("div", { class: "alert-detail mono small wrap" }, t("health.dataDir", { path: hl.data_dir })));
    replaceChildren(
      this.bannerHost,
      h(
        "div",
        { class: `alert ${hl.state === "down" ? "alert-danger" : "alert-warn"} health-banner`, role: "alert", testid: "health-banner", "data-state": hl.state },
        icon("alert", 18),
        h("div", null, h("strong", null, this.healthText(hl)), ...where),
      ),
    );
  }

  // ---- shell ------------------------------------------------------------------------------

  private langSwitch(): HTMLElement {
    const mk = (l: Language, key: MsgKey, long: MsgKey) => {
      const b = h("button", { type: "button", class: "seg", "aria-pressed": String(getLang() === l), lang: l, title: t(long), "aria-label": t(long) }, t(key));
      b.addEventListener("click", () => void this.changeLanguage(l));
      return b;
    };
    return h("div", { class: "segmented", role: "group", "aria-label": t("top.language") }, mk("fr", "lang.fr", "lang.frLong"), mk("en", "lang.en", "lang.enLong"));
  }

  private navItem(key: MsgKey, iconName: IconName, testid: string | null, onClick: (() => void) | null): HTMLElement {
    if (!onClick) {
      return h(
        "li",
        null,
        h(
          "button",
          { type: "button", class: "nav-item", disabled: true, "aria-disabled": "true" },
          icon(iconName),
          h("span", { class: "nav-label" }, t(key)),
          h("span", { class: "soon" }, t("nav.soon")),
        ),
      );
    }
    const b = h("button", { type: "button", class: "nav-item", testid: testid ?? undefined }, icon(iconName), h("span", { class: "nav-label" }, t(key)));
    b.addEventListener("click", onClick);
    return h("li", null, b);
  }

  private buildShell(): void {
    if (this.mode === "shell" && !this.root.querySelector(".shell")) performance.mark("eventhub:shell");
    const sidebar = h(
      "nav",
      { class: "sidebar", "aria-label": t("nav.main") },
      h(
        "div",
        { class: "brand" },
        h("div", { class: "brand-mark", "aria-hidden": "true" }, icon("calendar", 20)),
        h("div", null, h("div", { class: "brand-name" }, t("app.name")), h("div", { class: "brand-sub" }, t("app.tagline"))),
      ),
      h(
        "ul",
        { class: "nav" },
        this.navItem("nav.events", "calendar", "nav-events", () => void this.toList()),
        this.navItem("nav.participants", "users", "nav-participants", () => void this.toParticipants()),
        this.navItem("nav.dashboard", "chart", "nav-dashboard", () => void this.toDashboard()),
        this.navItem("nav.social", "globe", "nav-social", () => void this.toSocial()),
        this.navItem("nav.sync", "refresh", "nav-sync", () => void this.toSync()),
        this.navItem("nav.settings", "sliders", "nav-settings", () => void this.toSettings()),
      ),
      h("ul", { class: "nav nav-bottom" }, this.navItem("nav.advanced", "flask", "nav-advanced", () => void this.toAdvanced())),
    );

    const search = h("input", {
      type: "search",
      id: "global-search",
      class: "search-input",
      testid: "search",
      placeholder: t("top.search"),
      "aria-label": t("top.searchLabel"),
      autocomplete: "off",
      spellcheck: "false",
      value: listState.q,
    });
    search.addEventListener("input", () => void this.onSearch(search.value, false));
    search.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        void this.onSearch(search.value, true);
      } else if (ev.key === "Escape" && search.value) {
        ev.preventDefault();
        search.value = "";
        void this.onSearch("", true);
      }
    });
    this.searchInput = search;

    this.badge = h("button", { type: "button", class: "server-badge", "aria-haspopup": "dialog", testid: "server-badge" });
    this.badge.addEventListener("click", () => {
      if (this.dbStatus) openServerPanel(this.dbStatus, this.settings, (st) => this.applyStatus(st));
    });
    this.updateBadge();

    // The current event, shared by every screen: chosen here or by opening an event.
    const cur = h("select", { class: "input input-sm current-select", id: "current-event", testid: "current-event", "aria-label": t("current.label") });
    cur.addEventListener("change", () => setCurrentEvent(cur.value));
    cur.addEventListener("mousedown", () => void this.loadCurrentOptions());
    // Redrawn (a change of language): keep showing the current event while the list reloads.
    const prev = this.currentSel;
    if (prev) {
      for (const o of [...prev.children]) cur.appendChild(o.cloneNode(true));
      cur.value = prev.value;
    }
    this.currentSel = cur;
    void this.loadCurrentOptions();

    const topbar = h(
      "header",
      { class: "topbar" },
      h("div", { class: "search" }, icon("search", 18), search),
      h("div", { class: "current-event" }, h("label", { for: "current-event", class: "current-label" }, icon("calendar", 16), h("span", null, t("current.label"))), cur),
      h("div", { class: "topbar-right" }, this.langSwitch(), this.badge),
    );

    this.main = h("main", { class: "main", id: "main", tabindex: "-1" });
    this.bannerHost = h("div", { class: "health-host", "aria-live": "polite" });
    this.updateBanner();
    replaceChildren(this.root, h("div", { class: "shell" }, sidebar, h("div", { class: "content" }, topbar, this.bannerHost, this.main)));
  }

  /** The header's event list: upcoming first (soonest first), then past ones (latest first). */
  private async loadCurrentOptions(): Promise<void> {
    const sel = this.currentSel;
    if (!sel) return;
    const mine = ++this.currentSeq;
    try {
      const now = new Date().toISOString();
      const [up, past] = await Promise.all([api.eventsList({ from: now, sort: "starts_at", per_page: 100 }), api.eventsList({ to: now, sort: "starts_at_desc", per_page: 100 })]);
      if (mine !== this.currentSeq || sel !== this.currentSel) return;
      const seen = new Set<string>();
      const opts = (items: typeof up.items) =>
        items.filter((e) => !seen.has(e._id) && seen.add(e._id)).map((e) => h("option", { value: e._id }, e.title));
      const upcoming = opts(up.items);
      const older = opts(past.items);
      let id = currentEventId();
      if (id && !seen.has(id)) {
        // Further down the lists (or deleted): ask for it by id.
        const e = await api.eventsGet(id).catch(() => null);
        if (e) upcoming.unshift(h("option", { value: e._id }, e.title));
        else id = "";
      }
      replaceChildren(
        sel,
        h("option", { value: "" }, t("current.none")),
        upcoming.length ? h("optgroup", { label: t("current.upcoming") }, ...upcoming) : null,
        older.length ? h("optgroup", { label: t("current.past") }, ...older) : null,
      );
      sel.value = id;
      if (id !== currentEventId()) setCurrentEvent(id);
    } catch {
      /* the list stays as it was; the screens still work with their own choice */
    }
  }

  private updateBadge(): void {
    if (!this.badge) return;
    const s = this.dbStatus;
    const hl = this.health;
    let state: string = s?.state ?? "connecting";
    // Plain words for the event manager; the engine and its version are in the tooltip,
    // the server panel and the Advanced area.
    let text = !s ? t("server.connecting") : s.state === "ready" && s.server ? t(s.source === "local" ? "server.words.local" : "server.words.remote") : serverBadgeText(s);
    this.badge.title = s ? serverBadgeText(s) : "";
    if (s?.state === "ready" && hl && hl.state !== "ok") {
      state = hl.state === "down" ? "failed" : "connecting";
      text = hl.state === "reconnecting" ? t("health.reconnecting") : hl.local ? t("health.down") : t("health.remoteDown");
    }
    this.badge.dataset.health = s?.state === "ready" ? (hl?.state ?? "ok") : s?.state ?? "connecting";
    replaceChildren(
      this.badge,
      h("span", { class: `dot dot-${state}`, "aria-hidden": "true" }),
      icon("database", 16),
      h("span", { class: "badge-text" }, text),
    );
    this.badge.setAttribute("aria-label", `${t("server.badge")} : ${text}`);
  }

  /** Marks the sidebar entry of the current view (its `nav` test id; events by default). */
  private updateNav(): void {
    const current = this.view ? (this.view.navId ?? "nav-events") : null;
    for (const btn of this.root.querySelectorAll<HTMLButtonElement>(".sidebar .nav-item[data-testid]")) {
      if (btn.dataset.testid === current) btn.setAttribute("aria-current", "page");
      else btn.removeAttribute("aria-current");
    }
  }

  private async onSearch(q: string, immediate: boolean): Promise<void> {
    if (!(this.view instanceof ListView)) {
      listState.q = q;
      listState.page = 1;
      if (!immediate && q.trim() === "") return;
      await this.toList();
      this.searchInput?.focus();
      return;
    }
    this.view.setQuery(q, immediate);
  }

  // ---- navigation ---------------------------------------------------------------------------

  private async show(view: View): Promise<void> {
    void this.loadCurrentOptions();
    this.view?.destroy?.();
    this.view = view;
    if (this.main) {
      replaceChildren(this.main, view.el);
      this.main.scrollTop = 0;
    }
    this.updateNav();
  }

  /**
   * Leaves the current view (if it lets us), loads the next screen's module, and shows
   * the view `make` builds from it — unless another navigation started meanwhile.
   */
  private async go<M, V extends View>(load: () => Promise<M>, make: (m: M) => V, force = false): Promise<V | null> {
    if (!force && this.view?.canLeave && !(await this.view.canLeave())) return null;
    const mine = ++this.navSeq;
    const m = await load();
    if (mine !== this.navSeq) return null;
    const view = make(m);
    await this.show(view);
    return view;
  }

  async toList(force = false): Promise<void> {
    await this.go(
      async () => undefined,
      () => {
        if (this.searchInput) this.searchInput.value = listState.q;
        return new ListView(this);
      },
      force,
    );
  }

  async toParticipants(eventId?: string): Promise<void> {
    await this.go(screens.participants, (m) => new m.ParticipantsView(eventId, this));
  }

  async toAdvanced(): Promise<void> {
    await this.go(screens.advanced, (m) => new m.AdvancedView(this));
  }

  async toLab(): Promise<void> {
    await this.go(screens.lab, (m) => new m.LabView());
  }

  async toDashboard(): Promise<void> {
    await this.go(screens.dashboard, (m) => new m.DashboardView());
  }

  async toSync(): Promise<void> {
    await this.go(screens.sync, (m) => new m.SyncView());
  }

  async toSocial(): Promise<void> {
    await this.go(screens.social, (m) => new m.SocialView());
  }

  async toSettings(): Promise<void> {
    await this.go(screens.settings, (m) => new m.SettingsView());
  }

  async toEditor(id: string | null): Promise<void> {
    const ed = await this.go(screens.editor, (m) => {
      if (id) setCurrentEvent(id);
      return new m.EditorView(this, id);
    });
    ed?.focusFirst();
  }
}

// Start-up marks, read by e2e/bench-start.mjs: every module has run by now.
performance.mark("eventhub:main");
const app = new App();
document.title = `${t("app.name")} · ${t("app.tagline")}`;
void app.start();
