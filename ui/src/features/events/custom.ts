// Editor tab "Champs personnalisés": free key/value fields stored under `custom`.

import { h, icon, replaceChildren } from "../../shared/dom.js";
import { t, type MsgKey } from "../../shared/i18n.js";
import { button, field, iconButton } from "../../shared/ui.js";
import { rowToCustomValue, type CustomRow, type CustomType, type EditorCtx } from "../../shared/ctx.js";

const TYPES: CustomType[] = ["text", "number", "bool", "list"];

export function renderCustom(ctx: EditorCtx): HTMLElement {
  const rows = ctx.customRows;
  const preview = h("pre", { class: "json-preview", testid: "custom-preview" });
  const drawPreview = () => {
    const obj: Record<string, unknown> = {};
    for (const r of rows) if (r.key.trim()) obj[r.key.trim()] = rowToCustomValue(r);
    preview.textContent = JSON.stringify({ custom: obj }, null, 2);
  };

  const add = button(t("custom.add"), { kind: "primary", icon: "plus", testid: "add-custom" });
  add.addEventListener("click", () => {
    rows.push({ uid: ctx.newId(), key: "", type: "text", value: "", bool: true });
    ctx.markDirty();
    ctx.rerenderPane();
    const keys = document.querySelectorAll<HTMLInputElement>('[data-testid="custom-key"]');
    keys[keys.length - 1]?.focus();
  });

  const list = h("div", { class: "custom-rows" });
  if (!rows.length) {
    list.appendChild(h("div", { class: "empty small-empty" }, h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("sliders", 26)), h("p", { class: "muted" }, t("custom.empty"))));
  }
  rows.forEach((r, i) => list.appendChild(customRow(ctx, r, i, drawPreview)));
  drawPreview();

  return h(
    "div",
    null,
    h(
      "div",
      { class: "pane-head" },
      h("div", null, h("h2", { class: "pane-title" }, t("custom.title")), h("p", { class: "muted small intro" }, t("custom.intro"))),
      add,
    ),
    h(
      "div",
      { class: "custom-layout" },
      h("section", { class: "card" }, list),
      // The document's JSON is for the technical team: folded.
      h("details", { class: "card preview-card", testid: "custom-preview-box" }, h("summary", { class: "card-title" }, icon("database", 18), t("custom.preview")), preview),
    ),
  );
}

function customRow(ctx: EditorCtx, r: CustomRow, i: number, onChange: () => void): HTMLElement {
  const row = h("div", { class: "custom-row", testid: "custom-row" });
  const key = h("input", { type: "text", class: "input mono", testid: "custom-key", value: r.key, maxlength: "64", placeholder: t("custom.keyPlaceholder"), autocomplete: "off", spellcheck: "false" });
  const type = h("select", { class: "input", testid: "custom-type" }, ...TYPES.map((x) => h("option", { value: x }, t(`custom.type.${x}` as MsgKey))));
  type.value = r.type;
  const valueHost = h("div", { class: "custom-value" });

  let valueControl: HTMLInputElement | HTMLSelectElement;
  const drawValue = () => {
    if (r.type === "bool") {
      const sel = h("select", { class: "input", testid: "custom-value" }, h("option", { value: "true" }, t("common.yes")), h("option", { value: "false" }, t("common.no")));
      sel.value = String(r.bool);
      ctx.bind(sel, `custom.${r.key.trim()}`, () => {
        r.bool = sel.value === "true";
        onChange();
      });
      valueControl = sel;
    } else {
      const inp = h("input", {
        type: r.type === "number" ? "number" : "text",
        step: r.type === "number" ? "any" : undefined,
        class: "input",
        testid: "custom-value",
        value: r.value,
        placeholder: r.type === "list" ? t("custom.listPlaceholder") : "",
        maxlength: "2000",
        autocomplete: "off",
      });
      ctx.bind(inp, `custom.${r.key.trim()}`, () => {
        r.value = inp.value;
        onChange();
      });
      valueControl = inp;
    }
    replaceChildren(valueHost, field(t("custom.value"), valueControl));
  };

  ctx.bind(key, `custom-row.${r.uid}`, () => {
    r.key = key.value;
    valueControl.setAttribute("data-field", `custom.${r.key.trim()}`);
    onChange();
  });
  ctx.bind(type, `custom-type.${r.uid}`, () => {
    const prev = r.type;
    r.type = type.value as CustomType;
    if (r.type === "number" && prev !== "number" && !Number.isFinite(Number(r.value))) r.value = "";
    drawValue();
    onChange();
  });
  drawValue();

  const remove = iconButton(
    "trash",
    t("custom.remove"),
    () => {
      ctx.customRows.splice(i, 1);
      ctx.markDirty();
      ctx.rerenderPane();
    },
    { danger: true, testid: "remove-custom" },
  );

  replaceChildren(row, field(t("custom.key"), key, { className: "custom-key" }), field(t("custom.type"), type, { className: "custom-type" }), valueHost, remove);
  return row;
}
