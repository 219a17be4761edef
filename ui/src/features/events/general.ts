// Editor tab "Général": title, description, dates in the event's zone, venue, capacity, tags.

import { h, icon, nextId, replaceChildren } from "../../shared/dom.js";
import { formatDateWords, formatDuration, t } from "../../shared/i18n.js";
import { COMMON_ZONES, offsetLabel, rezone, utcToWall, wallToUtc, zoneCity } from "../../shared/tz.js";
import { dateWords, field, refreshDateWords, sectionCard } from "../../shared/ui.js";
import { dateField, dateProblem } from "../../shared/datefield.js";
import type { EditorCtx } from "../../shared/ctx.js";

export function renderGeneral(ctx: EditorCtx): HTMLElement {
  const d = ctx.draft;

  // ---- identity
  const title = h("input", { type: "text", class: "input input-lg", testid: "f-title", maxlength: "200", required: true, placeholder: t("general.titlePlaceholder"), value: d.title, autocomplete: "off" });
  ctx.bind(title, "title", () => {
    d.title = title.value;
    ctx.refreshHeader();
  });
  const desc = h("textarea", { class: "input", testid: "f-description", rows: "4", maxlength: "20000", placeholder: t("general.descriptionPlaceholder") });
  desc.value = d.description;
  ctx.bind(desc, "description", () => (d.description = desc.value));

  // ---- dates
  // Date controls drawn by the app (datefield.ts); the hidden inputs hold the wall-clock time.
  const starts = h("input", { type: "hidden", testid: "f-starts", value: utcToWall(d.starts_at, ctx.tz()) });
  const ends = h("input", { type: "hidden", testid: "f-ends", value: utcToWall(d.ends_at, ctx.tz()) });
  ends.min = starts.value;
  const hint = h("div", { class: "field-hint tz-hint" });
  const updateHint = () => {
    const dur = Date.parse(d.ends_at) - Date.parse(d.starts_at);
    replaceChildren(
      hint,
      icon("globe", 14),
      h("span", null, t("general.tzHint", { city: zoneCity(ctx.tz()), offset: offsetLabel(d.starts_at, ctx.tz()) })),
      h("span", { class: "sep", "aria-hidden": "true" }, "·"),
      h("span", null, t("general.duration", { d: formatDuration(dur) })),
    );
    // Offsets in the zone list follow the event's date (summer/winter time).
    for (const o of tz.options) o.textContent = `${o.value.replace(/_/g, " ")} (${offsetLabel(d.starts_at, o.value)})`;
  };
  ctx.bind(starts, "starts_at", () => {
    const iso = wallToUtc(starts.value, ctx.tz());
    if (!iso) {
      ctx.setLocalError("starts_at", dateProblem(starts) ?? t("general.invalidDate"));
      return;
    }
    ctx.setLocalError("starts_at", null);
    const prevDur = Date.parse(d.ends_at) - Date.parse(d.starts_at);
    d.starts_at = iso;
    // Keep the event's length when the start moves past the end.
    if (Date.parse(d.ends_at) <= Date.parse(iso)) {
      d.ends_at = new Date(Date.parse(iso) + (prevDur > 0 ? prevDur : 3_600_000)).toISOString();
      ends.value = utcToWall(d.ends_at, ctx.tz());
      refreshDateWords(ends);
    }
    ends.min = starts.value;
    updateHint();
  });
  ctx.bind(ends, "ends_at", () => {
    const iso = wallToUtc(ends.value, ctx.tz());
    if (!iso) {
      ctx.setLocalError("ends_at", dateProblem(ends) ?? t("general.invalidDate"));
      return;
    }
    ctx.setLocalError("ends_at", Date.parse(iso) <= Date.parse(d.starts_at) ? t("general.endBeforeStart") : null);
    d.ends_at = iso;
    updateHint();
  });

  const zones = COMMON_ZONES.includes(d.timezone) ? COMMON_ZONES : [d.timezone, ...COMMON_ZONES];
  const tz = h(
    "select",
    { class: "input", testid: "f-timezone" },
    ...zones.map((z) => h("option", { value: z }, `${z.replace(/_/g, " ")} (${offsetLabel(d.starts_at, z)})`)),
  );
  tz.value = d.timezone;
  ctx.bind(tz, "timezone", () => {
    const from = ctx.tz();
    const to = tz.value;
    // Same wall-clock times in the new zone: 09:00 stays 09:00.
    d.starts_at = rezone(d.starts_at, from, to);
    d.ends_at = rezone(d.ends_at, from, to);
    for (const s of d.sessions) {
      s.starts_at = rezone(s.starts_at, from, to);
      s.ends_at = rezone(s.ends_at, from, to);
    }
    d.timezone = to;
    refreshDateWords(starts);
    refreshDateWords(ends);
    updateHint();
  });
  updateHint();

  // ---- venue
  const vname = h("input", { type: "text", class: "input", testid: "f-venue-name", maxlength: "200", placeholder: t("general.venueNamePlaceholder"), value: d.venue.name, autocomplete: "off" });
  ctx.bind(vname, "venue.name", () => (d.venue.name = vname.value));
  const vaddr = h("input", { type: "text", class: "input", testid: "f-venue-address", maxlength: "500", placeholder: t("general.venueAddressPlaceholder"), value: d.venue.address, autocomplete: "off" });
  ctx.bind(vaddr, "venue.address", () => (d.venue.address = vaddr.value));
  const lat = h("input", { type: "number", class: "input", testid: "f-lat", min: "-90", max: "90", step: "any", inputmode: "decimal", value: ctx.geo.lat });
  ctx.bind(lat, "venue.location.coordinates[1]", () => (ctx.geo.lat = lat.value));
  const lng = h("input", { type: "number", class: "input", testid: "f-lng", min: "-180", max: "180", step: "any", inputmode: "decimal", value: ctx.geo.lng });
  ctx.bind(lng, "venue.location.coordinates[0]", () => (ctx.geo.lng = lng.value));

  // ---- audience
  const cap = h("input", { type: "number", class: "input", testid: "f-capacity", min: "1", max: "1000000", step: "1", inputmode: "numeric", value: d.capacity ?? "" });
  ctx.bind(cap, "capacity", () => {
    const v = cap.value.trim();
    if (v === "") delete d.capacity;
    else d.capacity = Number(v);
  });

  return h(
    "div",
    { class: "form-grid" },
    h(
      "div",
      { class: "form-col" },
      sectionCard(t("general.identity"), "info", field(t("general.title"), title), field(t("general.description"), desc, { optional: true })),
      sectionCard(
        t("general.when"),
        "calendar",
        h("div", { class: "row-2" }, dateField(t("general.starts"), starts, { time: true, showError: false }), dateField(t("general.ends"), ends, { time: true, showError: false })),
        h(
          "div",
          { class: "row-2" },
          dateWords(starts, () => formatDateWords(wallToUtc(starts.value, ctx.tz()) ?? "", ctx.tz())),
          dateWords(ends, () => formatDateWords(wallToUtc(ends.value, ctx.tz()) ?? "", ctx.tz())),
        ),
        h("div", { class: "mt" }, field(t("general.timezone"), tz)),
        hint,
      ),
    ),
    h(
      "div",
      { class: "form-col" },
      sectionCard(
        t("general.where"),
        "mapPin",
        field(t("general.venueName"), vname),
        field(t("general.venueAddress"), vaddr),
        h("div", { class: "row-2" }, field(t("general.lat"), lat, { optional: true }), field(t("general.lng"), lng, { optional: true })),
        h("div", { class: "field-hint" }, t("general.geoHint")),
      ),
      sectionCard(t("general.audience"), "users", field(t("general.capacity"), cap, { hint: t("general.capacityHint"), optional: true }), tagsField(ctx)),
    ),
  );
}

function tagsField(ctx: EditorCtx): HTMLElement {
  const d = ctx.draft;
  const inputId = nextId("tags");
  const chips = h("div", { class: "chip-list" });
  const input = h("input", {
    id: inputId,
    type: "text",
    class: "chip-input",
    testid: "f-tags",
    placeholder: t("general.tagsPlaceholder"),
    list: "known-tags",
    maxlength: "50",
    autocomplete: "off",
  });
  const box = h("div", { class: "chips-box input", "data-field": "tags" }, chips, input);
  box.addEventListener("click", (ev) => {
    if (ev.target === box) input.focus();
  });

  const draw = () => {
    replaceChildren(
      chips,
      ...d.tags.map((tag, i) => {
        const rm = h("button", { type: "button", class: "chip-x", "aria-label": t("general.removeTag", { tag }) }, icon("close", 12));
        rm.addEventListener("click", () => {
          d.tags.splice(i, 1);
          ctx.markDirty();
          draw();
          input.focus();
        });
        return h("span", { class: "tag tag-edit", "data-field": `tags[${i}]` }, h("span", null, tag), rm);
      }),
    );
  };
  const add = (raw: string) => {
    let added = false;
    for (const part of raw.split(",")) {
      const tag = part.trim();
      if (!tag) continue;
      if (!d.tags.some((x) => x.localeCompare(tag, undefined, { sensitivity: "base" }) === 0)) {
        d.tags.push(tag);
        added = true;
      }
    }
    input.value = "";
    if (added) {
      ctx.markDirty();
      draw();
    }
  };
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === ",") {
      ev.preventDefault();
      add(input.value);
    } else if (ev.key === "Backspace" && input.value === "" && d.tags.length) {
      d.tags.pop();
      ctx.markDirty();
      draw();
    }
  });
  input.addEventListener("input", () => {
    if (input.value.includes(",")) add(input.value);
  });
  input.addEventListener("change", () => {
    // Picking a suggestion from the datalist.
    if (input.value.trim() && ctx.knownTags.includes(input.value.trim())) add(input.value);
  });
  input.addEventListener("blur", () => {
    if (input.value.trim()) add(input.value);
  });
  draw();

  return h(
    "div",
    { class: "field" },
    h("label", { class: "field-label", for: inputId }, t("general.tags")),
    box,
    h("datalist", { id: "known-tags" }, ...ctx.knownTags.map((x) => h("option", { value: x }))),
  );
}
