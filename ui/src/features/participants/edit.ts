// Changing a participant after the fact, from the list's row: edit every field (with the
// version read, so a change made meanwhile is not overwritten), delete (confirmed), erase a
// person's data on request (a stronger confirmation: the organiser types the address),
// merge with another record of the same person (picked from the event's list).

import { toApiError, type ApiError } from "../../shared/api.js";
import { papi, type Participant } from "./api.js";
import { debounce, h, replaceChildren } from "../../shared/dom.js";
import { t, type MsgKey } from "../../shared/i18n.js";
import { confirmDialog, errorText, field, iconButton, openDialog, toast, toastError, type MenuItem } from "../../shared/ui.js";

type Params = Record<string, string | number | null | undefined>;

function paramsOf(e: ApiError): Params {
  return (e as ApiError & { params?: Params }).params ?? {};
}

function display(p: Participant): string {
  return p.name || p.email;
}

const FIELDS = ["name", "email", "company", "role", "phone"] as const;
type Field = (typeof FIELDS)[number];

/** The sentence shown for an error of these dialogs, from its code, field and params. */
export function editErrorText(e: ApiError): string {
  const p = paramsOf(e);
  if (e.code === "duplicate" && e.field === "email") return t("pe.err.emailTaken", { email: String(p.email ?? ""), name: String(p.name || p.email || "") });
  if (e.code === "conflict") return t("pe.err.conflict");
  if (e.code === "validation" && e.field === "email") return t("pe.err.email");
  if (e.code === "validation" && e.field && (FIELDS as readonly string[]).includes(e.field)) return t("pe.err.tooLong", { field: t(`pe.f.${e.field}` as MsgKey) });
  if (e.code === "validation" && e.field?.startsWith("custom")) return t("pe.err.custom");
  return errorText(e);
}

/** The row menu's "edit" entry: opens the dialog; `onChanged` reloads the list. */
export function editMenuItem(p: Participant, onChanged: () => void): MenuItem {
  return { label: t("pe.edit"), icon: "edit", testid: "p-edit", run: () => void openEdit(p, onChanged) };
}

interface CustomLine {
  key: HTMLInputElement;
  value: HTMLInputElement;
  row: HTMLElement;
}

function customText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.map(String).join(", ");
  return String(v);
}

export async function openEdit(p: Participant, onChanged: () => void): Promise<void> {
  const result = await openDialog((close) => {
    const inputs = {} as Record<Field, HTMLInputElement>;
    const errors = {} as Record<Field, HTMLElement>;
    const fieldEls: HTMLElement[] = [];
    for (const f of FIELDS) {
      const input = h("input", { class: "input", type: f === "email" ? "email" : f === "phone" ? "tel" : "text", testid: `pe-${f}`, value: p[f] ?? "", autocomplete: "off", maxlength: f === "email" ? "254" : "200" });
      const err = h("p", { class: "field-error", testid: `pe-${f}-error`, role: "alert" });
      err.hidden = true;
      inputs[f] = input;
      errors[f] = err;
      const wrap = field(t(`pe.f.${f}` as MsgKey), input, { optional: f !== "email" });
      wrap.setAttribute("data-field", f);
      wrap.appendChild(err);
      fieldEls.push(wrap);
    }
    const lines: CustomLine[] = [];
    const customList = h("div", { class: "pe-custom", testid: "pe-custom" });
    const addLine = (k: string, v: string) => {
      const key = h("input", { class: "input", type: "text", testid: "pe-custom-key", value: k, "aria-label": t("pe.customKey"), placeholder: t("pe.customKey"), maxlength: "60" });
      const value = h("input", { class: "input", type: "text", testid: "pe-custom-value", value: v, "aria-label": t("pe.customValue"), placeholder: t("pe.customValue") });
      const line: CustomLine = { key, value, row: h("div", { class: "pe-custom-row" }) };
      const rm = iconButton("trash", t("pe.customRemove"), () => {
        lines.splice(lines.indexOf(line), 1);
        line.row.remove();
      });
      replaceChildren(line.row, key, value, rm);
      lines.push(line);
      customList.appendChild(line.row);
    };
    for (const [k, v] of Object.entries(p.custom ?? {})) addLine(k, customText(v));
    const addCustom = h("button", { type: "button", class: "btn btn-sm btn-subtle", testid: "pe-custom-add" }, t("pe.customAdd"));
    addCustom.addEventListener("click", () => addLine("", ""));
    const general = h("p", { class: "field-error", testid: "pe-error", role: "alert" });
    general.hidden = true;

    const clearErrors = () => {
      for (const f of FIELDS) errors[f].hidden = true;
      general.hidden = true;
    };
    const save = h("button", { type: "button", class: "btn btn-primary", testid: "pe-save" }, t("pe.save"));
    save.addEventListener("click", async () => {
      clearErrors();
      const custom: Record<string, unknown> = {};
      for (const l of lines) {
        const k = l.key.value.trim();
        if (!k) continue;
        const old = p.custom?.[k];
        // A list stays a list, other values are kept as typed (text).
        custom[k] = Array.isArray(old) ? l.value.value.split(",").map((x) => x.trim()).filter(Boolean) : l.value.value;
      }
      const input = { name: inputs.name.value, email: inputs.email.value, company: inputs.company.value, role: inputs.role.value, phone: inputs.phone.value, custom };
      save.disabled = true;
      try {
        const after = await papi.update(p._id, p.version, input);
        toast(t("pe.saved", { name: display(after) }), "success");
        close("ok");
      } catch (e) {
        const err = toApiError(e);
        const f = err.field as Field | undefined;
        const target = f && (FIELDS as readonly string[]).includes(f) ? errors[f] : general;
        target.textContent = editErrorText(err);
        target.hidden = false;
        if (f && inputs[f]) inputs[f].focus();
      } finally {
        save.disabled = false;
      }
    });
    const cancel = h("button", { type: "button", class: "btn" }, t("common.cancel"));
    cancel.addEventListener("click", () => close("cancel"));
    const del = h("button", { type: "button", class: "btn btn-danger", testid: "pe-delete" }, t("pe.delete"));
    del.addEventListener("click", () => close("delete"));
    const erase = h("button", { type: "button", class: "btn btn-subtle", testid: "pe-erase" }, t("pe.erase"));
    erase.addEventListener("click", () => close("erase"));
    const merge = h("button", { type: "button", class: "btn btn-subtle", testid: "pe-merge" }, t("pe.merge"));
    merge.addEventListener("click", () => close("merge"));
    return {
      title: t("pe.title", { name: display(p) }),
      className: "pe-dialog",
      body: [
        h("div", { class: "dialog-body add-grid" }, ...fieldEls, h("div", { class: "field" }, h("span", { class: "field-label" }, t("pe.custom")), customList, addCustom), general),
        h("footer", { class: "dialog-foot" }, del, erase, merge, h("span", { class: "grow" }), cancel, save),
      ],
    };
  });
  if (result === "ok") onChanged();
  else if (result === "delete") await deleteOne(p, onChanged);
  else if (result === "erase") await eraseOne(p, onChanged);
  else if (result === "merge") await mergeInto(p, onChanged);
}

async function deleteOne(p: Participant, onChanged: () => void): Promise<void> {
  const ok = await confirmDialog({ title: t("pe.deleteTitle", { name: display(p) }), text: t("pe.deleteText"), confirm: t("pe.delete"), danger: true });
  if (!ok) return;
  try {
    await papi.delete(p._id, p.version);
    toast(t("pe.deleted", { name: display(p) }), "success");
  } catch (e) {
    toast(editErrorText(toApiError(e)), "error");
  }
  onChanged();
}

/** Erasure cannot be undone: the organiser types the person's address to confirm. */
async function eraseOne(p: Participant, onChanged: () => void): Promise<void> {
  const r = await openDialog((close) => {
    const typed = h("input", { class: "input", type: "text", testid: "pe-erase-confirm", autocomplete: "off", spellcheck: "false" });
    const ok = h("button", { type: "button", class: "btn btn-danger", testid: "pe-erase-ok", disabled: true }, t("pe.eraseOk"));
    typed.addEventListener("input", () => {
      ok.disabled = typed.value.trim().toLowerCase() !== p.email.trim().toLowerCase();
    });
    ok.addEventListener("click", () => close("ok"));
    const cancel = h("button", { type: "button", class: "btn", autofocus: true }, t("common.cancel"));
    cancel.addEventListener("click", () => close("cancel"));
    return {
      title: t("pe.eraseTitle", { name: display(p) }),
      body: [
        h("div", { class: "dialog-body" }, h("p", { class: "dialog-text" }, t("pe.eraseText")), field(t("pe.eraseType", { email: p.email }), typed)),
        h("footer", { class: "dialog-foot" }, cancel, ok),
      ],
    };
  });
  if (r !== "ok") return;
  try {
    const e = await papi.erase(p._id);
    toast(t("pe.erased", { connections: e.connections, answers: e.feedback_answers }), "success");
  } catch (e) {
    toast(editErrorText(toApiError(e)), "error");
  }
  onChanged();
}

/** Pick the other record of the same person; `p` survives. */
async function mergeInto(p: Participant, onChanged: () => void): Promise<void> {
  let picked: Participant | null = null;
  const r = await openDialog((close) => {
    const search = h("input", { class: "input", type: "search", testid: "pe-merge-search", autocomplete: "off", placeholder: t("p.search"), value: p.name });
    const list = h("div", { class: "pe-merge-list", role: "radiogroup", "aria-label": t("pe.mergePick"), testid: "pe-merge-list" });
    const ok = h("button", { type: "button", class: "btn btn-primary", testid: "pe-merge-ok", disabled: true }, t("pe.mergeOk"));
    const summary = h("p", { class: "muted small", testid: "pe-merge-summary" });
    let seq = 0;
    const load = async () => {
      const mine = ++seq;
      try {
        const page = await papi.list(p.event_id, { q: search.value.trim() || undefined, per_page: 20 });
        if (mine !== seq) return;
        const others = page.items.filter((x) => x._id !== p._id);
        replaceChildren(
          list,
          ...(others.length
            ? others.map((x) => {
                const radio = h("input", { type: "radio", name: "pe-merge", value: x._id, testid: "pe-merge-option" });
                radio.addEventListener("change", () => {
                  picked = x;
                  ok.disabled = false;
                  summary.textContent = t("pe.mergeSummary", { keep: display(p), other: display(x) });
                });
                return h("label", { class: "pe-merge-option" }, radio, h("span", null, h("strong", null, display(x)), h("span", { class: "cell-sub" }, ` ${x.email}${x.company ? ` · ${x.company}` : ""}`)));
              })
            : [h("p", { class: "muted" }, t("p.noResults"))]),
        );
      } catch (e) {
        toastError(toApiError(e));
      }
    };
    search.addEventListener("input", debounce(() => void load(), 250));
    void load();
    ok.addEventListener("click", () => close("ok"));
    const cancel = h("button", { type: "button", class: "btn" }, t("common.cancel"));
    cancel.addEventListener("click", () => close("cancel"));
    return {
      title: t("pe.mergeTitle", { name: display(p) }),
      body: [
        h("div", { class: "dialog-body" }, h("p", { class: "dialog-text" }, t("pe.mergeText", { name: display(p) })), field(t("pe.mergePick"), search), list, summary),
        h("footer", { class: "dialog-foot" }, cancel, ok),
      ],
    };
  });
  const other = picked as Participant | null;
  if (r !== "ok" || !other) return;
  try {
    const m = await papi.merge(p._id, other._id);
    toast(t("pe.merged", { name: display(m.participant), other: display(other) }), "success");
  } catch (e) {
    toast(editErrorText(toApiError(e)), "error");
  }
  onChanged();
}
