// Shared widgets: toasts, dialogs, status pills, labelled fields.

import type { ApiError, Status } from "./api.js";
import { h, icon, nextId, type IconName } from "./dom.js";
import { statusLabel, t, type MsgKey } from "./i18n.js";

// ---- toasts -------------------------------------------------------------------------------

export type ToastKind = "success" | "error" | "info";

function toastHost(): HTMLElement {
  let host = document.getElementById("toasts");
  if (!host) {
    host = h("div", { id: "toasts", class: "toasts", role: "status", "aria-live": "polite" });
    document.body.appendChild(host);
  }
  return host;
}

export function toast(message: string, kind: ToastKind = "info"): void {
  const close = h("button", { class: "toast-close", type: "button", "aria-label": t("common.dismiss") }, icon("close", 14));
  const el = h(
    "div",
    { class: `toast toast-${kind}`, testid: "toast", role: kind === "error" ? "alert" : undefined },
    icon(kind === "success" ? "check" : kind === "error" ? "alert" : "info", 18),
    h("div", { class: "toast-text" }, message),
    close,
  );
  const remove = () => {
    el.classList.add("leaving");
    window.setTimeout(() => el.remove(), 180);
  };
  close.addEventListener("click", remove);
  const host = toastHost();
  // A new message replaces the previous one of its kind (errors do not stack over the
  // fields); at most two are shown, and each goes away on its own.
  for (const old of [...host.children]) {
    if (old.classList.contains(`toast-${kind}`) || old.textContent === el.textContent) old.remove();
  }
  host.appendChild(el);
  while (host.children.length > 2) host.firstElementChild?.remove();
  window.setTimeout(remove, kind === "error" ? 8000 : 4500);
}

/** "sessions[1].starts_at" → "Session 2 · Début"; "email" → "E-mail". */
export function fieldLabel(path: string): string {
  const root = path.split(/[.[]/)[0];
  const idx = /^\w+\[(\d+)\]/.exec(path);
  const rootKey = `field.${root}` as MsgKey;
  let label = t(rootKey) === rootKey ? root : t(rootKey);
  if (idx) label += ` ${Number(idx[1]) + 1}`;
  if (root === "custom" && path.length > 7) return `${label} « ${path.slice(7)} »`;
  const leaf = /\.(\w+)$/.exec(path)?.[1];
  const leafKey = `field.${leaf}` as MsgKey;
  if (leaf && leaf !== root && t(leafKey) !== leafKey) label += ` · ${t(leafKey)}`;
  return label;
}

/** What is wrong with one field, in the interface's language (without the field's name). */
export function problemText(p: { reason?: string; params?: Record<string, string>; message: string }): string {
  const key = `reason.${p.reason}` as MsgKey;
  if (p.reason && t(key) !== key) {
    const params: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(p.params ?? {})) params[k] = /^-?\d+$/.test(v) ? Number(v) : v;
    if (p.reason === "invalid_email" && typeof params.detail === "string") {
      const dk = `email.${params.detail}` as MsgKey;
      params.detail = t(dk) === dk ? params.detail : t(dk);
    }
    return t(key, params);
  }
  return t("reason.unknown");
}

/**
 * A translated sentence for an error: from its `reason` when the core named one, otherwise
 * from its code. The backend's message (English, may carry server details) is never shown.
 */
export function errorText(e: ApiError): string {
  if (e.problems && e.problems.length > 1) {
    return `${t("error.several", { n: e.problems.length })} : ${e.problems.map((p) => t("error.fieldProblem", { field: fieldLabel(p.field), problem: problemText(p) })).join(" · ")}`;
  }
  if (e.reason) {
    const text = problemText(e);
    return e.field && e.code === "validation" ? t("error.fieldProblem", { field: fieldLabel(e.field), problem: text }) : text;
  }
  switch (e.code) {
    case "validation":
      return e.field ? t("error.fieldProblem", { field: fieldLabel(e.field), problem: t("reason.unknown") }) : t("reason.unknown");
    case "db_unavailable":
      return t("error.db_unavailable");
    case "engine_missing":
      return t("error.engine_missing");
    case "disk_full":
      return t("error.disk_full");
    case "not_found":
      return t("error.not_found");
    case "duplicate":
      return t("error.duplicate");
    case "unsupported":
      return t("error.unsupported");
    case "conflict":
      return t("error.conflict");
    default:
      return t("error.internal");
  }
}

/** Every fault of a validation error as `[path, sentence]` (one entry when there is one). */
export function fieldProblems(e: ApiError): [string, string][] {
  if (e.problems?.length) return e.problems.map((p) => [p.field, problemText(p)]);
  if (e.field) return [[e.field, e.reason ? problemText(e) : t("reason.unknown")]];
  return [];
}

export function toastError(e: ApiError): void {
  toast(errorText(e), "error");
}

// ---- dialogs (native <dialog>: focus trap and Escape come for free) -----------------------

export function openDialog(
  build: (close: (result?: string) => void) => { title: string; body: Node[]; className?: string },
): Promise<string> {
  return new Promise((resolve) => {
    const dlg = h("dialog", { class: "dialog" });
    let result = "cancel";
    const close = (r?: string) => {
      result = r ?? "cancel";
      dlg.close();
    };
    const spec = build(close);
    if (spec.className) dlg.classList.add(spec.className);
    const titleId = nextId("dlg");
    dlg.setAttribute("aria-labelledby", titleId);
    const closeBtn = h("button", { type: "button", class: "icon-btn dialog-x", "aria-label": t("common.close") }, icon("close"));
    closeBtn.addEventListener("click", () => close("cancel"));
    dlg.append(h("header", { class: "dialog-head" }, h("h2", { id: titleId }, spec.title), closeBtn), ...spec.body);
    dlg.addEventListener("close", () => {
      dlg.remove();
      resolve(result);
    });
    // A click on the backdrop (outside the box) closes.
    dlg.addEventListener("mousedown", (ev) => {
      if (ev.target === dlg) close("cancel");
    });
    document.body.appendChild(dlg);
    dlg.showModal();
  });
}

export function confirmDialog(opts: {
  title: string;
  text: string;
  confirm: string;
  danger?: boolean;
}): Promise<boolean> {
  return openDialog((close) => {
    const ok = h(
      "button",
      { type: "button", class: opts.danger ? "btn btn-danger" : "btn btn-primary", testid: "confirm-ok" },
      opts.confirm,
    );
    const cancel = h("button", { type: "button", class: "btn", testid: "confirm-cancel", autofocus: true }, t("common.cancel"));
    ok.addEventListener("click", () => close("ok"));
    cancel.addEventListener("click", () => close("cancel"));
    return {
      title: opts.title,
      body: [h("p", { class: "dialog-text" }, opts.text), h("footer", { class: "dialog-foot" }, cancel, ok)],
    };
  }).then((r) => r === "ok");
}

// ---- dates in words -----------------------------------------------------------------------

/**
 * The date of a date control (`datefield.ts`, its hidden value input) written out in words in
 * the interface's language, with the weekday and the zone, below the control. `words` gives
 * the text for the current value. After setting the input's value from code, call
 * `refreshDateWords(input)`: the control's text and these words follow.
 */
export function dateWords(input: HTMLInputElement, words: () => string, testid?: string): HTMLElement {
  const el = h("div", { class: "date-words", testid: testid ?? `${input.dataset.testid ?? "date"}-words`, "aria-live": "polite" });
  const update = () => {
    el.textContent = input.value ? words() : "";
  };
  input.addEventListener("input", update);
  input.addEventListener("change", update);
  // A value set by code (the end follows the start) announces itself with this event.
  input.addEventListener("datewords", update);
  update();
  return el;
}

export function refreshDateWords(input: HTMLInputElement): void {
  input.dispatchEvent(new Event("datewords"));
}

// ---- row actions menu -----------------------------------------------------------------------

/** One entry of a row's "more actions" menu. */
export interface MenuItem {
  label: string;
  icon: IconName;
  testid: string;
  run: () => void;
  danger?: boolean;
}

/**
 * A "⋯" button opening a menu of actions for one row (the table keeps its columns at
 * 1024 px). The entries are in the DOM from the start (hidden), so code can find them by test
 * id; the menu is positioned `fixed` under the button so the table's card does not clip it.
 * Escape, a click elsewhere or choosing an entry closes it.
 */
export function actionsMenu(label: string, items: (MenuItem | null)[], testid = "row-menu"): HTMLElement {
  const btn = h("button", { type: "button", class: "icon-btn menu-btn", "aria-label": label, title: label, "aria-haspopup": "menu", "aria-expanded": "false", testid }, icon("more"));
  const menu = h("div", { class: "menu", role: "menu", testid: `${testid}-list` });
  menu.hidden = true;
  const close = () => {
    menu.hidden = true;
    btn.setAttribute("aria-expanded", "false");
    document.removeEventListener("mousedown", outside, true);
    document.removeEventListener("keydown", onKey, true);
  };
  const outside = (ev: Event) => {
    if (!menu.contains(ev.target as Node) && !btn.contains(ev.target as Node)) close();
  };
  const onKey = (ev: KeyboardEvent) => {
    if (ev.key === "Escape") {
      ev.stopPropagation();
      close();
      btn.focus();
    }
  };
  for (const it of items) {
    if (!it) continue;
    const b = h("button", { type: "button", class: `menu-item${it.danger ? " danger" : ""}`, role: "menuitem", testid: it.testid }, icon(it.icon, 16), h("span", null, it.label));
    b.addEventListener("click", (ev) => {
      ev.stopPropagation();
      close();
      it.run();
    });
    menu.appendChild(b);
  }
  btn.addEventListener("click", (ev) => {
    ev.stopPropagation();
    if (!menu.hidden) {
      close();
      return;
    }
    const r = btn.getBoundingClientRect();
    menu.hidden = false;
    const w = menu.offsetWidth;
    const hgt = menu.offsetHeight;
    menu.style.left = `${Math.max(8, Math.min(r.right - w, window.innerWidth - w - 8))}px`;
    menu.style.top = `${r.bottom + hgt + 4 > window.innerHeight ? Math.max(8, r.top - hgt - 4) : r.bottom + 4}px`;
    btn.setAttribute("aria-expanded", "true");
    document.addEventListener("mousedown", outside, true);
    document.addEventListener("keydown", onKey, true);
    (menu.querySelector("button") as HTMLButtonElement | null)?.focus();
  });
  return h("div", { class: "menu-wrap" }, btn, menu);
}

// ---- small pieces -------------------------------------------------------------------------

export function statusPill(s: Status): HTMLElement {
  return h("span", { class: `pill pill-${s}` }, h("span", { class: "pill-dot", "aria-hidden": "true" }), statusLabel(s));
}

export function button(
  label: string,
  opts: { kind?: "primary" | "ghost" | "danger" | "subtle"; icon?: IconName; testid?: string; onClick?: () => void; small?: boolean; title?: string } = {},
): HTMLButtonElement {
  const cls = ["btn"];
  if (opts.kind) cls.push(`btn-${opts.kind}`);
  if (opts.small) cls.push("btn-sm");
  const b = h("button", { type: "button", class: cls.join(" "), testid: opts.testid, title: opts.title }, opts.icon ? icon(opts.icon, 16) : null, h("span", null, label));
  if (opts.onClick) b.addEventListener("click", opts.onClick);
  return b;
}

export function iconButton(name: IconName, label: string, onClick: () => void, opts: { testid?: string; danger?: boolean } = {}): HTMLButtonElement {
  const b = h("button", { type: "button", class: `icon-btn${opts.danger ? " danger" : ""}`, "aria-label": label, title: label, testid: opts.testid }, icon(name));
  b.addEventListener("click", (ev) => {
    ev.stopPropagation();
    onClick();
  });
  return b;
}

/** A label + control + optional hint, wired with for/id and aria-describedby. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  opts: { hint?: string; optional?: boolean; className?: string; around?: HTMLElement } = {},
): HTMLElement {
  if (!control.id) control.id = nextId();
  const lab = h("label", { for: control.id, class: "field-label" }, label, opts.optional ? h("span", { class: "optional" }, ` · ${t("common.optional")}`) : null);
  // `around`: an element holding the control (a date control's text field and button).
  const wrap = h("div", { class: `field ${opts.className ?? ""}` }, lab, opts.around ?? control);
  if (opts.hint) {
    const hid = nextId("hint");
    wrap.appendChild(h("div", { class: "field-hint", id: hid }, opts.hint));
    control.setAttribute("aria-describedby", hid);
  }
  return wrap;
}

export function sectionCard(title: string, iconName: IconName | null, ...children: (Node | null)[]): HTMLElement {
  return h("section", { class: "card" }, h("h3", { class: "card-title" }, iconName ? icon(iconName, 18) : null, title), ...children);
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return "?";
  const first = parts[0].charAt(0);
  const last = parts.length > 1 ? parts[parts.length - 1].charAt(0) : "";
  return (first + last).toUpperCase();
}

