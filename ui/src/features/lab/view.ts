// Index lab: generate test data, run the app's queries with each kind of index, see the
// server's explain figures, latencies and costs as charts and a table, compare saved runs,
// benchmark the app's handlers, export the report.

import { toApiError } from "../../shared/api.js";
import { labApi, type HandlerBench, type LabRun, type Overview, type Progress, type QueryResult, type VariantResult } from "./api.js";
import { h, icon, replaceChildren } from "../../shared/dom.js";
import { Charts } from "../dashboard/charts.js";
import { token } from "../../shared/tokens.js";
import { formatDecimal, formatNumber, getLang, t } from "../../shared/i18n.js";
import type { View } from "../../main.js";
import { button, field, sectionCard, toast, toastError } from "../../shared/ui.js";

const SCALES = [1_000, 2_000, 10_000, 100_000, 1_000_000];

function num(n: number): string {
  if (n >= 100) return formatNumber(Math.round(n));
  return n.toLocaleString(getLang() === "fr" ? "fr-FR" : "en-GB", { maximumFractionDigits: 2 });
}

function size(b: number): string {
  return b >= 1024 * 1024 ? `${num(b / 1024 / 1024)} MiB` : `${num(b / 1024)} KiB`;
}

function when(iso: string): string {
  return new Date(iso).toLocaleString(getLang() === "fr" ? "fr-FR" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
}

function variantLabel(v: VariantResult): string {
  return v.kind === "none" ? t("lab.noIndex") : `${v.kind} · ${v.index.replace(/^lab_/, "")}`;
}

function planTag(v: VariantResult): HTMLElement {
  if (v.outcome === "unsupported") return h("span", { class: "lab-tag lab-na", testid: "lab-unsupported" }, t("lab.unsupportedShort"));
  if (v.outcome === "error") return h("span", { class: "lab-tag lab-na" }, t("lab.error"));
  if (v.outcome === "timed_out") return h("span", { class: "lab-tag lab-na", testid: "lab-timed-out" }, t("lab.timedOut", { s: num(v.build_timeout_s) }));
  const scan = v.explain.access.includes("COLLSCAN");
  return h("span", { class: `lab-tag ${scan ? "lab-scan" : "lab-ix"}`, testid: "lab-plan" }, v.explain.access + (v.explain.in_memory_sort ? " + SORT" : ""));
}

export class LabView implements View {
  el = h("div", { class: "page lab-page", testid: "lab-page" });
  navId = "nav-advanced";
  private ov: Overview | null = null;
  private run: LabRun | null = null;
  private benchResult: HandlerBench | null = null;
  private busy = false;
  private scale = 2_000;
  private seed = 42;
  private query = "";
  private runs = 20;
  private sizes = "1000,10000";
  private clients = "1,8,64";
  private ops = 100;
  private progressBox = h("div", { class: "lab-progress", hidden: true, testid: "lab-progress" });
  /** Two charts per query (documents examined, p50), kept across re-renders. */
  private charts = new Charts();

  constructor() {
    this.rerender();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.ov = await labApi.overview();
      if (this.ov.data) this.seed = this.ov.data.seed;
      if (this.ov.runs.length && !this.run) this.run = await labApi.getRun(this.ov.runs[0]._id);
      if (!this.benchResult) this.benchResult = await labApi.latestBench();
    } catch (e) {
      toastError(toApiError(e));
    }
    this.rerender();
  }

  destroy(): void {
    this.charts.destroy();
  }

  rerender(): void {
    this.charts.begin();
    replaceChildren(
      this.el,
      h(
        "header",
        { class: "page-head" },
        h("div", null, h("h1", { class: "page-title" }, t("lab.title")), h("p", { class: "page-sub" }, t("lab.sub", { db: this.ov?.lab_database ?? "…" }))),
      ),
      this.progressBox,
      this.dataCard(),
      this.queriesCard(),
      this.resultsCard(),
      this.benchCard(),
    );
    this.charts.end();
  }

  private showProgress(p: Progress | null): void {
    if (!p) {
      this.progressBox.hidden = true;
      replaceChildren(this.progressBox);
      return;
    }
    this.progressBox.hidden = false;
    const pr = h("progress", { max: String(Math.max(1, p.total)), value: String(p.done) });
    const cancel = button(t("lab.cancel"), { small: true, testid: "lab-cancel", onClick: () => void labApi.cancel() });
    replaceChildren(this.progressBox, h("span", null, `${p.phase} · ${p.step}`), pr, h("span", null, `${formatNumber(p.done)} / ${formatNumber(p.total)}`), cancel);
  }

  private async job<T>(start: Progress, f: (onProgress: (p: Progress) => void) => Promise<T>): Promise<T | null> {
    if (this.busy) return null;
    this.busy = true;
    this.rerender();
    this.showProgress(start);
    try {
      return await f((p) => this.showProgress(p));
    } catch (e) {
      toastError(toApiError(e));
      return null;
    } finally {
      this.busy = false;
      this.showProgress(null);
    }
  }

  private dataCard(): HTMLElement {
    const d = this.ov?.data;
    const info = d
      ? t("lab.dataCurrent", {
          total: formatNumber(d.counts.events + d.counts.participants + d.counts.answers + d.counts.connections),
          seed: d.seed,
          events: formatNumber(d.counts.events),
          participants: formatNumber(d.counts.participants),
          answers: formatNumber(d.counts.answers),
          connections: formatNumber(d.counts.connections),
          seconds: num(d.seconds),
        }) + (d.cancelled ? ` — ${t("lab.dataCancelled")}` : "")
      : t("lab.dataNone");
    const scale = h("select", { class: "input", testid: "lab-scale" }, ...SCALES.map((s) => h("option", { value: String(s), selected: s === this.scale }, formatNumber(s))));
    scale.addEventListener("change", () => (this.scale = Number(scale.value)));
    const seed = h("input", { class: "input", type: "number", min: "0", step: "1", value: String(this.seed), testid: "lab-seed" });
    seed.addEventListener("change", () => (this.seed = Math.max(0, Math.floor(Number(seed.value) || 0))));
    const go = button(this.busy ? t("lab.generating") : t("lab.generate"), { kind: "primary", icon: "database", testid: "lab-generate", onClick: () => void this.generate() });
    go.disabled = this.busy;
    return sectionCard(
      t("lab.data"),
      "database",
      h("p", { class: "lab-note", testid: "lab-data" }, info),
      h("div", { class: "lab-row" }, field(t("lab.scale"), scale), field(t("lab.seed"), seed, { hint: t("lab.seedHint") }), go),
    );
  }

  private async generate(): Promise<void> {
    const set = await this.job({ phase: "generate", step: "", done: 0, total: this.scale }, (p) => labApi.generate(this.scale, this.seed, p));
    if (set) toast(set.cancelled ? t("lab.cancelled") : t("lab.generated", { n: formatNumber(set.scale), s: num(set.seconds) }), set.cancelled ? "info" : "success");
    await this.load();
  }

  private queriesCard(): HTMLElement {
    const cat = this.ov?.catalogue ?? [];
    const lang = getLang();
    const q = h(
      "select",
      { testid: "lab-query" },
      h("option", { value: "", selected: this.query === "" }, t("lab.allQueries", { n: cat.length })),
      ...cat.map((c) => h("option", { value: c.id, selected: c.id === this.query }, `${c.title[lang]} — ${c.collection}`)),
    );
    q.addEventListener("change", () => (this.query = q.value));
    const runs = h("input", { class: "input", type: "number", min: "1", max: "1000", value: String(this.runs), testid: "lab-runs" });
    runs.addEventListener("change", () => (this.runs = Math.max(1, Math.min(1000, Math.floor(Number(runs.value) || 1)))));
    const go = button(this.busy ? t("lab.running") : t("lab.run"), { kind: "primary", icon: "flask", testid: "lab-run", onClick: () => void this.runLab() });
    go.disabled = this.busy || !this.ov?.data;
    const caps = this.ov?.capabilities;
    const missing = caps ? [caps.text_search ? null : t("lab.kindText"), caps.hashed_index ? null : t("lab.kindHashed")].filter(Boolean) : [];
    return sectionCard(
      t("lab.queries"),
      "search",
      h("div", { class: "lab-row" }, field(t("lab.query"), q), field(t("lab.runs"), runs), go),
      caps ? h("p", { class: "lab-note", testid: "lab-caps" }, missing.length ? t("lab.unsupported", { kinds: missing.join(", ") }) : t("lab.allSupported")) : null,
    );
  }

  private async runLab(): Promise<void> {
    const opts = { queries: this.query ? [this.query] : [], runs: this.runs, warmup: 3, write_batch: 300 };
    const run = await this.job({ phase: "run", step: "", done: 0, total: 1 }, (p) => labApi.run(opts, p));
    if (run) {
      this.run = run;
      if (this.ov) this.ov.runs = await labApi.runs().catch(() => this.ov?.runs ?? []);
    }
    this.rerender();
  }

  private resultsCard(): HTMLElement {
    const runs = this.ov?.runs ?? [];
    const past = h(
      "select",
      { testid: "lab-past-runs" },
      ...runs.map((r) => h("option", { value: r._id, selected: r._id === this.run?._id }, t("lab.runLabel", { date: when(r.started_at), scale: formatNumber(r.scale), n: r.queries }))),
    );
    past.addEventListener("change", () => {
      void labApi
        .getRun(past.value)
        .then((r) => {
          this.run = r;
          this.rerender();
        })
        .catch((e) => toastError(toApiError(e)));
    });
    const exp = button(t("lab.export"), { icon: "save", testid: "lab-export", onClick: () => void this.exportReport() });
    exp.disabled = !this.run;
    const docs = button(t("lab.documents"), { icon: "save", testid: "lab-documents", onClick: () => void this.generateDocuments() });
    docs.title = t("lab.documentsTip");
    docs.disabled = !this.run;
    const r = this.run;
    return sectionCard(
      t("lab.results"),
      "chart",
      h("div", { class: "lab-row" }, runs.length ? field(t("lab.pastRuns"), past) : null, exp, docs),
      r
        ? h(
            "div",
            { testid: "lab-results" },
            h(
              "p",
              { class: "lab-note", testid: "lab-run-head" },
              t("lab.runHead", {
                date: when(r.started_at),
                server: `${r.server.engine} ${r.server.version}`,
                total: formatNumber(r.data.counts.events + r.data.counts.participants + r.data.counts.answers + r.data.counts.connections),
                runs: r.options.runs,
                cpus: r.machine.cpus,
              }),
            ),
            ...r.results.map((q) => this.queryBlock(q)),
          )
        : h("p", { class: "lab-note" }, t("lab.noResults")),
    );
  }

  /** Horizontal bars under a title: the best variant in green. */
  private chart(key: string, title: string, rows: { label: string; value: number; best: boolean }[], fmt: (n: number) => string): HTMLElement {
    return h(
      "div",
      { class: "lab-chart" },
      h("div", { class: "ct" }, title),
      this.charts.bar(key, rows.map((r) => ({ label: r.label, value: r.value, color: token(r.best ? "lab-best" : "lab-other") })), { fmt }),
    );
  }

  private queryBlock(q: QueryResult): HTMLElement {
    const lang = getLang();
    const ok = q.variants.filter((v) => v.outcome === "ok");
    const best = q.verdict.best;
    const th = (k: Parameters<typeof t>[0], n = false) => h("th", { class: n ? "n" : undefined }, t(k));
    const td = (v: string | number) => h("td", { class: "n" }, typeof v === "number" ? num(v) : v);
    return h(
      "section",
      { class: "lab-query", testid: "lab-query-result", "data-query": q.id },
      h("h4", null, q.title[lang]),
      h("div", { class: "lab-note" }, t("lab.usedBy", { v: q.used_by[lang] }), ` · ${q.collection} (${formatNumber(q.collection_docs)})`),
      h("div", { class: "lab-shape" }, q.shape),
      h("div", { class: "lab-verdict", testid: "lab-verdict" }, q.verdict[lang]),
      h(
        "div",
        { class: "lab-charts" },
        this.chart(`${q.id}-docs`, t("lab.chartDocs"), ok.map((v) => ({ label: variantLabel(v), value: v.explain.docs_examined, best: v.index === best })), num),
        this.chart(`${q.id}-p50`, t("lab.chartP50"), ok.map((v) => ({ label: variantLabel(v), value: v.latency.p50_ms, best: v.index === best })), (x) => `${num(x)} ms`),
      ),
      h(
        "table",
        { class: "lab-table" },
        h("thead", null, h("tr", null, th("lab.col.kind"), th("lab.col.plan"), th("lab.col.keys", true), th("lab.col.docs", true), th("lab.col.returned", true), th("lab.col.server", true), th("lab.col.p50", true), th("lab.col.p95", true), th("lab.col.p99", true), th("lab.col.size", true), th("lab.col.inserts", true))),
        h(
          "tbody",
          null,
          ...q.variants.map((v) =>
            v.outcome !== "ok"
              ? h("tr", { testid: "lab-result-row" }, h("td", null, v.kind, h("div", { class: "lab-def" }, v.definition)), h("td", { colspan: "10" }, planTag(v), v.outcome === "timed_out" ? null : h("span", { class: "lab-def" }, " ", v.message)))
              : h(
                  "tr",
                  { testid: "lab-result-row" },
                  h("td", null, v.index === best ? h("strong", null, v.kind, " ", icon("check", 14)) : v.kind, h("div", { class: "lab-def" }, v.definition)),
                  h("td", null, planTag(v)),
                  td(v.explain.keys_examined),
                  td(v.explain.docs_examined),
                  td(v.explain.returned),
                  td(v.explain.server_ms),
                  td(v.latency.p50_ms),
                  td(v.latency.p95_ms),
                  td(v.latency.p99_ms),
                  td(size(v.index_bytes)),
                  td(v.inserts_per_s),
                ),
          ),
        ),
      ),
    );
  }

  private async exportReport(): Promise<void> {
    try {
      const path = await labApi.exportReport(this.run?._id ?? null, getLang());
      if (path) toast(t("lab.exported", { path }), "success");
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  private async generateDocuments(): Promise<void> {
    try {
      const paths = await labApi.generateDocuments();
      if (paths && paths.length) {
        const dir = paths[0].replace(/[\\/][^\\/]*$/, "");
        toast(t("lab.documentsDone", { n: paths.length, dir }), "success");
      }
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  private benchCard(): HTMLElement {
    const sizes = h("input", { class: "input", type: "text", value: this.sizes, testid: "lab-bench-sizes" });
    sizes.addEventListener("change", () => (this.sizes = sizes.value));
    const clients = h("input", { class: "input", type: "text", value: this.clients, testid: "lab-bench-clients" });
    clients.addEventListener("change", () => (this.clients = clients.value));
    const ops = h("input", { class: "input", type: "number", min: "1", value: String(this.ops), testid: "lab-bench-ops" });
    ops.addEventListener("change", () => (this.ops = Math.max(1, Math.floor(Number(ops.value) || 1))));
    const go = button(t("lab.benchRun"), { kind: "primary", icon: "clock", testid: "lab-bench-run", onClick: () => void this.runBench() });
    go.disabled = this.busy;
    const b = this.benchResult;
    const ms3 = (l: { p50_ms: number; p95_ms: number; p99_ms: number }) => `${num(l.p50_ms)} / ${num(l.p95_ms)} / ${num(l.p99_ms)}`;
    const th = (k: Parameters<typeof t>[0], n = false) => h("th", { class: n ? "n" : undefined }, t(k));
    return sectionCard(
      t("lab.bench"),
      "clock",
      h("p", { class: "lab-note" }, t("lab.benchSub")),
      h("div", { class: "lab-row" }, field(t("lab.sizes"), sizes), field(t("lab.clients"), clients), field(t("lab.ops"), ops), go),
      b
        ? h(
            "table",
            { class: "lab-table", testid: "lab-bench-table" },
            h("thead", null, h("tr", null, th("lab.col.handler"), th("lab.col.size2", true), th("lab.col.clients", true), th("lab.col.app", true), th("lab.col.driver", true), th("lab.col.ratio", true), th("lab.col.what"))),
            h(
              "tbody",
              null,
              ...b.results.map((r) =>
                h("tr", { testid: "lab-bench-row" }, h("td", null, r.handler), h("td", { class: "n" }, formatNumber(r.size)), h("td", { class: "n" }, String(r.clients)), h("td", { class: "n" }, ms3(r.app)), h("td", { class: "n" }, ms3(r.driver)), h("td", { class: "n" }, formatDecimal(r.ratio_p50)), h("td", { class: "lab-def" }, r.source)),
              ),
            ),
          )
        : null,
    );
  }

  private async runBench(): Promise<void> {
    const list = (s: string) => s.split(/[,\s]+/).filter(Boolean).map(Number);
    const opts = { sizes: list(this.sizes), clients: list(this.clients), ops: this.ops };
    const b = await this.job({ phase: "bench", step: "", done: 0, total: 1 }, (p) => labApi.bench(opts, p));
    if (b) this.benchResult = b;
    this.rerender();
  }
}
