// Sync: the remote (Atlas) connection, preview / run with progress and cancel, the result
// per collection, and the conflicts to resolve field by field (both values, who changed
// them).

import { toApiError } from "../../shared/api.js";
import { syncApi, type AutoResult, type Conflict, type SyncProgress, type SyncReport, type SyncStatus } from "./api.js";
import { h, replaceChildren } from "../../shared/dom.js";
import { formatDateTime, t } from "../../shared/i18n.js";
import { button, errorText, field, sectionCard, toast, toastError } from "../../shared/ui.js";
import type { View } from "../../main.js";

function show(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v;
  if (typeof v === "object" && v !== null && "$date" in (v as Record<string, unknown>)) {
    const d = (v as { $date: unknown }).$date;
    return typeof d === "string" ? d : JSON.stringify(d);
  }
  return JSON.stringify(v);
}

type Totals = Pick<AutoResult, "pushed" | "pulled" | "merged" | "conflicts">;

/** What a sync did, in words ("3 modifications envoyées, 1 conflit à résoudre"). */
export function syncSummary(r: Totals): string {
  const parts = (["pushed", "pulled", "merged", "conflicts"] as const).filter((k) => r[k] > 0).map((k) => t(`sync.sum.${k}`, { n: r[k] }));
  return parts.length ? parts.join(", ") : t("sync.sum.nothing");
}

function reportTotals(r: SyncReport): Totals {
  const sum = (k: keyof Totals) => r.collections.reduce((n, c) => n + c[k], 0);
  return { pushed: sum("pushed"), pulled: sum("pulled"), merged: sum("merged"), conflicts: sum("conflicts") };
}

/** The automatic sync's last outcome in words. */
function autoResultText(r: AutoResult | null): string {
  if (!r) return "";
  return r.error ? t("sync.autoFailed", { error: errorText(r.error) }) : syncSummary(r);
}

export class SyncView implements View {
  el = h("div", { class: "page sync-page" });
  navId = "nav-sync";
  private status: SyncStatus | null = null;
  private conflicts: Conflict[] = [];
  private report: SyncReport | null = null;
  private progress: SyncProgress | null = null;
  private running = false;
  /** Kept across re-renders so what the user is typing survives a status refresh. */
  private uri = h("input", { class: "input mono", type: "password", testid: "sync-uri", autocomplete: "off", spellcheck: "false", placeholder: "mongodb+srv://…" });

  private timer: number;

  constructor() {
    this.rerender();
    void this.load();
    // Status (reachability, changes waiting, the automatic sync's last outcome) stays
    // current while the page is open.
    this.timer = window.setInterval(() => {
      if (!this.running) void this.load();
    }, 10000);
  }

  destroy(): void {
    window.clearInterval(this.timer);
  }

  private async load(): Promise<void> {
    try {
      [this.status, this.conflicts] = await Promise.all([syncApi.status(), syncApi.conflicts()]);
    } catch (e) {
      toastError(toApiError(e));
    }
    this.rerender();
  }

  private async run(dry: boolean): Promise<void> {
    this.running = true;
    this.progress = null;
    this.rerender();
    try {
      const report = await syncApi.run(dry, (p) => {
        this.progress = p;
        this.rerender();
      });
      this.report = report;
      if (!dry) toast(report.cancelled ? t("sync.done") : t("sync.doneWith", { summary: syncSummary(reportTotals(report)) }), "success");
    } catch (e) {
      toastError(toApiError(e));
    } finally {
      this.running = false;
      await this.load();
    }
  }

  rerender(): void {
    const st = this.status;
    const uri = this.uri;
    const remoteCard = sectionCard(
      t("sync.remote"),
      "globe",
      h("p", { class: st?.remote ? "mono small" : "muted", testid: "sync-remote" }, st?.remote ?? t("sync.remoteNone")),
      st?.stored === "keychain" ? h("p", { class: "muted small" }, t("sync.storedKeychain")) : null,
      st?.stored === "session" ? h("p", { class: "muted small" }, t("sync.storedSession")) : null,
      h(
        "div",
        { class: "sync-remote-form" },
        field(t("sync.remoteUri"), uri),
        button(t("sync.remoteSave"), {
          testid: "sync-save-remote",
          onClick: () =>
            void syncApi
              .setRemote(uri.value)
              .then(() => {
                uri.value = "";
                return this.load();
              })
              .catch((e) => toastError(toApiError(e))),
        }),
      ),
    );

    const p = this.progress;
    const runCard = sectionCard(
      t("sync.title"),
      "refresh",
      st && st.online !== null
        ? h("p", { class: `sync-online ${st.online ? "on" : "off"}`, testid: "sync-online" }, st.online ? t("sync.online") : t("sync.offline"))
        : null,
      st ? h("p", { class: "small", testid: "sync-pending" }, t("sync.pending", { n: st.pending })) : null,
      h(
        "label",
        { class: "sync-auto" },
        (() => {
          const box = h("input", { type: "checkbox", testid: "sync-auto" });
          box.checked = !!st?.auto.enabled;
          box.disabled = !st?.remote;
          box.addEventListener("change", () => {
            void syncApi
              .setAuto(box.checked)
              .then(() => this.load())
              .catch((e) => toastError(toApiError(e)));
          });
          return box;
        })(),
        h("span", null, t("sync.auto")),
      ),
      st?.auto.last_run
        ? h("p", { class: "muted small", testid: "sync-auto-last" }, t("sync.autoLast", { when: formatDateTime(st.auto.last_run, Intl.DateTimeFormat().resolvedOptions().timeZone), result: autoResultText(st.auto.last_result) }))
        : null,
      h("p", { class: "muted small", testid: "sync-last" }, st?.last_sync ? t("sync.lastSync", { when: formatDateTime(st.last_sync, Intl.DateTimeFormat().resolvedOptions().timeZone) }) : t("sync.never")),
      p ? h("div", { class: "inv-progress", role: "status", "aria-live": "polite" }, h("div", { class: "bar" }, h("div", { class: "bar-fill", style: { width: `${p.total ? Math.round((p.done / p.total) * 100) : 100}%` } })), h("div", { class: "small" }, t("sync.progress", { collection: p.collection, done: p.done, total: p.total }))) : null,
      h(
        "div",
        { class: "inv-actions" },
        this.running
          ? button(t("sync.cancel"), { kind: "danger", testid: "sync-cancel", onClick: () => void syncApi.cancel() })
          : [
              button(t("sync.dryRun"), { testid: "sync-dry", onClick: () => void this.run(true) }),
              button(t("sync.run"), { kind: "primary", icon: "refresh", testid: "sync-run", onClick: () => void this.run(false) }),
            ],
      ),
      this.report ? this.reportTable(this.report) : null,
    );

    const conflictsCard = sectionCard(
      `${t("sync.conflicts")} (${this.conflicts.length})`,
      "alert",
      this.conflicts.length ? h("div", { class: "sync-conflicts" }, ...this.conflicts.map((c) => this.conflict(c))) : h("p", { class: "muted" }, t("sync.noConflicts")),
    );

    replaceChildren(
      this.el,
      h("div", { class: "page-head" }, h("div", null, h("h1", { class: "page-title" }, t("sync.title")), h("p", { class: "page-sub" }, t("sync.subtitle")))),
      h("div", { class: "sync-grid" }, remoteCard, runCard),
      conflictsCard,
    );
  }

  private reportTable(r: SyncReport): HTMLElement {
    const cols = ["collection", "pushed", "pulled", "merged", "conflicts", "unchanged"] as const;
    return h(
      "div",
      { class: "sync-report", testid: "sync-report" },
      h("h4", null, r.dry_run ? t("sync.reportDry") : t("sync.report")),
      h(
        "table",
        { class: "table" },
        h("thead", null, h("tr", null, ...cols.map((c) => h("th", null, t(`sync.col.${c}`))))),
        h(
          "tbody",
          null,
          // A skipped collection (unchanged on both sides since a quiet pass) says so.
          ...r.collections.map((c) =>
            h(
              "tr",
              { "data-skipped": String(c.skipped) },
              ...cols.map((k) =>
                k === "unchanged" && c.skipped
                  ? h("td", { class: "sync-skipped", title: t("sync.skippedHint") }, `${c[k]} · ${t("sync.skipped")}`)
                  : h("td", null, String(c[k])),
              ),
            ),
          ),
        ),
      ),
      ...this.reportNotes(r),
    );
  }

  /** In words: duplicates merged, writes made meanwhile, documents not applied. */
  private reportNotes(r: SyncReport): HTMLElement[] {
    const notes: HTMLElement[] = [];
    const duplicates = r.collections.flatMap((c) => c.duplicates ?? []);
    if (duplicates.length) {
      notes.push(
        h(
          "div",
          { class: "sync-notes", testid: "sync-duplicates" },
          h("h4", null, t("sync.duplicates", { n: duplicates.length })),
          h("ul", null, ...duplicates.map((d) => h("li", null, t("sync.duplicateLine", { label: d.label, collection: d.collection, merged: d.merged, survivor: d.survivor })))),
        ),
      );
    }
    const deferred = r.collections.reduce((n, c) => n + (c.deferred ?? 0), 0);
    if (deferred) notes.push(h("p", { class: "muted", testid: "sync-deferred" }, t("sync.deferred", { n: deferred })));
    const failures = [...r.collections.flatMap((c) => c.failures ?? []), ...(r.failures ?? [])];
    if (failures.length) {
      const reason = (code: string) => (code === "validation" ? t("sync.failure.validation") : code === "duplicate" ? t("sync.failure.duplicate") : t("sync.failure.internal"));
      notes.push(
        h(
          "div",
          { class: "sync-notes sync-failures", testid: "sync-failures" },
          h("h4", null, t("sync.failures", { n: failures.length })),
          h("ul", null, ...failures.map((f) => h("li", null, t("sync.failureLine", { collection: f.collection, id: f.id || "—", reason: reason(f.code) })))),
          h("p", { class: "muted small" }, t("sync.failuresRetry")),
        ),
      );
    }
    return notes;
  }

  private conflict(c: Conflict): HTMLElement {
    const choices: Record<string, "local" | "remote"> = {};
    const rows = c.fields.map((f) => {
      const name = `${c._id}-${f.field}`;
      const radio = (side: "local" | "remote", label: string, value: unknown) => {
        const input = h("input", { type: "radio", name, value: side, testid: `choose-${side}` });
        input.addEventListener("change", () => (choices[f.field] = side));
        return h("label", { class: "sync-choice" }, input, h("span", null, label), h("code", null, show(value)));
      };
      const merged = Boolean(c.merged_from);
      return h(
        "div",
        { class: "sync-field" },
        h("strong", null, f.field),
        radio("local", merged ? t("sync.keepSurvivor") : t("sync.keepLocal"), f.local),
        radio("remote", merged ? t("sync.keepMerged") : t("sync.keepRemote"), f.remote),
      );
    });
    return h(
      "div",
      { class: "sync-conflict", testid: "sync-conflict" },
      h("div", null, h("strong", null, c.label), " ", h("span", { class: "muted small" }, `${c.collection} · ${t("sync.conflictBy", { local: c.local_by, remote: c.remote_by })}`)),
      c.merged_from ? h("p", { class: "muted small" }, t("sync.mergedConflict")) : null,
      ...rows,
      button(t("sync.resolve"), {
        kind: "primary",
        small: true,
        testid: "sync-resolve",
        onClick: () =>
          void syncApi
            .resolve(c._id, choices)
            .then(() => {
              toast(t("sync.resolved"), "success");
              return this.load();
            })
            .catch((e) => toastError(toApiError(e))),
      }),
    );
  }
}
