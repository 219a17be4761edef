// The CSV import wizard: pick a file (native dialog) → detected encoding and separator,
// preview and column mapping → import with progress and Cancel → per-row report.

import { toApiError } from "../../shared/api.js";
import { papi, TARGETS, type ImportOptions, type ImportReport, type Preview, type Progress, type Target } from "./api.js";
import { h, icon, replaceChildren } from "../../shared/dom.js";
import { formatNumber, t, type MsgKey } from "../../shared/i18n.js";
import { openDialog, toastError } from "../../shared/ui.js";

const SEPS: [string, MsgKey][] = [
  [";", "imp.sep.semicolon"],
  [",", "imp.sep.comma"],
  ["\t", "imp.sep.tab"],
  ["|", "imp.sep.pipe"],
];
const ENCODINGS = ["UTF-8", "windows-1252", "UTF-16LE", "ISO-8859-15"];

function sepLabel(s: string): string {
  const found = SEPS.find(([v]) => v === s);
  return found ? t(found[1]) : s;
}

/** Returns whether anything was imported (the list should refresh). */
export async function openImportWizard(eventId: string): Promise<boolean> {
  let path: string | null;
  try {
    path = await papi.pickFile();
  } catch (e) {
    toastError(toApiError(e));
    return false;
  }
  if (!path) return false;
  let preview: Preview;
  try {
    preview = await papi.inspect(path, null);
  } catch (e) {
    toastError(toApiError(e));
    return false;
  }
  const file = path;
  let imported = false;
  let running = false;
  await openDialog((close) => {
    const body = h("div", { class: "dialog-body import-body", testid: "imp-dialog" });
    const foot = h("footer", { class: "dialog-foot" });
    let mapping: Target[] = [...preview.mapping];
    const opts: ImportOptions = { encoding: null, separator: null };
    const detected = { encoding: preview.encoding, separator: preview.separator };

    const reinspect = async () => {
      try {
        preview = await papi.inspect(file, opts);
        mapping = [...preview.mapping];
        renderPreview();
      } catch (e) {
        toastError(toApiError(e));
      }
    };

    const renderPreview = () => {
      const enc = h("select", { class: "input input-sm", testid: "imp-encoding", "aria-label": t("imp.encoding") }, h("option", { value: "" }, t("imp.auto", { value: detected.encoding })), ...ENCODINGS.map((e) => h("option", { value: e }, e)));
      enc.value = opts.encoding ?? "";
      enc.addEventListener("change", () => {
        opts.encoding = enc.value || null;
        void reinspect();
      });
      const sep = h("select", { class: "input input-sm", testid: "imp-separator", "aria-label": t("imp.separator") }, h("option", { value: "" }, t("imp.auto", { value: sepLabel(detected.separator) })), ...SEPS.map(([v, k]) => h("option", { value: v }, t(k))));
      sep.value = opts.separator ?? "";
      sep.addEventListener("change", () => {
        opts.separator = sep.value || null;
        void reinspect();
      });
      const go = h("button", { type: "button", class: "btn btn-primary", testid: "imp-go" }, icon("check", 16), h("span", null, t("imp.go")));
      const warn = h("p", { class: "imp-warn", testid: "imp-no-email" }, icon("alert", 14), t("imp.noEmail"));
      const sync = () => {
        const ok = mapping.includes("email");
        go.disabled = !ok;
        warn.hidden = ok;
      };
      const mapRow = h(
        "tr",
        { class: "imp-map" },
        ...preview.headers.map((_, i) => {
          const s = h("select", { class: "input input-sm", testid: `imp-map-${i}`, "aria-label": preview.headers[i] }, ...TARGETS.map((x) => h("option", { value: x }, t(`imp.t.${x}` as MsgKey))));
          s.value = mapping[i];
          s.addEventListener("change", () => {
            mapping[i] = s.value as Target;
            sync();
          });
          return h("th", null, s);
        }),
      );
      const table = h(
        "div",
        { class: "imp-table-wrap" },
        h(
          "table",
          { class: "imp-table", testid: "imp-preview" },
          h("thead", null, h("tr", null, ...preview.headers.map((x) => h("th", { class: "imp-head" }, x))), mapRow),
          h("tbody", null, ...preview.rows.map((r) => h("tr", { testid: "imp-preview-row" }, ...preview.headers.map((_, i) => h("td", null, r[i] ?? ""))))),
        ),
      );
      replaceChildren(
        body,
        h(
          "div",
          { class: "imp-meta" },
          h("div", { class: "imp-file" }, icon("database", 16), h("strong", { testid: "imp-file" }, preview.file), h("span", { class: "muted", testid: "imp-rows" }, t("imp.rows", { n: preview.total_rows }))),
          h("label", { class: "imp-opt" }, h("span", { class: "filter-label" }, t("imp.encoding")), enc),
          h("label", { class: "imp-opt" }, h("span", { class: "filter-label" }, t("imp.separator")), sep),
        ),
        h("p", { class: "muted imp-help" }, t("imp.mapping")),
        table,
        warn,
      );
      const cancel = h("button", { type: "button", class: "btn" }, t("common.cancel"));
      cancel.addEventListener("click", () => close("cancel"));
      go.addEventListener("click", () => void run());
      replaceChildren(foot, cancel, go);
      sync();
    };

    const run = async () => {
      const bar = h("div", { class: "imp-bar-fill" });
      const label = h("div", { class: "imp-progress-label", testid: "imp-progress-label" }, t("imp.checking"));
      const progress = h("div", { class: "imp-progress", testid: "imp-progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100" }, h("div", { class: "imp-bar" }, bar), label);
      const stop = h("button", { type: "button", class: "btn btn-danger", testid: "imp-cancel" }, t("imp.cancel"));
      stop.addEventListener("click", () => {
        stop.disabled = true;
        void papi.cancelImport();
      });
      replaceChildren(body, progress);
      replaceChildren(foot, stop);
      const onProgress = (p: Progress) => {
        const pct = p.total > 0 ? Math.round((100 * p.done) / p.total) : p.phase === "done" ? 100 : 0;
        bar.style.width = `${pct}%`;
        progress.setAttribute("aria-valuenow", String(pct));
        label.textContent =
          p.phase === "checking" ? t("imp.checking") : p.phase === "rolling_back" ? t("imp.rollingBack") : t("imp.writing", { done: formatNumber(p.done), total: formatNumber(p.total) });
      };
      running = true;
      try {
        const report = await papi.import(eventId, file, { ...opts, mapping }, onProgress);
        imported = report.imported > 0;
        renderReport(report);
      } catch (e) {
        toastError(toApiError(e));
        renderPreview();
      } finally {
        running = false;
      }
    };

    const renderReport = (r: ImportReport) => {
      // Rows already on the list are not errors (a re-import, a resumed import): counted
      // apart, in neutral colours; only the real rejections are listed in red.
      const present = r.errors.filter((e) => e.kind === "already_in_event").length;
      const refused = r.errors.filter((e) => e.kind !== "already_in_event");
      const summary = h(
        "div",
        { class: "imp-summary", testid: "imp-summary" },
        r.cancelled
          ? h("p", { class: "imp-warn" }, icon("alert", 16), t("imp.cancelled"))
          : h("p", { class: "imp-done" }, icon("check", 16), h("strong", null, t("imp.done"))),
        h(
          "div",
          { class: "imp-counts" },
          h("span", { class: "imp-n ok", testid: "imp-imported" }, t("imp.imported", { n: r.imported })),
          present ? h("span", { class: "imp-n same", testid: "imp-present" }, t("imp.present", { n: present })) : null,
          refused.length ? h("span", { class: "imp-n bad", testid: "imp-rejected" }, t("imp.rejected", { n: refused.length })) : null,
        ),
      );
      const errors = refused.length
        ? h(
            "div",
            { class: "imp-table-wrap imp-errors" },
            h(
              "table",
              { class: "imp-table" },
              h("thead", null, h("tr", null, h("th", null, t("imp.line")), h("th", null, t("imp.reason")))),
              h(
                "tbody",
                null,
                ...refused.slice(0, 500).map((e) =>
                  h("tr", { testid: "imp-error", "data-line": String(e.line), "data-kind": e.kind }, h("td", { class: "imp-line" }, String(e.line)), h("td", null, h("strong", null, t(`imp.k.${e.kind}` as MsgKey)), e.email ? ` — ${e.email}` : "")),
                ),
              ),
            ),
          )
        : null;
      replaceChildren(body, summary, errors);
      const done = h("button", { type: "button", class: "btn btn-primary", testid: "imp-close" }, t("imp.close"));
      done.addEventListener("click", () => close("ok"));
      replaceChildren(foot, done);
    };

    renderPreview();
    return { title: t("imp.title"), body: [body, foot], className: "import-dialog" };
  });
  // Closed (Escape, ×) while writing: stop, and the core removes what it wrote.
  if (running) void papi.cancelImport();
  return imported;
}
