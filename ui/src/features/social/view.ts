// Social: compose and share a moment (X, LinkedIn, Facebook, Mastodon, copy) and the list
// of shared moments; import mentions from a file (progress, cancel, per-record report);
// fetch a Mastodon hashtag (progress, cancel, report); the analysis (volume over time, top
// hashtags and authors, engagement, sessions and speakers mentioned, sentiment) as SVG
// charts with tables beside them; a live wall refreshed every few seconds while the page
// is open; the analysis as CSV.

import { api, toApiError, type EventSummary } from "../../shared/api.js";
import {
  socialApi,
  type Analysis,
  type FetchReport,
  type ImportReport,
  type MomentInput,
  type Platform,
  type Post,
  type Progress,
  type SharedMoment,
} from "./api.js";
import { h, replaceChildren } from "../../shared/dom.js";
import { formatDateTime, formatDecimal, formatNumber, formatShortDate, formatTime, t, type MsgKey } from "../../shared/i18n.js";
import type { View } from "../../main.js";
import { button, field, sectionCard, toast, toastError } from "../../shared/ui.js";
import { Charts, DASH_CSS, paletteColor } from "../dashboard/charts.js";
import { token } from "../../shared/tokens.js";
import { currentEventId, onCurrentEvent, setCurrentEvent } from "../../shared/current.js";

/** How often the wall is refreshed while the page is open. */
const WALL_EVERY_MS = 5000;

/** The colour of a sentiment (`--sentiment-*` in styles.css). */
const sentimentColor = (k: "positive" | "neutral" | "negative") => token(`sentiment-${k}`);

const PLATFORM_LABEL: Record<string, string> = { x: "X", linkedin: "LinkedIn", facebook: "Facebook", mastodon: "Mastodon", copy: "—", csv: "CSV" };

function ensureCss(): void {
  if (document.getElementById("dash-css")) return;
  const st = document.createElement("style");
  st.id = "dash-css";
  st.textContent = DASH_CSS;
  document.head.appendChild(st);
}

const pct = (x: number) => `${Math.round(x * 100)} %`;

function table(head: string[], rows: (string | number)[][], testid?: string, rowTestid?: string): HTMLTableElement {
  return h(
    "table",
    { class: "dash-table", testid },
    h("thead", null, h("tr", null, ...head.map((x, i) => h("th", { class: i > 0 ? "n" : "" }, x)))),
    h("tbody", null, ...rows.map((r) => h("tr", { testid: rowTestid }, ...r.map((c, i) => h("td", { class: i > 0 ? "n" : "" }, typeof c === "number" ? formatNumber(c) : c))))),
  );
}

function platformName(p: string): string {
  return PLATFORM_LABEL[p] ?? p;
}

function progressBar(p: Progress | null, testid: string): HTMLElement | null {
  if (!p) return null;
  const width = `${p.total ? Math.min(100, Math.round((p.done / p.total) * 100)) : p.phase === "done" ? 100 : 0}%`;
  return h(
    "div",
    { class: "inv-progress", role: "status", "aria-live": "polite", testid },
    h("div", { class: "bar" }, h("div", { class: "bar-fill", style: { width } })),
    h("div", { class: "small" }, t("social.progress", { phase: t(`social.phase.${p.phase}` as MsgKey), done: p.done, total: p.total })),
  );
}

function countPill(label: string, n: number, kind: "ok" | "bad" | "", testid: string): HTMLElement {
  return h("span", { class: `social-count ${kind}` }, h("span", { class: "k" }, label), h("strong", { testid }, formatNumber(n)));
}

export class SocialView implements View {
  el = h("div", { class: "page social-page" });
  navId = "nav-social";
  private events: EventSummary[] = [];
  private eventId: string | null = null;
  private moments: SharedMoment[] = [];
  private analysis: Analysis | null = null;
  private wall: Post[] = [];
  private wallSig = "";
  private wallBusy = false;
  private volumeUnit: "hour" | "day" = "hour";
  private importing = false;
  private importProgress: Progress | null = null;
  private importReport: ImportReport | null = null;
  private fetching = false;
  private fetchProgress: Progress | null = null;
  private fetchReport: FetchReport | null = null;
  private copiedText: string | null = null;
  private timer: number | null = null;
  private destroyed = false;

  // Inputs kept across re-renders so what the user typed survives them.
  private sel = h("select", { class: "input", testid: "social-event", "aria-label": t("social.event") });
  private text = h("textarea", { class: "input", testid: "social-text", rows: "3", maxlength: "2000" });
  private hashtags = h("input", { class: "input", testid: "social-hashtags", autocomplete: "off", spellcheck: "false", placeholder: "#DevFest #Rust" });
  private link = h("input", { class: "input", type: "url", testid: "social-link", autocomplete: "off", spellcheck: "false", placeholder: "https://" });
  private photo = h("input", { class: "input", type: "url", testid: "social-photo", autocomplete: "off", spellcheck: "false", placeholder: "https://" });
  private shareInstance = h("input", { class: "input", testid: "social-share-instance", autocomplete: "off", spellcheck: "false", placeholder: "mastodon.social" });
  private instance = h("input", { class: "input", testid: "social-instance", autocomplete: "off", spellcheck: "false", placeholder: "mastodon.social" });
  private tag = h("input", { class: "input", testid: "social-tag", autocomplete: "off", spellcheck: "false", placeholder: "#DevFest" });
  private pages = h("input", { class: "input", type: "number", min: "1", max: "100", value: "5", testid: "social-pages" });
  private baseUrl = h("input", { class: "input mono", testid: "social-base-url", autocomplete: "off", spellcheck: "false", placeholder: "https://…" });

  private headEl = h("div");
  private momentsEl = h("div", { class: "social-moments" });
  private importEl = h("div");
  private fetchEl = h("div");
  private analysisEl = h("div", { class: "social-analysis", testid: "social-analysis" });
  private wallEl = h("div", { class: "social-wall-wrap" });
  private charts = new Charts();

  /** Stops following the current event (header). */
  private unfollow = onCurrentEvent((id) => {
    if (id && id !== this.eventId && this.events.some((e) => e._id === id)) void this.select(id);
  });

  constructor() {
    ensureCss();
    this.sel.addEventListener("change", () => setCurrentEvent(this.sel.value));
    this.rerender();
    void this.init();
    this.timer = window.setInterval(() => void this.refreshWall(), WALL_EVERY_MS);
  }

  destroy(): void {
    this.destroyed = true;
    this.unfollow();
    this.charts.destroy();
    if (this.timer !== null) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
  }

  private async init(): Promise<void> {
    try {
      const [page, fs] = await Promise.all([api.eventsList({ sort: "starts_at_desc", per_page: 100 }), socialApi.fetchSettings()]);
      this.events = page.items;
      if (!this.instance.value) this.instance.value = fs.instance;
      if (!this.shareInstance.value) this.shareInstance.value = fs.instance;
      if (!this.tag.value) this.tag.value = fs.tag;
      this.pages.value = String(fs.pages);
      this.renderHead();
      // The current event when there is one, else the latest; it becomes the current one.
      const cur = currentEventId();
      const first = this.events.some((e) => e._id === cur) ? cur : this.events[0]?._id;
      if (first) {
        setCurrentEvent(first);
        await this.select(first);
      } else this.renderAll();
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  private async select(id: string): Promise<void> {
    this.eventId = id;
    this.moments = [];
    this.analysis = null;
    this.wall = [];
    this.wallSig = "";
    this.importReport = null;
    this.fetchReport = null;
    this.copiedText = null;
    this.renderAll();
    await Promise.all([this.loadMoments(), this.loadAnalysis(), this.refreshWall()]);
  }

  private async loadMoments(): Promise<void> {
    const id = this.eventId;
    if (!id) return;
    try {
      const m = await socialApi.moments(id);
      if (id !== this.eventId) return;
      this.moments = m;
      this.renderMoments();
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  private async loadAnalysis(): Promise<void> {
    const id = this.eventId;
    if (!id) return;
    try {
      const a = await socialApi.analysis(id);
      if (id !== this.eventId) return;
      this.analysis = a;
      this.renderHead();
      this.renderAnalysis();
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  /** Reload the wall; when new posts arrived, the analysis too. */
  private async refreshWall(): Promise<void> {
    const id = this.eventId;
    if (!id || this.destroyed || this.wallBusy) return;
    this.wallBusy = true;
    try {
      const posts = await socialApi.wall(id, 30);
      if (id !== this.eventId || this.destroyed) return;
      const sig = posts.map((p) => `${p._id}:${p.likes}:${p.shares}:${p.replies}`).join(",");
      const changed = sig !== this.wallSig;
      const hadOne = this.wallSig !== "" || this.wall.length > 0;
      this.wall = posts;
      this.wallSig = sig;
      if (changed || !hadOne) this.renderWall();
      if (changed && hadOne) await this.loadAnalysis();
    } catch {
      /* the next tick retries; errors of explicit actions are shown */
    } finally {
      this.wallBusy = false;
    }
  }

  // ---- actions ------------------------------------------------------------------------------

  private momentInput(): MomentInput {
    const opt = (s: string) => (s.trim() ? s.trim() : null);
    return {
      text: this.text.value,
      hashtags: this.hashtags.value.split(/[\s,;]+/).filter((x) => x.replace(/^#+/, "") !== ""),
      link: opt(this.link.value),
      photo_url: opt(this.photo.value),
    };
  }

  private async share(platform: Platform): Promise<void> {
    if (!this.eventId) return;
    try {
      const r = await socialApi.share(this.eventId, platform, this.momentInput());
      if (platform.kind === "copy") {
        this.copiedText = r.text;
        try {
          await navigator.clipboard.writeText(r.text);
          toast(t("social.copied"), "success");
        } catch {
          toast(t("social.copyFailed"), "info");
        }
      } else {
        this.copiedText = null;
        toast(t("social.opened"), "success");
      }
      await this.loadMoments();
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  private async importFile(): Promise<void> {
    if (!this.eventId || this.importing) return;
    const id = this.eventId;
    try {
      const path = await socialApi.pickFile();
      if (!path) return;
      this.importing = true;
      this.importProgress = null;
      this.importReport = null;
      this.renderImport();
      const r = await socialApi.import(id, path, (p) => {
        this.importProgress = p;
        if (!this.destroyed) this.renderImport();
      });
      this.importReport = r;
      if (!r.cancelled) toast(t("social.imported", { n: r.imported }), "success");
    } catch (e) {
      toastError(toApiError(e));
    } finally {
      this.importing = false;
      this.importProgress = null;
      if (!this.destroyed) {
        this.renderImport();
        if (id === this.eventId) await Promise.all([this.loadAnalysis(), this.refreshWall()]);
      }
    }
  }

  private async fetch(): Promise<void> {
    if (!this.eventId || this.fetching) return;
    const id = this.eventId;
    this.fetching = true;
    this.fetchProgress = null;
    this.fetchReport = null;
    this.renderFetch();
    try {
      const r = await socialApi.fetch(
        id,
        { instance: this.instance.value, tag: this.tag.value, pages: Number(this.pages.value) || 1, base_url: this.baseUrl.value.trim() || null },
        (p) => {
          this.fetchProgress = p;
          if (!this.destroyed) this.renderFetch();
        },
      );
      this.fetchReport = r;
      if (!this.shareInstance.value) this.shareInstance.value = this.instance.value.trim();
      if (!r.error && !r.cancelled) toast(t("social.imported", { n: r.imported }), "success");
    } catch (e) {
      toastError(toApiError(e));
    } finally {
      this.fetching = false;
      this.fetchProgress = null;
      if (!this.destroyed) {
        this.renderFetch();
        if (id === this.eventId) await Promise.all([this.loadAnalysis(), this.refreshWall()]);
      }
    }
  }

  private async exportCsv(): Promise<void> {
    if (!this.eventId) return;
    try {
      const r = await socialApi.exportCsv(this.eventId);
      if (r) toast(t("social.exported", { path: r.path }), "success");
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  // ---- rendering ----------------------------------------------------------------------------

  rerender(): void {
    this.sel.setAttribute("aria-label", t("social.event"));
    this.text.placeholder = t("social.textPlaceholder");
    this.renderAll();
    const compose = sectionCard(
      t("social.compose"),
      "edit",
      h("p", { class: "muted small" }, t("social.composeHint")),
      field(t("social.text"), this.text),
      h("div", { class: "social-form" }, field(t("social.hashtags"), this.hashtags, { hint: t("social.hashtagsHint") }), field(t("social.link"), this.link, { optional: true })),
      h("div", { class: "social-form" }, field(t("social.photo"), this.photo, { optional: true }), field(t("social.instance"), this.shareInstance)),
      h(
        "div",
        { class: "social-share" },
        h("span", { class: "muted small" }, t("social.shareOn")),
        button("X", { testid: "social-share-x", onClick: () => void this.share({ kind: "x" }) }),
        button("LinkedIn", { testid: "social-share-linkedin", onClick: () => void this.share({ kind: "linkedin" }) }),
        button("Facebook", { testid: "social-share-facebook", onClick: () => void this.share({ kind: "facebook" }) }),
        button("Mastodon", { testid: "social-share-mastodon", onClick: () => void this.share({ kind: "mastodon", instance: this.shareInstance.value }) }),
        h("span", { class: "grow" }),
        button(t("social.copy"), { kind: "primary", icon: "copy", testid: "social-share-copy", onClick: () => void this.share({ kind: "copy" }) }),
      ),
      this.momentsEl,
    );
    const wall = sectionCard(t("social.wall"), "sparkles", h("p", { class: "muted small" }, t("social.wallHint")), this.wallEl);
    const imp = sectionCard(t("social.import"), "database", h("p", { class: "muted small" }, t("social.importHint")), this.importEl);
    const masto = sectionCard(t("social.mastodon"), "globe", h("p", { class: "muted small" }, t("social.mastodonHint")), this.fetchEl);
    replaceChildren(
      this.el,
      h("div", { class: "page-head" }, h("div", null, h("h1", { class: "page-title" }, t("social.title")), h("p", { class: "page-sub" }, t("social.subtitle")))),
      this.headEl,
      h("div", { class: "social-grid" }, compose, wall, imp, masto),
      sectionCard(t("social.analysis"), "chart", this.analysisEl),
    );
  }

  private renderAll(): void {
    this.renderHead();
    this.renderMoments();
    this.renderImport();
    this.renderFetch();
    this.renderAnalysis();
    this.renderWall();
  }

  private renderHead(): void {
    if (this.sel.options.length !== this.events.length) {
      replaceChildren(this.sel, ...this.events.map((e) => h("option", { value: e._id }, e.title)));
    }
    if (this.eventId && this.sel.value !== this.eventId) this.sel.value = this.eventId;
    const updated = this.analysis ? t("social.updated", { time: formatTime(this.analysis.generated_at, this.analysis.timezone) }) : "";
    replaceChildren(
      this.headEl,
      h(
        "div",
        { class: "dash-toolbar" },
        field(t("social.event"), this.sel),
        h("span", { class: "dash-muted", testid: "social-updated" }, updated),
        h("span", { class: "grow" }),
        button(t("social.refresh"), { icon: "refresh", testid: "social-refresh", onClick: () => void Promise.all([this.loadMoments(), this.loadAnalysis(), this.refreshWall()]) }),
        button(t("social.exportCsv"), { icon: "save", testid: "social-export-csv", onClick: () => void this.exportCsv() }),
      ),
      this.events.length ? null : h("p", { class: "muted", testid: "social-no-event" }, t("social.noEvent")),
    );
  }

  private renderMoments(): void {
    const tz = this.analysis?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    replaceChildren(
      this.momentsEl,
      this.copiedText !== null ? h("textarea", { class: "input social-copied", readonly: true, rows: "3", testid: "social-copied-text", "aria-label": t("social.copy"), value: this.copiedText }) : null,
      h("h4", { class: "social-sub" }, `${t("social.moments")} (${this.moments.length})`),
      this.moments.length
        ? h(
            "div",
            { class: "social-scroll" },
            h(
              "table",
              { class: "dash-table social-moments-table" },
              h("thead", null, h("tr", null, ...[t("social.col.when"), t("social.col.platform"), t("social.col.text"), t("social.col.by")].map((x) => h("th", null, x)))),
              h(
                "tbody",
                null,
                ...this.moments.map((m) =>
                  h(
                    "tr",
                    { testid: "social-moment", "data-platform": m.platform },
                    h("td", { class: "nowrap" }, formatDateTime(m.shared_at, tz)),
                    h("td", null, m.platform === "copy" ? t("social.copyShort") : platformName(m.platform), m.instance ? h("span", { class: "dash-muted" }, ` · ${m.instance}`) : null),
                    h("td", { class: "social-cell-text" }, m.moment.text, m.moment.hashtags.length ? h("span", { class: "social-tags" }, ` ${m.moment.hashtags.map((x) => `#${x}`).join(" ")}`) : null),
                    h("td", null, m.by.kind === "organiser" ? t("social.by.organiser") : t("social.by.participant")),
                  ),
                ),
              ),
            ),
          )
        : h("p", { class: "dash-muted", testid: "social-no-moments" }, t("social.noMoments")),
    );
  }

  private renderImport(): void {
    const r = this.importReport;
    const unit = (u: string) => (u === "line" ? t("social.unit.line") : t("social.unit.item"));
    replaceChildren(
      this.importEl,
      h(
        "div",
        { class: "inv-actions" },
        this.importing
          ? button(t("social.cancel"), { kind: "danger", testid: "social-import-cancel", onClick: () => void socialApi.importCancel() })
          : button(t("social.pickFile"), { kind: "primary", icon: "plus", testid: "social-import", onClick: () => void this.importFile() }),
      ),
      progressBar(this.importProgress, "social-import-progress"),
      r
        ? h(
            "div",
            { class: "social-report", testid: "social-import-report" },
            h("p", { class: "small" }, h("strong", null, t("social.report.file")), ` ${r.file} · `, h("strong", null, t("social.report.format")), ` ${platformName(r.format)}`),
            h(
              "div",
              { class: "social-counts" },
              countPill(t("social.report.records"), r.records, "", "social-imp-records"),
              countPill(t("social.report.imported"), r.imported, "ok", "social-imp-imported"),
              countPill(t("social.report.already"), r.already_present, "", "social-imp-already"),
              countPill(t("social.report.rejected"), r.rejected, r.rejected ? "bad" : "", "social-imp-rejected"),
            ),
            r.cancelled ? h("p", { class: "social-warn" }, t("social.report.cancelled")) : null,
            r.errors.length
              ? h(
                  "div",
                  { class: "social-scroll" },
                  h(
                    "table",
                    { class: "dash-table social-errors" },
                    h("thead", null, h("tr", null, h("th", null, unit(r.record_unit)), h("th", null, t("social.col.id")), h("th", null, t("social.col.reason")))),
                    h(
                      "tbody",
                      null,
                      ...r.errors.map((e) => h("tr", { testid: "social-imp-error", "data-record": String(e.record) }, h("td", { class: "mono" }, String(e.record)), h("td", { class: "mono" }, e.id ?? ""), h("td", null, e.reason))),
                    ),
                  ),
                )
              : h("p", { class: "dash-muted" }, t("social.report.none")),
          )
        : null,
    );
  }

  private renderFetch(): void {
    const r = this.fetchReport;
    const adv = h(
      "details",
      { class: "social-adv", open: this.baseUrl.value.trim() !== "" },
      h("summary", { testid: "social-advanced" }, t("social.advanced")),
      field(t("social.baseUrl"), this.baseUrl, { hint: t("social.baseUrlHint"), optional: true }),
    );
    replaceChildren(
      this.fetchEl,
      h("div", { class: "social-form three" }, field(t("social.instance"), this.instance), field(t("social.tag"), this.tag), field(t("social.pages"), this.pages)),
      adv,
      h(
        "div",
        { class: "inv-actions" },
        this.fetching
          ? button(t("social.cancel"), { kind: "danger", testid: "social-fetch-cancel", onClick: () => void socialApi.fetchCancel() })
          : button(t("social.fetch"), { kind: "primary", icon: "refresh", testid: "social-fetch", onClick: () => void this.fetch() }),
      ),
      progressBar(this.fetchProgress, "social-fetch-progress"),
      r
        ? h(
            "div",
            { class: "social-report", testid: "social-fetch-report" },
            h(
              "div",
              { class: "social-counts" },
              countPill(t("social.fetch.pages"), r.pages, "", "social-fetch-pages"),
              countPill(t("social.fetch.received"), r.received, "", "social-fetch-received"),
              countPill(t("social.report.imported"), r.imported, "ok", "social-fetch-imported"),
              countPill(t("social.report.already"), r.already_present, "", "social-fetch-already"),
              countPill(t("social.report.rejected"), r.rejected, r.rejected ? "bad" : "", "social-fetch-rejected"),
            ),
            h(
              "p",
              { class: "dash-muted" },
              `${t("social.fetch.waited")} : ${formatDecimal(r.waited_ms / 1000, 1)} s`,
              r.reached_end ? ` · ${t("social.fetch.end")}` : "",
            ),
            r.error ? h("p", { class: "social-warn", testid: "social-fetch-error" }, t("social.fetch.error", { error: r.error })) : null,
            r.cancelled ? h("p", { class: "social-warn" }, t("social.fetch.cancelled")) : null,
            r.errors.length
              ? table(
                  [t("social.col.record"), t("social.col.id"), t("social.col.reason")],
                  r.errors.map((e) => [String(e.record), e.id ?? "", e.reason]),
                  "social-fetch-errors",
                  "social-fetch-error-row",
                )
              : null,
          )
        : null,
    );
  }

  /** Draw the analysis; its charts are kept across renders (updated in place). */
  private renderAnalysis(): void {
    this.charts.begin();
    replaceChildren(this.analysisEl, ...this.analysisFigures());
    this.charts.end();
  }

  private analysisFigures(): Node[] {
    const a = this.analysis;
    if (!a) {
      return [h("p", { class: "dash-muted" }, this.events.length ? t("common.loading") : t("social.noEvent"))];
    }
    const e = a.engagement;
    if (e.posts === 0) {
      return [h("p", { class: "dash-muted", testid: "social-no-posts" }, t("social.noPosts"))];
    }
    const kpi = (k: string, v: number, testid: string) => h("div", { class: "dash-kpi", testid }, h("div", { class: "k" }, k), h("div", { class: "v", testid: `${testid}-value` }, formatNumber(v)));
    const kpis = h(
      "div",
      { class: "dash-kpis social-kpis" },
      kpi(t("social.kpi.posts"), e.posts, "social-kpi-posts"),
      kpi(t("social.kpi.likes"), e.likes, "social-kpi-likes"),
      kpi(t("social.kpi.shares"), e.shares, "social-kpi-shares"),
      kpi(t("social.kpi.replies"), e.replies, "social-kpi-replies"),
      kpi(t("social.kpi.engagement"), e.total, "social-kpi-engagement"),
    );
    const card = (title: string, testid: string, ...body: (Node | null)[]) => h("section", { class: "dash-card", testid }, h("h3", null, title), ...body);
    const none = () => h("p", { class: "dash-muted" }, t("social.none"));

    // Volume over time: one series (the chart's second series is left empty and its legend
    // removed).
    const points = this.volumeUnit === "hour" ? a.volume_by_hour : a.volume_by_day;
    const fmt = (d: Date) => (this.volumeUnit === "hour" ? `${formatShortDate(d.toISOString(), a.timezone)} ${formatTime(d.toISOString(), a.timezone)}` : formatShortDate(d.toISOString(), a.timezone));
    const chart: Node = points.length
      ? this.charts.time(
          "volume",
          points.map((p) => fmt(new Date(p.at))),
          [{ label: t("social.posts"), values: points.map((p) => p.posts), color: paletteColor(0) }],
        )
      : none();
    const unitBtn = (u: "hour" | "day", key: MsgKey) => {
      const b = h("button", { type: "button", class: "seg", "aria-pressed": String(this.volumeUnit === u), testid: `social-volume-${u}` }, t(key));
      b.addEventListener("click", () => {
        this.volumeUnit = u;
        this.renderAnalysis();
      });
      return b;
    };
    const volume = card(
      t("social.volume"),
      "social-volume",
      h("div", { class: "segmented social-unit", role: "group" }, unitBtn("hour", "social.byHour"), unitBtn("day", "social.byDay")),
      h("div", { class: "social-chart" }, chart),
    );

    const hashtags = card(
      t("social.topHashtags"),
      "social-hashtags-card",
      a.top_hashtags.length
        ? h(
            "div",
            { class: "dash-split" },
            this.charts.bar("hashtags", a.top_hashtags.slice(0, 10).map((k) => ({ label: `#${k.key}`, value: k.posts }))),
            table([t("social.col.hashtag"), t("social.col.posts")], a.top_hashtags.map((k) => [`#${k.key}`, k.posts]), "social-hashtags", "social-hashtag-row"),
          )
        : none(),
    );

    const authorName = (s: string) => (s ? `@${s}` : t("social.anonymous"));
    const authors = card(
      t("social.topAuthors"),
      "social-authors-card",
      a.top_authors.length
        ? h(
            "div",
            { class: "dash-split" },
            this.charts.bar("authors", a.top_authors.slice(0, 10).map((r) => ({ label: authorName(r.author), value: r.posts }))),
            table(
              [t("social.col.author"), t("social.col.posts"), t("social.col.likes"), t("social.col.shares"), t("social.col.replies")],
              a.top_authors.map((r) => [authorName(r.author), r.posts, r.likes, r.shares, r.replies]),
              "social-authors",
              "social-author-row",
            ),
          )
        : none(),
    );

    const s = a.sentiment;
    const sentiment = card(
      t("social.sentiment"),
      "social-sentiment",
      this.charts.stacked(
        "sentiment",
        (["positive", "neutral", "negative"] as const).map((k) => ({ label: t(`social.sentiment.${k}`), value: s[k], color: sentimentColor(k) })),
      ),
      h(
        "table",
        { class: "dash-table" },
        h("thead", null, h("tr", null, h("th", null, t("social.col.sentiment")), h("th", { class: "n" }, t("social.col.count")), h("th", { class: "n" }, t("social.col.share")))),
        h(
          "tbody",
          null,
          ...(["positive", "neutral", "negative"] as const).map((k) =>
            h(
              "tr",
              null,
              h("td", null, h("span", { class: "social-dot", style: { background: sentimentColor(k) } }), t(`social.sentiment.${k}`)),
              h("td", { class: "n", testid: `social-sentiment-${k}` }, formatNumber(s[k])),
              h("td", { class: "n" }, pct(e.posts ? s[k] / e.posts : 0)),
            ),
          ),
        ),
      ),
      h("p", { class: "dash-muted" }, t("social.sentimentAverage", { v: formatDecimal(s.average_score) })),
    );

    const mentions = (title: string, testid: string, rows: Analysis["sessions"], head: string) =>
      card(
        title,
        testid,
        rows.length
          ? h(
              "div",
              { class: "dash-split" },
              this.charts.bar(testid, rows.slice(0, 10).map((m) => ({ label: m.name, value: m.posts, note: `${formatNumber(m.posts)} · ${pct(m.share)}` }))),
              table([head, t("social.col.posts"), t("social.col.share")], rows.map((m) => [m.name, m.posts, pct(m.share)]), `${testid}-table`, `${testid}-row`),
            )
          : none(),
      );

    const platforms = card(
      t("social.platforms"),
      "social-platforms",
      h(
        "div",
        { class: "dash-split" },
        this.charts.bar("platforms", a.platforms.map((k) => ({ label: platformName(k.key), value: k.posts }))),
        table([t("social.col.platform"), t("social.col.posts")], a.platforms.map((k) => [platformName(k.key), k.posts])),
      ),
    );

    return [
      kpis,
      h("div", { class: "dash-grid one" }, volume),
      h(
        "div",
        { class: "dash-grid" },
        hashtags,
        sentiment,
        authors,
        platforms,
        mentions(t("social.sessions"), "social-sessions", a.sessions, t("social.sessions")),
        mentions(t("social.speakers"), "social-speakers", a.speakers, t("social.speakers")),
      ),
    ];
  }

  private renderWall(): void {
    if (!this.eventId) {
      replaceChildren(this.wallEl);
      return;
    }
    const tz = this.analysis?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    replaceChildren(
      this.wallEl,
      this.wall.length
        ? h(
            "ul",
            { class: "social-wall", testid: "social-wall", "aria-live": "polite" },
            ...this.wall.map((p) =>
              h(
                "li",
                { class: "social-post", testid: "social-wall-post", "data-id": p._id, "data-sentiment": p.sentiment },
                h(
                  "div",
                  { class: "social-post-head" },
                  h("span", { class: "social-dot", style: { background: sentimentColor(p.sentiment) }, title: t(`social.sentiment.${p.sentiment}`) }),
                  h("strong", null, p.author ? `@${p.author}` : t("social.anonymous")),
                  h("span", { class: "chip-sm" }, platformName(p.platform)),
                  h("span", { class: "grow" }),
                  h("span", { class: "dash-muted" }, formatDateTime(p.posted_at, tz)),
                ),
                h("div", { class: "social-post-text" }, p.text),
                h("div", { class: "dash-muted small" }, `♥ ${formatNumber(p.likes)} · ⇄ ${formatNumber(p.shares)} · ↩ ${formatNumber(p.replies)}`),
              ),
            ),
          )
        : h("p", { class: "dash-muted", testid: "social-wall-empty" }, t("social.wallEmpty")),
    );
  }
}
