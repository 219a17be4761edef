// Dashboard: live polls (create, open/close, link + QR for phones) and the event's analytics
// (funnel, sessions, NPS, distributions, free text, interactions over time — answers,
// check-ins, connections, mentions — cross-event overview) as Chart.js charts with tables
// beside them. Refreshed live on `dashboard_watch` notifications;
// exports to CSV (core) and a self-contained HTML snapshot.

import { api, toApiError, type EventDoc, type EventSummary } from "../../shared/api.js";
import { invitationsApi, qrImage } from "../invitations/api.js";
import { socialApi, type Analysis, type Post } from "../social/api.js";
import { dashboardApi, type Change, type Dashboard, type NetworkingStats, type OverviewRow, type Question, type QuestionInput, type QuestionKind, type TimePoint } from "./api.js";
import { h, replaceChildren } from "../../shared/dom.js";
import { formatAxis, formatDateTime, formatDecimal, formatNumber, formatTime, getLang, t, type MsgKey } from "../../shared/i18n.js";
import { wallToUtc, zoneCity } from "../../shared/tz.js";
import { currentEventId, onCurrentEvent, setCurrentEvent } from "../../shared/current.js";
import type { View } from "../../main.js";
import { button, field, toast, toastError } from "../../shared/ui.js";
import { Charts, DASH_CSS, paletteColor, scoreColor, snapshotOf } from "./charts.js";
import { rootRuleFor, token } from "../../shared/tokens.js";

const KINDS: QuestionKind[] = ["rating", "nps", "single", "multiple", "text"];

function ensureCss(): void {
  if (document.getElementById("dash-css")) return;
  const st = document.createElement("style");
  st.id = "dash-css";
  st.textContent = DASH_CSS;
  document.head.appendChild(st);
}

const pct = (x: number) => `${Math.round(x * 100)} %`;

/**
 * The timeline with its empty buckets put back (the server returns only buckets with
 * something in them), so that the time axis is even; left as it is when that would make
 * more than 400 columns (mentions spread over weeks).
 */
function withEmptyBuckets(d: Dashboard): TimePoint[] {
  const unit = d.bucket === "minute" ? 60_000 : d.bucket === "hour" ? 3_600_000 : 86_400_000;
  const step = unit * Math.max(1, d.bucket_size);
  const at = d.timeline.map((p) => Date.parse(p.at));
  const first = Math.min(...at);
  const last = Math.max(...at);
  if ((last - first) / step > 400) return d.timeline;
  const byTime = new Map(d.timeline.map((p, i) => [at[i], p]));
  const out: TimePoint[] = [];
  for (let t = first; t <= last; t += step) {
    out.push(byTime.get(t) ?? { at: new Date(t).toISOString(), answers: 0, check_ins: 0, connections: 0, mentions: 0 });
  }
  return out;
}

function table(head: string[], rows: (string | number)[][], testid?: string): HTMLTableElement {
  return h(
    "table",
    { class: "dash-table", testid },
    h("thead", null, h("tr", null, ...head.map((x, i) => h("th", { class: i > 0 ? "n" : "" }, x)))),
    h("tbody", null, ...rows.map((r) => h("tr", null, ...r.map((c, i) => h("td", { class: i > 0 ? "n" : "" }, typeof c === "number" ? formatNumber(c) : c))))),
  );
}

export class DashboardView implements View {
  el = h("div", { class: "page dashboard-page" });
  navId = "nav-dashboard";
  private events: EventSummary[] = [];
  private eventId: string | null = null;
  private event: EventDoc | null = null;
  private questions: Question[] = [];
  private data: Dashboard | null = null;
  private overview: OverviewRow[] = [];
  private watchId: number | null = null;
  private liveMode: "change_stream" | "polling" | null = null;
  private refreshing = false;
  private dirty = false;
  /** Notifications received since the figures were last computed. */
  private pending: Change[] = [];
  private overviewAt = 0;
  /** Networking figures and the social wall: reloaded when connections or posts change (live notifications), at most every 5 s, and every 10 s on their own. */
  private networking: NetworkingStats | null = null;
  private social: { analysis: Analysis; wall: Post[] } | null = null;
  private extrasAt = 0;
  private extrasTimer: number | null = null;
  private destroyed = false;
  private charts = new Charts();
  private links = new Map<string, { url: string; qr: string }>();
  /** The question whose wording is being edited (one at a time). */
  private editing: string | null = null;
  private dataEl = h("div", { class: "dash-data", testid: "dash-data" });
  private qListEl = h("div", { class: "dash-qlist", testid: "q-list" });
  private headEl = h("div");
  private pollsEl = h("div");

  /** Stops following the current event (header). */
  private unfollow = onCurrentEvent((id) => {
    if (id && id !== this.eventId && this.events.some((e) => e._id === id)) void this.select(id);
  });

  constructor() {
    ensureCss();
    this.rerender();
    void this.init();
    this.extrasTimer = window.setInterval(() => {
      if (!this.refreshing && this.data && Date.now() - this.extrasAt > 9000) {
        void this.loadExtras(this.data.event_id).then((changed) => changed && this.renderData());
      }
    }, 10000);
  }

  /** Networking figures and the social analysis and wall; true when they changed. */
  private async loadExtras(id: string): Promise<boolean> {
    try {
      const [n, a, w] = await Promise.all([dashboardApi.networking(id), socialApi.analysis(id), socialApi.wall(id, 12)]);
      this.extrasAt = Date.now();
      if (id !== this.eventId) return false;
      const before = JSON.stringify([this.networking, this.social?.wall, this.social?.analysis.engagement, this.social?.analysis.sentiment]);
      this.networking = n;
      this.social = { analysis: a, wall: w };
      return before !== JSON.stringify([n, w, a.engagement, a.sentiment]);
    } catch (e) {
      toastError(toApiError(e));
      return false;
    }
  }

  private async init(): Promise<void> {
    try {
      const page = await api.eventsList({ sort: "starts_at_desc", per_page: 100 });
      this.events = page.items;
      // Unless an event was chosen meanwhile (the list is usable as soon as it shows).
      const cur = currentEventId();
      const first = this.events.some((e) => e._id === cur) ? cur : this.events[0]?._id;
      if (first && this.eventId === null) {
        setCurrentEvent(first);
        await this.select(first);
      } else this.rerender();
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  /** Bumped by each `select`: a slower, older one gives up its watch. */
  private gen = 0;

  private async select(id: string): Promise<void> {
    const g = ++this.gen;
    this.eventId = id;
    // Nothing of the previous event stays on screen while this one loads.
    this.event = null;
    this.data = null;
    this.questions = [];
    this.networking = null;
    this.social = null;
    this.pending = [];
    this.editing = null;
    this.renderHead();
    this.renderQuestions();
    this.renderData();
    // The badge keeps its mode while the watch is re-opened (the mode is the server's, not
    // the event's): it reads "off" only when watching fails.
    await this.stopWatch(true);
    this.links.clear();
    try {
      const event = await api.eventsGet(id);
      if (g !== this.gen) return;
      this.event = event;
      this.renderHead();
      this.renderPolls();
      this.renderData();
      // Watch first, then load: nothing written in between is missed, and what a
      // notification repeats of the load is not counted twice (`counted_until`).
      const w = await dashboardApi.watch(id, (c) => {
        if (g !== this.gen) return;
        if (c.connections || c.mentions) this.extrasAt = 0;
        this.pending.push(c);
        void this.refresh();
      });
      if (this.destroyed || g !== this.gen) {
        await dashboardApi.unwatch(w.id);
        return;
      }
      this.watchId = w.id;
      this.liveMode = w.mode;
      this.renderHead();
      await this.refresh(true);
    } catch (e) {
      if (g === this.gen && this.watchId === null && this.liveMode !== null) {
        this.liveMode = null;
        this.renderHead();
      }
      toastError(toApiError(e));
    }
  }

  private async stopWatch(keepMode = false): Promise<void> {
    if (this.watchId !== null) {
      const id = this.watchId;
      this.watchId = null;
      if (!keepMode) this.liveMode = null;
      try {
        await dashboardApi.unwatch(id);
      } catch {
        /* gone already */
      }
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.unfollow();
    if (this.extrasTimer !== null) window.clearInterval(this.extrasTimer);
    this.charts.destroy();
    void this.stopWatch();
  }

  /**
   * Reload the figures; a notification during a reload schedules exactly one more. Live
   * notifications update the figures they touched (`dashboard_refresh`); the first load, a
   * change of event and the refresh button recompute everything. The cross-event overview
   * is refreshed at most every 15 seconds.
   */
  private async refresh(full = false): Promise<void> {
    if (!this.eventId) return;
    if (this.refreshing) {
      this.dirty = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.dirty = false;
        const id: string = this.eventId as string;
        const changes = this.pending;
        this.pending = [];
        const prev = this.data && this.data.event_id === id && !full ? this.data : null;
        const wantOverview = full || !prev || Date.now() - this.overviewAt > 15000;
        const wantExtras = full || !prev || Date.now() - this.extrasAt > 5000;
        const [d, qs, ov] = await Promise.all([
          prev ? dashboardApi.refresh(prev, changes, getLang()) : dashboardApi.get(id, getLang()),
          dashboardApi.questions(id),
          wantOverview ? dashboardApi.overview() : Promise.resolve(this.overview),
          wantExtras ? this.loadExtras(id) : Promise.resolve(false),
        ]);
        if (this.destroyed) return;
        if (id !== this.eventId) {
          // Another event was chosen meanwhile: load that one from scratch.
          this.dirty = true;
          continue;
        }
        full = false;
        this.data = d;
        this.questions = qs;
        if (wantOverview) this.overviewAt = Date.now();
        this.overview = ov;
        this.renderQuestions();
        this.renderData();
        this.renderHead();
      } while (this.dirty || this.pending.length);
    } catch (e) {
      toastError(toApiError(e));
    } finally {
      this.refreshing = false;
    }
  }

  /** Figures first; question management has its own tab. */
  private tab: "figures" | "questions" = "figures";

  rerender(): void {
    this.sel = null;
    const tabBtn = (id: "figures" | "questions", label: string) => {
      const b = h("button", { type: "button", role: "tab", class: "tab", id: `dash-tab-${id}`, testid: `dash-tab-${id}`, "aria-selected": String(this.tab === id) }, label);
      b.addEventListener("click", () => {
        this.tab = id;
        this.rerender();
      });
      return b;
    };
    this.pollsEl.hidden = this.tab !== "questions";
    this.dataEl.hidden = this.tab !== "figures";
    replaceChildren(
      this.el,
      h("div", { class: "page-head" }, h("div", null, h("h1", { class: "page-title" }, t("dash.title")), h("p", { class: "page-sub" }, t("dash.subtitle")))),
      this.headEl,
      h("div", { class: "tabs dash-tabs", role: "tablist", "aria-label": t("dash.title") }, tabBtn("figures", t("dash.tab.figures")), tabBtn("questions", t("dash.tab.questions"))),
      this.dataEl,
      this.pollsEl,
    );
    this.renderHead();
    this.renderPolls();
    this.renderQuestions();
    this.renderData();
  }

  private sel: HTMLSelectElement | null = null;
  private exportBtns: HTMLButtonElement[] = [];
  private liveEl = h("span", { class: "dash-live", testid: "dash-live", "data-mode": "off" });
  private updEl = h("span", { class: "dash-muted", testid: "dash-updated" });

  /** The toolbar is built once (the event picker keeps its identity); live parts update. */
  private renderHead(): void {
    if (!this.sel) {
      const sel = h("select", { class: "input", testid: "dash-event", "aria-label": t("dash.event") });
      sel.addEventListener("change", () => {
        if (sel.value !== this.eventId) setCurrentEvent(sel.value);
      });
      this.sel = sel;
      const csv = button(t("dash.exportCsv"), { icon: "save", testid: "dash-export-csv", onClick: () => void this.exportCsv() });
      const html = button(t("dash.exportHtml"), { testid: "dash-export-html", onClick: () => void this.exportHtml() });
      this.exportBtns = [csv, html];
      const all = button(t("dash.recompute"), { icon: "refresh", testid: "dash-recompute", onClick: () => void this.refresh(true) });
      replaceChildren(this.headEl, h("div", { class: "dash-toolbar" }, field(t("dash.event"), sel), this.liveEl, this.updEl, h("span", { class: "grow" }), all, csv, html));
    }
    // Nothing to export until the figures are there.
    for (const b of this.exportBtns) b.disabled = !this.data;
    const sel = this.sel;
    if (sel.options.length !== this.events.length) {
      replaceChildren(sel, ...this.events.map((e) => h("option", { value: e._id }, e.title)));
    }
    if (this.eventId && sel.value !== this.eventId) sel.value = this.eventId;
    this.liveEl.className = `dash-live ${this.liveMode ? "on" : ""}`;
    this.liveEl.setAttribute("data-mode", this.liveMode ?? "off");
    replaceChildren(this.liveEl, h("span", { class: "dot", "aria-hidden": "true" }), t(this.liveMode ? (`dash.live.${this.liveMode}` as MsgKey) : "dash.live.off"));
    this.updEl.textContent = this.data ? t("dash.updated", { time: formatTime(this.data.generated_at, this.event?.timezone || "UTC") }) : "";
    this.updEl.title = this.data ? t("dash.took", { s: formatDecimal(this.data.took_ms / 1000, 1) }) : "";
  }

  // ---- polls ------------------------------------------------------------------------------

  private renderPolls(): void {
    replaceChildren(this.pollsEl, this.events.length ? this.pollsCard() : h("p", { class: "dash-muted" }, t("dash.noEvent")));
  }

  private pollsCard(): HTMLElement {
    const kind = h("select", { class: "input", testid: "q-kind" }, ...KINDS.map((k) => h("option", { value: k }, t(`dash.kind.${k}` as MsgKey))));
    const mode = h("select", { class: "input", testid: "q-mode" }, h("option", { value: "poll" }, t("dash.mode.poll")), h("option", { value: "survey" }, t("dash.mode.survey")));
    const session = h("select", { class: "input", testid: "q-session" }, h("option", { value: "" }, t("dash.wholeEvent")), ...(this.event?.sessions ?? []).map((s) => h("option", { value: s.id }, s.title)));
    const fr = h("input", { class: "input", testid: "q-label-fr", maxlength: "500" });
    const en = h("input", { class: "input", testid: "q-label-en", maxlength: "500" });
    const choices = h("textarea", { class: "input", testid: "q-choices", rows: "3" });
    const choicesField = field(t("dash.choices"), choices);
    const required = h("input", { type: "checkbox", testid: "q-required" });
    const anon = h("input", { type: "checkbox", testid: "q-anonymous", checked: true });
    const syncKind = () => {
      choicesField.style.display = kind.value === "single" || kind.value === "multiple" ? "" : "none";
    };
    kind.addEventListener("change", syncKind);
    syncKind();
    const add = button(t("dash.add"), {
      kind: "primary",
      testid: "q-add",
      onClick: () => {
        if (!this.eventId) return;
        const lines = choices.value.split("\n").map((x) => x.trim()).filter(Boolean);
        const input: QuestionInput = {
          kind: kind.value as QuestionKind,
          mode: mode.value as "poll" | "survey",
          session_id: session.value || undefined,
          label: { fr: fr.value, en: en.value },
          choices: lines.map((l) => ({ id: "", label: { fr: l, en: l } })),
          required: required.checked,
          anonymous: anon.checked,
        };
        void (async () => {
          try {
            await dashboardApi.createQuestion(this.eventId as string, input);
            fr.value = "";
            en.value = "";
            choices.value = "";
            await this.refresh(true);
          } catch (e) {
            toastError(toApiError(e));
          }
        })();
      },
    });
    const check = (c: HTMLInputElement, label: string) => h("label", { class: "dash-check" }, c, ` ${label}`);
    return h(
      "section",
      { class: "card dash-polls" },
      h("h3", { class: "card-title" }, t("dash.polls")),
      h("p", { class: "dash-muted" }, t("dash.pollsHint")),
      this.qListEl,
      h(
        "details",
        { class: "dash-new", open: this.questions.length === 0, testid: "q-new" },
        h("summary", null, t("dash.newQuestion")),
        h("div", { class: "dash-form" }, field(t("dash.kind"), kind), field(t("dash.mode"), mode), field(t("dash.session"), session), field(t("dash.labelFr"), fr), field(t("dash.labelEn"), en), choicesField),
        h("div", { class: "dash-form-row" }, check(required, t("dash.required")), check(anon, t("dash.anonymous")), add),
      ),
    );
  }

  private renderQuestions(): void {
    if (!this.questions.length) {
      // The questions arrive with the first figures: until then, do not say there are none.
      const loading = this.eventId !== null && this.data === null;
      replaceChildren(this.qListEl, h("p", { class: "dash-muted" }, t(loading ? "common.loading" : "dash.noQuestions")));
      return;
    }
    const en = getLang() === "en";
    const rows = this.questions.map((q) => {
      const label = (en ? q.label.en || q.label.fr : q.label.fr || q.label.en) || "—";
      const act = async (f: () => Promise<unknown>) => {
        try {
          await f();
          await this.refresh(true);
        } catch (e) {
          toastError(toApiError(e));
        }
      };
      const toggle =
        q.status === "open"
          ? button(t("dash.close"), { small: true, testid: "q-close", onClick: () => void act(() => dashboardApi.setStatus(q._id, "closed")) })
          : button(t("dash.open"), { small: true, kind: "primary", testid: "q-open", onClick: () => void act(() => dashboardApi.setStatus(q._id, "open")) });
      const linkBtn = button(t("dash.link"), { small: true, testid: "q-link", onClick: () => void this.showLink(q._id) });
      const del = button(t("dash.delete"), { small: true, kind: "danger", testid: "q-delete", onClick: () => void act(() => dashboardApi.deleteQuestion(q._id)) });
      const edit = button(t("dash.edit"), {
        small: true,
        testid: "q-edit",
        onClick: () => {
          this.editing = this.editing === q._id ? null : q._id;
          this.renderQuestions();
        },
      });
      const link = this.links.get(q._id);
      return h(
        "div",
        { class: "dash-q", testid: "q-row", "data-id": q._id, "data-status": q.status },
        h(
          "div",
          { class: "dash-q-main" },
          // The wording wraps within its own block; the buttons stay on one line.
          h(
            "div",
            { class: "dash-q-info" },
            h("strong", null, label),
            h("span", { class: `dash-pill s-${q.status}`, testid: "q-status" }, t(`dash.status.${q.status}` as MsgKey)),
            h("span", { class: "dash-muted" }, `${t(`dash.kind.${q.kind}` as MsgKey)} · ${t(`dash.mode.${q.mode}` as MsgKey)} · `, h("span", { testid: "q-count" }, t("dash.answersN", { n: q.answers ?? 0 }))),
          ),
          h("div", { class: "dash-q-actions" }, toggle, edit, linkBtn, del),
        ),
        this.editing === q._id ? this.editForm(q) : null,
        link ? h("div", { class: "dash-link" }, qrImage(link.qr, link.url), h("code", { testid: "q-link-url" }, link.url)) : null,
      );
    });
    replaceChildren(this.qListEl, ...rows);
  }

  /**
   * Edit a question's wording in place: FR/EN label, required, and for choice questions the
   * choice labels (one per line, in order; existing choices keep their ids so answers still
   * count; new lines add choices). The kind cannot change once answered (the core says so).
   */
  private editForm(q: Question): HTMLElement {
    const fr = h("input", { class: "input", testid: "q-edit-fr", maxlength: "500" });
    fr.value = q.label.fr;
    const en = h("input", { class: "input", testid: "q-edit-en", maxlength: "500" });
    en.value = q.label.en;
    const req = h("input", { type: "checkbox", testid: "q-edit-required" });
    req.checked = q.required;
    const hasChoices = q.kind === "single" || q.kind === "multiple";
    const choices = h("textarea", { class: "input", rows: "4", testid: "q-edit-choices" });
    choices.value = q.choices.map((c) => (c.label.en && c.label.en !== c.label.fr ? `${c.label.fr} | ${c.label.en}` : c.label.fr)).join("\n");
    const save = button(t("dash.save"), {
      kind: "primary",
      small: true,
      testid: "q-edit-save",
      onClick: () =>
        void (async () => {
          const lines = choices.value.split("\n").map((l) => l.trim()).filter((l) => l);
          if (hasChoices && lines.length < q.choices.length && (q.answers ?? 0) > 0) {
            toast(t("dash.choicesKept"), "error");
            return;
          }
          const input: QuestionInput = {
            kind: q.kind,
            mode: q.mode,
            session_id: q.session_id,
            label: { fr: fr.value, en: en.value },
            required: req.checked,
            anonymous: q.anonymous,
            choices: hasChoices
              ? lines.map((l, i) => {
                  const [lfr, len] = l.split("|").map((x) => x.trim());
                  return { id: q.choices[i]?.id ?? "", label: { fr: lfr, en: len ?? "" } };
                })
              : [],
          };
          try {
            await dashboardApi.updateQuestion(q._id, q.version, input);
            this.editing = null;
            toast(t("dash.saved"), "success");
            await this.refresh(true);
          } catch (e) {
            toastError(toApiError(e));
          }
        })(),
    });
    return h(
      "div",
      { class: "dash-q-edit", testid: "q-edit-form" },
      field(t("dash.labelFr"), fr),
      field(t("dash.labelEn"), en),
      hasChoices ? field(t("dash.choicesEdit"), choices) : null,
      h("label", { class: "dash-muted" }, req, " ", t("dash.required")),
      h("div", { class: "dash-card-actions" }, save),
    );
  }

  private async showLink(id: string): Promise<void> {
    try {
      let portal = await invitationsApi.portalStatus();
      if (!portal) {
        portal = await invitationsApi.portalStart(false, null);
        toast(t("dash.portalNeeded"), "info");
      }
      const base = portal.lan_urls[0] ?? portal.local_url;
      const l = await dashboardApi.link(base, id, null);
      this.links.set(id, { url: l.url, qr: l.qr_svg });
      this.renderQuestions();
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  // ---- figures ----------------------------------------------------------------------------

  private renderData(): void {
    const d = this.data;
    this.charts.begin();
    // While the first figures are computed (a few seconds on 200,000 answers), say so.
    const waiting = this.eventId ? [h("p", { class: "dash-muted dash-loading", testid: "dash-loading" }, t("dash.computing"))] : [];
    replaceChildren(this.dataEl, ...(d ? this.figures(d) : waiting));
    this.charts.end();
  }

  /** The figures as elements (also what the HTML snapshot contains). */
  private figures(d: Dashboard): HTMLElement[] {
    const f = d.funnel;
    const kpi = (k: string, v: number, r: string | null, testid: string) => h("div", { class: "dash-kpi", testid }, h("div", { class: "k" }, k), h("div", { class: "v", testid: `${testid}-value` }, formatNumber(v)), r ? h("div", { class: "r" }, r) : null);
    const kpis = h(
      "div",
      { class: "dash-kpis" },
      kpi(t("dash.invited"), f.invited, null, "kpi-invited"),
      kpi(t("dash.accepted"), f.accepted, `${t("dash.rate")} ${pct(f.acceptance_rate)}`, "kpi-accepted"),
      kpi(t("dash.checkedIn"), f.checked_in, `${t("dash.rate")} ${pct(f.show_rate)}`, "kpi-checked-in"),
      kpi(t("dash.answers"), d.total_answers, null, "kpi-answers"),
      kpi(t("dash.respondents"), d.respondents, null, "kpi-respondents"),
    );
    const card = (title: string, testid: string, ...body: (Node | null)[]) => h("section", { class: "dash-card", testid }, h("h3", null, title), ...body);
    const funnel = card(
      t("dash.funnel"),
      "dash-funnel",
      h(
        "div",
        { class: "dash-split" },
        this.charts.bar("funnel", [
          { label: t("dash.invited"), value: f.invited },
          { label: t("dash.accepted"), value: f.accepted, note: `${formatNumber(f.accepted)} · ${pct(f.acceptance_rate)}` },
          { label: t("dash.checkedIn"), value: f.checked_in, note: `${formatNumber(f.checked_in)} · ${pct(f.show_rate)}` },
        ]),
      ),
    );
    // "Session 2" before "Session 10".
    const bySession = [...d.sessions].sort((a, b) => a.title.localeCompare(b.title, getLang(), { numeric: true }));
    const sessions = card(
      t("dash.sessions"),
      "dash-sessions",
      d.sessions.length
        ? h(
            "div",
            { class: "dash-split" },
            this.charts.bar("sessions", bySession.map((s) => ({ label: s.title, value: s.avg_rating ?? 0, note: s.avg_rating === null ? "—" : `${formatDecimal(s.avg_rating)} ★ (${s.ratings})` })), { max: 5 }),
            table([t("dash.session"), t("dash.attendees"), t("dash.capacity"), t("dash.avgRating"), t("dash.ratings")], bySession.map((s) => [s.title, s.attendees, s.capacity ?? "—", s.avg_rating === null ? "—" : formatDecimal(s.avg_rating), s.ratings])),
          )
        : h("p", { class: "dash-muted" }, t("dash.noData")),
    );
    const n = d.nps;
    const nps = card(
      t("dash.nps"),
      "dash-nps",
      h("div", { class: "dash-nps", testid: "nps-score" }, n.total ? String(n.score) : "—"),
      this.charts.stacked("nps", [
        { label: t("dash.detractors"), value: n.detractors, color: token("score-1") },
        { label: t("dash.passives"), value: n.passives, color: token("score-3") },
        { label: t("dash.promoters"), value: n.promoters, color: token("score-5") },
      ]),
    );
    const dists = card(
      t("dash.distributions"),
      "dash-distributions",
      ...(d.distributions.length
        ? d.distributions.map((q) =>
            h(
              "div",
              { class: "dash-dist", testid: "dist", "data-id": q.question_id },
              h("h4", null, q.label, " ", h("span", { class: "dash-muted" }, `· ${t("dash.answersN", { n: q.answers })}${q.average !== null ? ` · ${t("dash.average", { v: q.average })}` : ""}`)),
              h(
                "div",
                { class: "dash-split" },
                this.charts.bar(
                  `dist-${q.question_id}`,
                  q.buckets.map((b, i) => ({ label: b.label, value: b.count, color: q.kind === "rating" || q.kind === "nps" ? scoreColor(q.kind, Number(b.value)) : paletteColor(i) })),
                ),
                table([t("dash.value"), t("dash.count")], q.buckets.map((b) => [b.label, b.count]), `dist-table-${q.question_id}`),
              ),
            ),
          )
        : [h("p", { class: "dash-muted" }, t("dash.noData"))]),
    );
    const texts = card(
      t("dash.texts"),
      "dash-texts",
      d.texts.length ? h("ul", { class: "dash-texts" }, ...d.texts.map((x) => h("li", { testid: "text-answer" }, h("div", { class: "q" }, x.question), x.text))) : h("p", { class: "dash-muted" }, t("dash.noTexts")),
    );
    // Event times are shown in the event's zone, named in the card's title.
    const tz = this.event?.timezone || "UTC";
    const per = d.bucket === "minute" ? t("dash.per.minute", { n: d.bucket_size }) : t(d.bucket === "hour" ? "dash.per.hour" : "dash.per.day");
    const timeline = card(
      `${t("dash.timeline")} · ${per} · ${t("dash.zone", { city: zoneCity(tz) })}`,
      "dash-timeline",
      d.timeline.length
        ? (() => {
            const points = withEmptyBuckets(d);
            return this.charts.time(
              "timeline",
              points.map((p) => formatAxis(p.at, tz, d.bucket)),
              [
                { label: t("dash.answers"), values: points.map((p) => p.answers), color: paletteColor(0) },
                { label: t("dash.checkedIn"), values: points.map((p) => p.check_ins), color: paletteColor(2) },
                { label: t("dash.nw.connections"), values: points.map((p) => p.connections), color: paletteColor(3) },
                { label: t("dash.so.posts"), values: points.map((p) => p.mentions), color: paletteColor(5) },
              ],
              { testid: "timeline-chart" },
            );
          })()
        : h("p", { class: "dash-muted" }, t("dash.noData")),
    );
    const overview = card(
      t("dash.overview"),
      "dash-overview",
      h(
        "div",
        { class: "dash-split" },
        this.charts.bar("overview", this.overview.map((o) => ({ label: o.title, value: o.answers }))),
        table(
          [t("dash.event"), t("dash.invited"), t("dash.accepted"), t("dash.checkedIn"), t("dash.answers"), t("dash.avgRating"), "NPS"],
          this.overview.map((o) => [o.title, o.funnel.invited, o.funnel.accepted, o.funnel.checked_in, o.answers, o.avg_rating === null ? "—" : formatDecimal(o.avg_rating), o.nps === null ? "—" : o.nps]),
        ),
      ),
    );
    const nw = this.networking;
    const networking = card(
      t("dash.networking"),
      "dash-networking",
      nw
        ? h(
            "div",
            null,
            h(
              "div",
              { class: "dash-kpis small" },
              kpi(t("dash.nw.optedIn"), nw.profiles_opted_in, null, "kpi-nw-opted"),
              kpi(t("dash.nw.connections"), nw.connections_made, null, "kpi-nw-connections"),
              kpi(t("dash.nw.connected"), nw.participants_connected, null, "kpi-nw-connected"),
              kpi(t("dash.nw.pending"), nw.requests_pending, null, "kpi-nw-pending"),
              kpi(t("dash.nw.meetings"), nw.meetings_accepted, t("dash.nw.meetingsOf", { n: nw.meetings_proposed }), "kpi-nw-meetings"),
            ),
            nw.per_hour.length ? h("h4", null, t("dash.nw.perHour")) : null,
            nw.per_hour.length ? this.charts.bar("nw-hours", nw.per_hour.slice(-12).map((b) => ({ label: formatAxis(wallToUtc(b.bucket, tz) ?? b.bucket, tz, "hour"), value: b.connections }))) : null,
            nw.top_companies.length
              ? table([t("dash.nw.company"), t("dash.nw.connections")], nw.top_companies.map((c) => [c.company || "—", c.connections]), "nw-companies")
              : nw.connections_made === 0
                ? h("p", { class: "dash-muted" }, t("dash.nw.none"))
                : null,
            h("div", { class: "dash-card-actions" }, button(t("dash.exportCsv"), { icon: "save", testid: "nw-export", onClick: () => void this.exportNetworking() })),
          )
        : h("p", { class: "dash-muted" }, "…"),
    );
    const so = this.social;
    const social = card(
      t("dash.social"),
      "dash-social",
      so
        ? h(
            "div",
            null,
            h(
              "div",
              { class: "dash-kpis small" },
              kpi(t("dash.so.posts"), so.analysis.engagement.posts, null, "kpi-so-posts"),
              kpi(t("dash.so.engagement"), so.analysis.engagement.total, null, "kpi-so-engagement"),
            ),
            so.analysis.top_hashtags.length
              ? this.charts.bar("so-tags", so.analysis.top_hashtags.slice(0, 6).map((x) => ({ label: `#${x.key}`, value: x.posts })))
              : null,
            this.charts.stacked("so-sentiment", [
              { label: t("dash.so.negative"), value: so.analysis.sentiment.negative, color: token("sentiment-negative") },
              { label: t("dash.so.neutral"), value: so.analysis.sentiment.neutral, color: token("sentiment-neutral") },
              { label: t("dash.so.positive"), value: so.analysis.sentiment.positive, color: token("sentiment-positive") },
            ]),
            h("h4", null, t("dash.so.wall")),
            so.wall.length
              ? h(
                  "ul",
                  { class: "dash-wall", testid: "social-wall" },
                  ...so.wall.map((p) =>
                    h(
                      "li",
                      { testid: "wall-post", class: `sent-${p.sentiment}` },
                      h("div", { class: "q" }, `@${p.author} · ${p.platform} · ${formatDateTime(p.posted_at, tz)}`),
                      p.text,
                    ),
                  ),
                )
              : h("p", { class: "dash-muted" }, t("dash.so.none")),
          )
        : h("p", { class: "dash-muted" }, "…"),
    );
    return [kpis, h("div", { class: "dash-grid" }, funnel, nps, sessions, texts, networking, social), h("div", { class: "dash-grid one" }, dists, timeline, overview)];
  }

  // ---- exports ----------------------------------------------------------------------------

  private async exportCsv(): Promise<void> {
    if (!this.eventId) return;
    try {
      const r = await dashboardApi.exportCsv(this.eventId, getLang());
      if (r) toast(t("dash.exported", { path: r.path }), "success");
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  private async exportNetworking(): Promise<void> {
    if (!this.eventId) return;
    try {
      const r = await dashboardApi.exportNetworking(this.eventId);
      if (r) toast(t("dash.exported", { path: r.path }), "success");
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  private async exportHtml(): Promise<void> {
    if (!this.eventId || !this.data) return;
    this.charts.settle();
    const body = snapshotOf(this.dataEl);
    const esc = (x: string) => x.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const title = `${esc(this.data.title)} · ${esc(t("dash.title"))}`;
    // A standalone page: the tokens its CSS uses are declared with their current values.
    const pageCss = "body{font-family:system-ui,sans-serif;background:var(--dash-page);color:var(--chart-label);margin:0;padding:24px}h1{margin:0 0 4px}" + DASH_CSS;
    const snapshotCss = rootRuleFor(pageCss) + pageCss;
    const html = `<!doctype html><html lang="${getLang()}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><style>${snapshotCss}</style></head><body><h1>${title}</h1><p class="dash-muted">${esc(formatDateTime(this.data.generated_at, this.event?.timezone || "UTC"))}</p>${body.innerHTML}</body></html>`;
    try {
      const r = await dashboardApi.exportHtml(this.eventId, html);
      if (r) toast(t("dash.exported", { path: r.path }), "success");
    } catch (e) {
      toastError(toApiError(e));
    }
  }
}
