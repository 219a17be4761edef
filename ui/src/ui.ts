// Shared widgets: toasts, dialogs, status pills, labelled fields.

import type { ApiError, Status } from "./api.js";
import { h, icon, nextId, type IconName } from "./dom.js";
import { statusLabel, t } from "./i18n.js";

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
  host.appendChild(el);
  while (host.children.length > 3) host.firstElementChild?.remove();
  window.setTimeout(remove, kind === "error" ? 8000 : 4500);
}

/** A generic, translated sentence for an error code (the backend message is shown as detail). */
export function errorText(e: ApiError): string {
  switch (e.code) {
    case "db_unavailable":
    case "engine_missing":
      return `${t("error.db_unavailable")} ${e.message}`;
    case "disk_full":
      return t("error.disk_full");
    case "not_found":
      return t("error.not_found");
    case "duplicate":
      return `${t("error.duplicate")} ${e.message}`;
    case "unsupported":
      return `${t("error.unsupported")} ${e.message}`;
    default:
      return e.message || t("error.generic");
  }
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
  opts: { hint?: string; optional?: boolean; className?: string } = {},
): HTMLElement {
  if (!control.id) control.id = nextId();
  const lab = h("label", { for: control.id, class: "field-label" }, label, opts.optional ? h("span", { class: "optional" }, ` · ${t("common.optional")}`) : null);
  const wrap = h("div", { class: `field ${opts.className ?? ""}` }, lab, control);
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

