// Charts of the dashboard and the social page, drawn by Chart.js (npm `chart.js`, its UMD
// build copied to dist/vendor and loaded by the screens that draw charts before they are
// shown, `loadCharts` in shared/vendor.ts: works offline). A `Charts` host
// keeps one Chart per key across re-renders, so a live refresh updates a chart in place
// (animated) instead of rebuilding it. Tables beside the charts carry the same figures.
// The HTML snapshot turns each canvas into an image (`snapshotOf`).

import type { Chart as ChartInstance, ChartConfiguration, Plugin } from "chart.js";
import { formatNumber, locale } from "../../shared/i18n.js";
import { token, tokenList } from "../../shared/tokens.js";

/** The global of Chart.js's UMD build (every chart type and scale registered). */
declare const Chart: typeof import("chart.js").Chart;

/** Series colour `i` of the palette (`--chart-1` … `--chart-10` in styles.css), cycling. */
export function paletteColor(i: number): string {
  const p = tokenList("chart-");
  return p.length ? p[i % p.length] : "";
}

const FONT = { family: "system-ui, sans-serif", size: 11.5 };
/** Axis and legend text, and grid lines. */
const ink = () => token("chart-ink");
const grid = () => token("chart-grid");

export interface BarRow { label: string; value: number; color?: string; note?: string }
export interface Series { label: string; values: number[]; color: string }

/** The colour of a score: red (bad) to green (good) for ratings; NPS by its three groups. */
export function scoreColor(kind: string, value: number): string {
  if (kind === "nps") return token(value >= 9 ? "score-5" : value >= 7 ? "score-3" : "score-1");
  return token(`score-${Math.min(5, Math.max(1, value))}`);
}

/** Shorten a label for an axis (the full text is in the tooltip and the table). */
function short(label: string, max = 26): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

interface Entry {
  box: HTMLDivElement;
  chart: ChartInstance;
  type: string;
  /** The text written at the end of each bar (horizontal bar charts). */
  notes: string[];
}

/** Writes `entry.notes[i]` after bar i (the value, or a note such as "12 · 40 %"). */
function notesPlugin(entry: () => Entry | undefined): Plugin {
  return {
    id: "eventhubNotes",
    afterDatasetsDraw(chart) {
      const e = entry();
      if (!e || !e.notes.length) return;
      const meta = chart.getDatasetMeta(0);
      const ctx = chart.ctx;
      ctx.save();
      ctx.font = `600 ${FONT.size}px ${FONT.family}`;
      ctx.fillStyle = token("chart-label");
      ctx.textBaseline = "middle";
      meta.data.forEach((bar, i) => {
        const note = e.notes[i];
        if (!note) return;
        // The bar's current (animated) end, so that the note travels with it.
        const { x, y } = bar.getProps(["x", "y"]) as { x: number; y: number };
        const w = ctx.measureText(note).width;
        // Inside the bar's end when there is no room after it.
        const outside = x + 6 + w <= chart.chartArea.right + 60;
        ctx.fillStyle = token(outside ? "chart-label" : "chart-label-on-bar");
        ctx.fillText(note, outside ? x + 6 : x - w - 6, y);
      });
      ctx.restore();
    },
  };
}

/**
 * The charts of one page. `begin()` before a render, then one call per chart (same key:
 * same chart, updated), `end()` after: charts not drawn again are destroyed.
 */
export class Charts {
  private live = new Map<string, Entry>();
  private used = new Set<string>();

  begin(): void {
    this.used.clear();
  }

  end(): void {
    for (const [k, e] of this.live) {
      if (!this.used.has(k)) {
        e.chart.destroy();
        this.live.delete(k);
      }
    }
  }

  destroy(): void {
    for (const e of this.live.values()) e.chart.destroy();
    this.live.clear();
  }

  /** Finish every running animation (before a snapshot takes the pictures). */
  settle(): void {
    for (const e of this.live.values()) e.chart.update("none");
  }

  /**
   * Draw (or update) the chart `key`. `summary` is what a screen reader says of it (the
   * canvas is opaque to assistive technology; the tables beside carry the same figures).
   */
  private draw(key: string, height: number, config: ChartConfiguration, summary: string, notes: string[] = [], testid?: string): HTMLElement {
    this.used.add(key);
    // Numbers on the axes and in tooltips in the interface's language.
    config.options = { ...config.options, locale: locale() };
    const known = this.live.get(key);
    if (known && known.type === config.type) {
      known.box.querySelector("canvas")?.setAttribute("aria-label", summary);
      known.notes = notes;
      known.box.style.height = `${height}px`;
      known.chart.data = config.data;
      if (config.options) known.chart.options = config.options;
      known.chart.update();
      return known.box;
    }
    known?.chart.destroy();
    const box = document.createElement("div");
    box.className = "chart-box";
    box.style.height = `${height}px`;
    if (testid) box.dataset.testid = testid;
    box.dataset.chart = key;
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", summary);
    box.appendChild(canvas);
    let entry: Entry | undefined;
    config.plugins = [...(config.plugins ?? []), notesPlugin(() => entry)];
    const chart = new Chart(canvas, config);
    entry = { box, chart, type: String(config.type), notes };
    this.live.set(key, entry);
    return box;
  }

  /** Horizontal bars: a label on the left, the value (or a note) after each bar. */
  bar(key: string, rows: BarRow[], opts: { max?: number; fmt?: (n: number) => string; title?: string; testid?: string } = {}): HTMLElement {
    const fmt = opts.fmt ?? formatNumber;
    const summary = [opts.title, ...rows.map((r) => `${r.label}: ${r.note ?? fmt(r.value)}`)].filter(Boolean).join("; ");
    return this.draw(
      key,
      Math.max(1, rows.length) * 28 + 16,
      {
        type: "bar",
        data: {
          labels: rows.map((r) => r.label),
          datasets: [{
            label: opts.title ?? "",
            data: rows.map((r) => r.value),
            backgroundColor: rows.map((r, i) => r.color ?? paletteColor(i)),
            borderRadius: 4,
            barPercentage: 0.85,
            categoryPercentage: 0.9,
          }],
        },
        options: {
          indexAxis: "y",
          responsive: true,
          maintainAspectRatio: false,
          animation: { duration: 400 },
          layout: { padding: { right: 70 } },
          plugins: {
            legend: { display: false },
            tooltip: { callbacks: { title: (items) => rows[items[0]?.dataIndex ?? 0]?.label ?? "", label: (item) => rows[item.dataIndex]?.note ?? fmt(Number(item.raw)) } },
          },
          scales: {
            x: { beginAtZero: true, max: opts.max, grid: { color: grid() }, ticks: { font: FONT, color: ink(), precision: 0 } },
            // Labels shortened to 40 % of the chart's width (the whole text is in the
            // tooltip and the table).
            y: {
              grid: { display: false },
              ticks: {
                font: FONT,
                color: ink(),
                callback(value) {
                  return short(this.getLabelForValue(Number(value)), Math.max(6, Math.floor((this.chart.width * 0.4) / 7)));
                },
              },
            },
          },
        },
      },
      summary,
      rows.map((r) => r.note ?? fmt(r.value)),
      opts.testid,
    );
  }

  /** One bar split in parts (NPS: detractors, passives, promoters), with percentages. */
  stacked(key: string, parts: { label: string; value: number; color: string }[]): HTMLElement {
    const total = parts.reduce((a, p) => a + p.value, 0);
    const summary = parts.map((p) => `${p.label}: ${formatNumber(p.value)} (${total ? Math.round((100 * p.value) / total) : 0} %)`).join("; ");
    return this.draw(key, 74, {
      type: "bar",
      data: {
        labels: [""],
        datasets: [
          // An empty part is not drawn at all (a zero-width bar left a hairline).
          ...parts.map((p) => ({ label: `${p.label} ${p.value}`, data: [p.value > 0 ? p.value : null], backgroundColor: p.color, barPercentage: 1, categoryPercentage: 1 })),
          // Nothing to split yet: an empty grey bar (left out of the legend and tooltips).
          ...(total ? [] : [{ label: "", data: [1], backgroundColor: token("chart-empty"), barPercentage: 1, categoryPercentage: 1 }]),
        ],
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: { duration: 400 },
        plugins: {
          legend: { position: "bottom", labels: { font: FONT, color: ink(), boxWidth: 10, filter: (item) => item.text !== "" } },
          tooltip: { enabled: total > 0, callbacks: { label: (item) => `${item.dataset.label} · ${total ? Math.round((100 * Number(item.raw)) / total) : 0} %` } },
        },
        scales: {
          x: { stacked: true, display: false, min: 0, max: Math.max(1, total) },
          y: { stacked: true, display: false },
        },
      },
    }, summary);
  }

  /** Stacked columns over time: a column is every interaction of its time, one colour per series (legend entries toggle a series). */
  time(key: string, labels: string[], series: Series[], opts: { testid?: string } = {}): HTMLElement {
    const span = labels.length ? `${labels[0]} – ${labels[labels.length - 1]}` : "";
    const summary = [span, ...series.map((s) => `${s.label}: ${formatNumber(s.values.reduce((a, b) => a + b, 0))}`)].filter(Boolean).join("; ");
    return this.draw(key, 210, {
      type: "bar",
      data: {
        labels,
        datasets: series.map((s) => ({ label: s.label, data: s.values, backgroundColor: s.color, maxBarThickness: 28 })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: { duration: 400 },
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: series.length > 1, position: "bottom", labels: { font: FONT, color: ink(), boxWidth: 10 } },
        },
        scales: {
          x: { stacked: true, grid: { display: false }, ticks: { font: FONT, color: ink(), autoSkip: true, maxTicksLimit: 10, maxRotation: 0 } },
          y: { stacked: true, beginAtZero: true, grid: { color: grid() }, ticks: { font: FONT, color: ink(), precision: 0 } },
        },
      },
    }, summary, [], opts.testid);
  }
}

/**
 * A copy of `el` for a self-contained HTML page: each chart becomes the image it shows
 * (a PNG data URL), buttons are left out.
 */
export function snapshotOf(el: HTMLElement): HTMLElement {
  const copy = el.cloneNode(true) as HTMLElement;
  const live = [...el.querySelectorAll("canvas")];
  [...copy.querySelectorAll("canvas")].forEach((c, i) => {
    const img = document.createElement("img");
    img.src = live[i]?.toDataURL("image/png") ?? "";
    img.alt = "";
    img.style.width = "100%";
    c.replaceWith(img);
  });
  copy.querySelectorAll("button, .dash-card-actions").forEach((b) => b.remove());
  return copy;
}

/** The CSS the charts and tables need, shared by the app and the HTML snapshot. */
export const DASH_CSS = `
.dash-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px;margin-top:16px}
.dash-grid.one{grid-template-columns:1fr}
.dash-kpis{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.dash-kpi{background:var(--surface);border:1px solid var(--dash-line);border-radius:12px;padding:12px 16px;min-width:130px}
.dash-kpi .k{font-size:12px;color:var(--dash-muted)}.dash-kpi .v{font-size:26px;font-weight:700;color:var(--chart-label)}.dash-kpi .r{font-size:12px;color:var(--accent)}
.dash-card{background:var(--surface);border:1px solid var(--dash-line);border-radius:12px;padding:14px 16px;min-width:0}
.dash-card h3{margin:0 0 10px;font-size:15px}
.dash-split{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.dash-split>.chart-box{flex:1 1 320px;min-width:260px}
.chart-box{position:relative;width:100%}
.chart-box>img{display:block;height:100%;object-fit:contain}
.dash-table{border-collapse:collapse;font-size:12.5px;min-width:200px}
.dash-table th,.dash-table td{padding:4px 8px;border-bottom:1px solid var(--chart-grid);text-align:left}
.dash-table td.n,.dash-table th.n{text-align:right;font-variant-numeric:tabular-nums}
.dash-texts{list-style:none;margin:0;padding:0;max-height:260px;overflow:auto}
.dash-texts li{border-bottom:1px solid var(--chart-grid);padding:6px 0;font-size:13px;white-space:pre-wrap;overflow-wrap:anywhere}
.dash-texts .q{color:var(--dash-muted);font-size:11.5px}
.dash-nps{font-size:34px;font-weight:800;color:var(--accent)}
.dash-muted{color:var(--dash-muted);font-size:13px}
.dash-kpis.small{margin:0 0 10px}.dash-kpis.small .dash-kpi{min-width:96px;padding:8px 12px}.dash-kpis.small .dash-kpi .v{font-size:20px}
.dash-card h4{margin:10px 0 6px;font-size:13px;color:var(--dash-heading)}
.dash-card-actions{display:flex;justify-content:flex-end;margin-top:10px}
.dash-wall{list-style:none;margin:0;padding:0;max-height:300px;overflow:auto}
.dash-wall li{border-left:3px solid var(--sentiment-neutral);padding:6px 10px;margin:0 0 6px;background:var(--dash-wall-bg);border-radius:6px;font-size:13px;overflow-wrap:anywhere}
.dash-wall li.sent-positive{border-color:var(--sentiment-positive)}.dash-wall li.sent-negative{border-color:var(--sentiment-negative)}
.dash-wall .q{color:var(--dash-muted);font-size:11.5px}
`;
