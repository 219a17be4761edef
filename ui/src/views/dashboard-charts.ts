// Hand-written inline SVG charts (no library, works offline, embeds as-is in the HTML
// snapshot). Every text goes in as a text node.

const NS = "http://www.w3.org/2000/svg";

function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export const PALETTE = ["#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#14b8a6", "#f97316", "#64748b", "#ec4899"];

export interface BarRow { label: string; value: number; color?: string; note?: string }

/** Horizontal bars with labels on the left and values on the right. */
export function barChart(rows: BarRow[], opts: { width?: number; max?: number; fmt?: (n: number) => string; title?: string } = {}): SVGSVGElement {
  const width = opts.width ?? 420;
  const rowH = 26;
  const labelW = Math.min(170, Math.round(width * 0.38));
  const valueW = 64;
  const height = Math.max(1, rows.length) * rowH + 6;
  const max = opts.max ?? Math.max(1, ...rows.map((r) => r.value));
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "chart" });
  if (opts.title) svg.appendChild(s("title", {}, opts.title));
  const fmt = opts.fmt ?? ((n: number) => String(n));
  rows.forEach((r, i) => {
    const y = i * rowH + 4;
    const maxChars = Math.floor((labelW - 12) / 7.4);
    const label = r.label.length > maxChars ? `${r.label.slice(0, maxChars - 1)}…` : r.label;
    svg.appendChild(s("text", { x: labelW - 8, y: y + 15, "text-anchor": "end", class: "cl" }, label));
    const w = Math.max(0, ((width - labelW - valueW) * r.value) / max);
    svg.appendChild(s("rect", { x: labelW, y, width: Math.max(w, r.value > 0 ? 2 : 0), height: rowH - 8, rx: 4, fill: r.color ?? PALETTE[i % PALETTE.length] }));
    svg.appendChild(s("text", { x: labelW + w + 6, y: y + 15, class: "cv" }, r.note ?? fmt(r.value)));
  });
  return svg;
}

/** The colour of a score: red (bad) to green (good) for ratings; NPS by its three groups. */
export function scoreColor(kind: string, value: number): string {
  if (kind === "nps") return value >= 9 ? "#10b981" : value >= 7 ? "#f59e0b" : "#ef4444";
  return ["#ef4444", "#f97316", "#f59e0b", "#84cc16", "#10b981"][Math.min(4, Math.max(0, value - 1))];
}

/** One bar split in parts (NPS: detractors, passives, promoters). */
export function stackedBar(parts: { label: string; value: number; color: string }[], width = 420): SVGSVGElement {
  const total = parts.reduce((a, p) => a + p.value, 0);
  const svg = s("svg", { viewBox: `0 0 ${width} 58`, width, height: 58, role: "img", class: "chart" });
  let x = 0;
  for (const p of parts) {
    const w = total ? (width * p.value) / total : 0;
    if (w > 0) {
      svg.appendChild(s("rect", { x, y: 0, width: w, height: 28, fill: p.color }));
      if (w > 30) svg.appendChild(s("text", { x: x + w / 2, y: 19, "text-anchor": "middle", class: "cw" }, `${Math.round((100 * p.value) / total)} %`));
    }
    x += w;
  }
  if (!total) svg.appendChild(s("rect", { x: 0, y: 0, width, height: 28, fill: "#eceff3" }));
  let lx = 0;
  for (const p of parts) {
    svg.appendChild(s("rect", { x: lx, y: 40, width: 10, height: 10, fill: p.color }));
    svg.appendChild(s("text", { x: lx + 14, y: 49, class: "cl" }, `${p.label} ${p.value}`));
    lx += Math.max(110, width / parts.length);
  }
  return svg;
}

/** Columns over time for two series (answers, check-ins). */
export function timeChart(points: { at: Date; a: number; b: number }[], labels: [string, string], fmtTime: (d: Date) => string, width = 860): SVGSVGElement {
  const height = 190;
  const padL = 40, padB = 34, padT = 10;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "chart" });
  // An even top so that the middle gridline is a whole number too (no "1, 1, 0" axis).
  const top = Math.max(1, ...points.map((p) => Math.max(p.a, p.b)));
  const max = top === 1 ? 1 : top + (top % 2);
  const plotW = width - padL - 10;
  const plotH = height - padB - padT;
  for (const f of max === 1 ? [0, 1] : [0, 0.5, 1]) {
    const y = padT + plotH * (1 - f);
    svg.appendChild(s("line", { x1: padL, x2: width - 10, y1: y, y2: y, stroke: "#e5e7eb" }));
    svg.appendChild(s("text", { x: padL - 6, y: y + 4, "text-anchor": "end", class: "cl" }, String(Math.round(max * f))));
  }
  const n = Math.max(1, points.length);
  const slot = plotW / n;
  const bw = Math.max(1, Math.min(14, slot / 2 - 1));
  points.forEach((p, i) => {
    const x = padL + i * slot + slot / 2;
    const ha = (plotH * p.a) / max;
    const hb = (plotH * p.b) / max;
    svg.appendChild(s("rect", { x: x - bw, y: padT + plotH - ha, width: bw, height: ha, fill: PALETTE[0] }));
    svg.appendChild(s("rect", { x, y: padT + plotH - hb, width: bw, height: hb, fill: PALETTE[2] }));
  });
  const step = Math.max(1, Math.ceil(n / 8));
  points.forEach((p, i) => {
    if (i % step === 0) svg.appendChild(s("text", { x: padL + i * slot + slot / 2, y: height - padB + 16, "text-anchor": "middle", class: "cl" }, fmtTime(p.at)));
  });
  svg.appendChild(s("rect", { x: padL, y: height - 12, width: 10, height: 10, fill: PALETTE[0] }));
  svg.appendChild(s("text", { x: padL + 14, y: height - 3, class: "cl" }, labels[0]));
  svg.appendChild(s("rect", { x: padL + 140, y: height - 12, width: 10, height: 10, fill: PALETTE[2] }));
  svg.appendChild(s("text", { x: padL + 154, y: height - 3, class: "cl" }, labels[1]));
  return svg;
}

/** The CSS the charts and tables need, shared by the app and the HTML snapshot. */
export const DASH_CSS = `
.dash-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px;margin-top:16px}
.dash-kpis{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.dash-kpi{background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:12px 16px;min-width:130px}
.dash-kpi .k{font-size:12px;color:#6b7280}.dash-kpi .v{font-size:26px;font-weight:700;color:#111827}.dash-kpi .r{font-size:12px;color:#4f46e5}
.dash-card{background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:14px 16px}
.dash-card h3{margin:0 0 10px;font-size:15px}
.dash-split{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.dash-table{border-collapse:collapse;font-size:12.5px;min-width:200px}
.dash-table th,.dash-table td{padding:4px 8px;border-bottom:1px solid #eef0f4;text-align:left}
.dash-table td.n,.dash-table th.n{text-align:right;font-variant-numeric:tabular-nums}
.chart text{font:11.5px system-ui,sans-serif;fill:#4b5563}.chart .cw{fill:#fff;font-weight:600}.chart .cv{fill:#111827;font-weight:600}
.dash-texts{list-style:none;margin:0;padding:0;max-height:260px;overflow:auto}
.dash-texts li{border-bottom:1px solid #eef0f4;padding:6px 0;font-size:13px;white-space:pre-wrap;overflow-wrap:anywhere}
.dash-texts .q{color:#6b7280;font-size:11.5px}
.dash-nps{font-size:34px;font-weight:800;color:#4f46e5}
.dash-muted{color:#6b7280;font-size:13px}
.dash-kpis.small{margin:0 0 10px}.dash-kpis.small .dash-kpi{min-width:96px;padding:8px 12px}.dash-kpis.small .dash-kpi .v{font-size:20px}
.dash-card h4{margin:10px 0 6px;font-size:13px;color:#374151}
.dash-card-actions{display:flex;justify-content:flex-end;margin-top:10px}
.dash-wall{list-style:none;margin:0;padding:0;max-height:300px;overflow:auto}
.dash-wall li{border-left:3px solid #94a3b8;padding:6px 10px;margin:0 0 6px;background:#f8fafc;border-radius:6px;font-size:13px;overflow-wrap:anywhere}
.dash-wall li.sent-positive{border-color:#10b981}.dash-wall li.sent-negative{border-color:#ef4444}
.dash-wall .q{color:#6b7280;font-size:11.5px}
`;
