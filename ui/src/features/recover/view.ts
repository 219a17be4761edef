// Jobs left half-done by a crash (offered once connected: finish or roll back) and the
// backup card of the Settings screen.

import { toApiError } from "../../shared/api.js";
import { recoverApi, type Job } from "./api.js";
import { h, replaceChildren } from "../../shared/dom.js";
import { formatDateTime, t } from "../../shared/i18n.js";
import { button, openDialog, sectionCard, toast, toastError } from "../../shared/ui.js";

function jobLine(j: Job): string {
  const what = j.work.kind === "import" ? t("jobs.import", { file: j.label }) : t("jobs.campaign", { event: j.label });
  return `${what} — ${t("jobs.started", { when: formatDateTime(j.started_at, Intl.DateTimeFormat().resolvedOptions().timeZone) })}`;
}

/** Ask about imports and campaigns a crash left half-done, if any. */
export async function offerInterruptedJobs(): Promise<void> {
  let list: Job[];
  try {
    list = await recoverApi.jobs();
  } catch {
    return;
  }
  if (!list.length) return;
  await openDialog((close) => {
    const rows = h("ul", { class: "jobs-list", testid: "jobs-list" });
    const render = () => {
      replaceChildren(
        rows,
        ...list.map((j) => {
          const act = (kind: "resume" | "rollback") => async () => {
            for (const b of rows.querySelectorAll("button")) b.disabled = true;
            try {
              if (kind === "resume") {
                await recoverApi.resume(j._id);
                toast(t("jobs.resumed"), "success");
              } else {
                const r = await recoverApi.rollback(j._id);
                toast(t("jobs.rolledBack", { n: r.undone }), "success");
              }
              list = list.filter((x) => x._id !== j._id);
              if (!list.length) close("done");
              else render();
            } catch (e) {
              toastError(toApiError(e));
              for (const b of rows.querySelectorAll("button")) b.disabled = false;
            }
          };
          return h(
            "li",
            { class: "job-row", testid: "job-row" },
            h("div", null, h("strong", null, jobLine(j)), j.error ? h("div", { class: "muted small" }, t("jobs.stoppedBy", { code: j.error })) : null),
            h(
              "div",
              { class: "row-actions" },
              button(t("jobs.resume"), { kind: "primary", small: true, testid: "job-resume", onClick: () => void act("resume")() }),
              button(t("jobs.rollback"), { kind: "ghost", small: true, testid: "job-rollback", onClick: () => void act("rollback")() }),
            ),
          );
        }),
      );
    };
    render();
    return { title: t("jobs.title"), body: [h("div", { class: "dialog-body" }, h("p", null, t("jobs.text")), rows)] };
  });
}

/** Settings: save the whole local store into one file. */
export function backupCard(): HTMLElement {
  const out = h("p", { class: "muted small mono wrap", testid: "backup-result" });
  const btn = button(t("backup.create"), {
    icon: "save",
    testid: "backup-create",
    onClick: () => {
      btn.disabled = true;
      void recoverApi
        .backup()
        .then((r) => {
          if (!r) return;
          out.textContent = t("backup.done", { path: r[0], n: r[1].documents });
          toast(t("backup.saved"), "success");
        })
        .catch((e) => toastError(toApiError(e)))
        .finally(() => (btn.disabled = false));
    },
  });
  return sectionCard(t("backup.title"), "database", h("p", { class: "muted small" }, t("backup.hint")), h("div", { class: "settings-actions" }, btn), out);
}
