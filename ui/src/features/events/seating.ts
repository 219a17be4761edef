// Editor tab "Plan de salle": seating plans with a visual seat editor (click a seat to block it).

import type { Layout, SeatingPlan } from "../../shared/api.js";
import { debounce, h, icon, replaceChildren } from "../../shared/dom.js";
import { formatNumber, t } from "../../shared/i18n.js";
import { button, field, iconButton, toast } from "../../shared/ui.js";
import type { EditorCtx } from "../../shared/ctx.js";
import { openSeatingPeople } from "./seating-people.js";

export const LIMITS = {
  rows: [1, 100],
  seats_per_row: [1, 200],
  tables: [1, 500],
  seats_per_table: [1, 30],
} as const;

/** Row 0 → A, 25 → Z, 26 → AA (like a spreadsheet, same as the backend). */
export function rowLabel(r: number): string {
  let s = "";
  let n = r;
  for (;;) {
    s = String.fromCharCode(65 + (n % 26)) + s;
    if (n < 26) break;
    n = Math.floor(n / 26) - 1;
  }
  return s;
}

function inRange(v: number, [min, max]: readonly [number, number]): boolean {
  return Number.isInteger(v) && v >= min && v <= max;
}

function layoutValid(l: Layout): boolean {
  return l.kind === "grid"
    ? inRange(l.rows, LIMITS.rows) && inRange(l.seats_per_row, LIMITS.seats_per_row)
    : inRange(l.tables, LIMITS.tables) && inRange(l.seats_per_table, LIMITS.seats_per_table);
}

export function seatLabels(l: Layout): string[] {
  if (!layoutValid(l)) return [];
  const out: string[] = [];
  if (l.kind === "grid") {
    for (let r = 0; r < l.rows; r++) for (let s = 1; s <= l.seats_per_row; s++) out.push(`${rowLabel(r)}${s}`);
  } else {
    for (let tb = 1; tb <= l.tables; tb++) for (let s = 1; s <= l.seats_per_table; s++) out.push(`T${tb}-${s}`);
  }
  return out;
}

/** Blocked seats that still exist in the plan (sizes may have shrunk since they were blocked). */
export function prunedBlocked(p: SeatingPlan): string[] {
  if (!layoutValid(p.layout)) return p.blocked;
  const labels = new Set(seatLabels(p.layout));
  return p.blocked.filter((b) => labels.has(b));
}

// Last sizes used per plan and kind, so switching grid ↔ tables and back restores them.
const remembered = new WeakMap<SeatingPlan, { grid?: Layout; tables?: Layout }>();

export function renderSeating(ctx: EditorCtx): HTMLElement {
  const d = ctx.draft;
  const add = button(t("seating.add"), { kind: "primary", icon: "plus", testid: "add-plan" });
  add.addEventListener("click", () => {
    const used = new Set(d.seating.map((p) => p.room.trim()));
    const room = d.sessions.map((s) => s.room.trim()).find((r) => r && !used.has(r)) ?? "";
    d.seating.push({ id: ctx.newId(), room, layout: { kind: "grid", rows: 8, seats_per_row: 12 }, blocked: [] });
    ctx.markDirty();
    ctx.rerenderPane();
    const rooms = document.querySelectorAll<HTMLInputElement>('[data-testid="plan-room"]');
    const last = rooms[rooms.length - 1];
    last?.scrollIntoView({ block: "start" });
    last?.focus({ preventScroll: true });
  });

  const head = h(
    "div",
    { class: "pane-head" },
    h("div", null, h("h2", { class: "pane-title" }, t("seating.title")), h("p", { class: "muted small" }, t("seating.help"))),
    add,
  );
  if (!d.seating.length) {
    return h("div", null, head, h("div", { class: "card empty small-empty" }, h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("grid", 26)), h("p", { class: "muted" }, t("seating.empty"))));
  }
  const rooms = new Set(d.sessions.map((s) => s.room.trim()).filter(Boolean));
  return h(
    "div",
    null,
    head,
    h("datalist", { id: "plan-rooms" }, ...[...rooms].map((r) => h("option", { value: r }))),
    ...d.seating.map((p, i) => planCard(ctx, p, i)),
  );
}

function planCard(ctx: EditorCtx, p: SeatingPlan, i: number): HTMLElement {
  const path = `seating[${i}]`;
  const card = h("article", { class: "card plan-card", "data-field": path, testid: "plan-card" });

  const draw = (focusKind = false) => {
    const l = p.layout;
    const room = h("input", { type: "text", class: "input", testid: "plan-room", value: p.room, list: "plan-rooms", maxlength: "100", required: true, placeholder: t("seating.roomPlaceholder"), autocomplete: "off" });
    ctx.bind(room, `${path}.room`, () => (p.room = room.value));

    const kind = h(
      "select",
      { class: "input", testid: "plan-kind" },
      h("option", { value: "grid" }, t("seating.kind.grid")),
      h("option", { value: "tables" }, t("seating.kind.tables")),
    );
    kind.value = l.kind;
    ctx.bind(kind, `${path}.layout.kind`, () => {
      const mem = remembered.get(p) ?? {};
      mem[p.layout.kind] = p.layout;
      remembered.set(p, mem);
      const k = kind.value === "tables" ? "tables" : "grid";
      if (k === p.layout.kind) return;
      p.layout = mem[k] ?? (k === "grid" ? { kind: "grid", rows: 8, seats_per_row: 12 } : { kind: "tables", tables: 10, seats_per_table: 8 });
      draw(true);
    });

    const aKey = l.kind === "grid" ? "rows" : "tables";
    const bKey = l.kind === "grid" ? "seats_per_row" : "seats_per_table";
    const aVal = l.kind === "grid" ? l.rows : l.tables;
    const bVal = l.kind === "grid" ? l.seats_per_row : l.seats_per_table;
    const a = h("input", { type: "number", class: "input", testid: "plan-rows", min: String(LIMITS[aKey][0]), max: String(LIMITS[aKey][1]), step: "1", inputmode: "numeric", required: true, value: aVal });
    const b = h("input", { type: "number", class: "input", testid: "plan-seats", min: String(LIMITS[bKey][0]), max: String(LIMITS[bKey][1]), step: "1", inputmode: "numeric", required: true, value: bVal });
    const redraw = debounce(() => drawMap(), 150);
    const setSize = () => {
      const av = a.value.trim() === "" ? 0 : Number(a.value);
      const bv = b.value.trim() === "" ? 0 : Number(b.value);
      p.layout = p.layout.kind === "grid" ? { kind: "grid", rows: av, seats_per_row: bv } : { kind: "tables", tables: av, seats_per_table: bv };
      // Small plans redraw at once (no stale seats for a test or a fast click); big ones debounce.
      if (av * bv <= 3000) drawMap();
      else redraw();
    };
    ctx.bind(a, `${path}.layout.${aKey}`, setSize);
    ctx.bind(b, `${path}.layout.${bKey}`, setSize);

    const remove = iconButton(
      "trash",
      t("seating.remove"),
      () => {
        ctx.draft.seating.splice(i, 1);
        ctx.markDirty();
        ctx.rerenderPane();
      },
      { danger: true, testid: "remove-plan" },
    );

    const stats = h("div", { class: "plan-stats" });
    const map = h("div", { class: "seat-map-wrap" });
    const unblock = button(t("seating.unblockAll"), { kind: "subtle", small: true, icon: "refresh" });
    unblock.addEventListener("click", () => {
      p.blocked = [];
      ctx.markDirty();
      drawMap();
    });

    const drawStats = () => {
      const labels = seatLabels(p.layout);
      const blocked = prunedBlocked(p).length;
      replaceChildren(
        stats,
        h("span", { class: "capacity", testid: "plan-capacity" }, t("seating.capacity", { n: Math.max(0, labels.length - blocked) })),
        h("span", { class: "muted" }, t("seating.stats", { total: labels.length, blocked })),
        h(
          "span",
          { class: "legend", "aria-hidden": "true" },
          h("span", { class: "legend-seat" }),
          t("seating.legendFree"),
          h("span", { class: "legend-seat blocked" }),
          t("seating.legendBlocked"),
        ),
      );
      unblock.disabled = blocked === 0;
    };

    const drawMap = () => {
      drawStats();
      const lay = p.layout;
      if (!layoutValid(lay)) {
        const lim =
          lay.kind === "grid"
            ? inRange(lay.rows, LIMITS.rows) ? LIMITS.seats_per_row : LIMITS.rows
            : inRange(lay.tables, LIMITS.tables) ? LIMITS.seats_per_table : LIMITS.tables;
        replaceChildren(map, h("div", { class: "map-invalid" }, icon("alert", 16), t("seating.outOfRange", { min: lim[0], max: formatNumber(lim[1]) })));
        return;
      }
      replaceChildren(map, seatMap(ctx, p, drawStats));
    };

    replaceChildren(
      card,
      h(
        "div",
        { class: "plan-head" },
        h(
          "div",
          { class: "plan-fields" },
          field(t("seating.room"), room, { className: "f-room" }),
          field(t("seating.kind"), kind),
          field(l.kind === "grid" ? t("seating.rows") : t("seating.tables"), a, { className: "f-num" }),
          field(l.kind === "grid" ? t("seating.seatsPerRow") : t("seating.seatsPerTable"), b, { className: "f-num" }),
        ),
        remove,
      ),
      h("div", { class: "plan-bar" }, stats, unblock, peopleButton(ctx, p)),
      map,
    );
    drawMap();
    if (focusKind) kind.focus();
  };
  draw();
  return card;
}

/** Opens the people-on-the-plan view; the plan must be saved (the server seats people on it). */
function peopleButton(ctx: EditorCtx, p: SeatingPlan): HTMLButtonElement {
  const b = button(t("seat.people"), { kind: "subtle", small: true, icon: "users", testid: "plan-people" });
  b.addEventListener("click", () => {
    const id = ctx.savedId();
    if (id) void openSeatingPeople(id, p.id, p.room);
    else toast(t("seat.saveFirst"), "info");
  });
  return b;
}

function seatButton(ctx: EditorCtx, p: SeatingPlan, label: string, onChange: () => void): HTMLButtonElement {
  const isBlocked = () => p.blocked.includes(label);
  const b = h("button", { type: "button", class: "seat", testid: "seat", "data-label": label, tabindex: "-1" });
  const paint = () => {
    const on = isBlocked();
    b.classList.toggle("blocked", on);
    b.setAttribute("aria-pressed", String(on));
    b.setAttribute("aria-label", on ? t("seating.seatBlocked", { label }) : t("seating.seat", { label }));
    b.title = label;
  };
  paint();
  b.addEventListener("click", () => {
    if (isBlocked()) p.blocked = p.blocked.filter((x) => x !== label);
    else p.blocked.push(label);
    paint();
    ctx.markDirty();
    onChange();
  });
  return b;
}

/** Roving tabindex: one seat is tabbable, arrow keys move between seats. */
function roving(container: HTMLElement, seats: HTMLButtonElement[], cols: number): void {
  if (!seats.length) return;
  seats[0].tabIndex = 0;
  container.addEventListener("keydown", (ev) => {
    const i = seats.indexOf(ev.target as HTMLButtonElement);
    if (i < 0) return;
    let j = -1;
    if (ev.key === "ArrowRight") j = i + 1;
    else if (ev.key === "ArrowLeft") j = i - 1;
    else if (ev.key === "ArrowDown") j = i + cols;
    else if (ev.key === "ArrowUp") j = i - cols;
    else if (ev.key === "Home") j = 0;
    else if (ev.key === "End") j = seats.length - 1;
    if (j < 0 || j >= seats.length) return;
    ev.preventDefault();
    seats[i].tabIndex = -1;
    seats[j].tabIndex = 0;
    seats[j].focus();
  });
}

function seatMap(ctx: EditorCtx, p: SeatingPlan, onChange: () => void): HTMLElement {
  const l = p.layout;
  const stage = h("div", { class: "stage" }, t("seating.stage"));
  const seats: HTMLButtonElement[] = [];
  if (l.kind === "grid") {
    const rows: HTMLElement[] = [];
    for (let r = 0; r < l.rows; r++) {
      const rl = rowLabel(r);
      const rowSeats: HTMLButtonElement[] = [];
      for (let s = 1; s <= l.seats_per_row; s++) {
        const b = seatButton(ctx, p, `${rl}${s}`, onChange);
        rowSeats.push(b);
        seats.push(b);
      }
      const toggleRow = h("button", { type: "button", class: "row-label", "aria-label": t("seating.row", { label: rl }), title: t("seating.row", { label: rl }) }, rl);
      toggleRow.addEventListener("click", () => {
        const labels = rowSeats.map((x) => x.dataset.label as string);
        const allBlocked = labels.every((x) => p.blocked.includes(x));
        p.blocked = allBlocked ? p.blocked.filter((x) => !labels.includes(x)) : [...p.blocked, ...labels.filter((x) => !p.blocked.includes(x))];
        for (const sb of rowSeats) {
          const on = p.blocked.includes(sb.dataset.label as string);
          sb.classList.toggle("blocked", on);
          sb.setAttribute("aria-pressed", String(on));
          sb.setAttribute("aria-label", on ? t("seating.seatBlocked", { label: sb.dataset.label as string }) : t("seating.seat", { label: sb.dataset.label as string }));
        }
        ctx.markDirty();
        onChange();
      });
      rows.push(h("div", { class: "seat-row", role: "group", "aria-label": rl }, toggleRow, h("div", { class: "seats" }, ...rowSeats), h("span", { class: "row-label-end", "aria-hidden": "true" }, rl)));
    }
    const grid = h("div", { class: "seat-grid" }, ...rows);
    const map = h("div", { class: "seat-map", "data-field": `seating[${ctx.draft.seating.indexOf(p)}].blocked` }, stage, grid);
    roving(map, seats, l.seats_per_row);
    return map;
  }

  // Tables: seats around a round table.
  const n = l.seats_per_table;
  const seat = 22;
  const radius = Math.max(34, (n * (seat + 5)) / (2 * Math.PI));
  const size = Math.ceil(2 * radius + seat + 4);
  const tables: HTMLElement[] = [];
  for (let tb = 1; tb <= l.tables; tb++) {
    const unit = h("div", { class: "table-unit", role: "group", "aria-label": t("seating.table", { n: tb }), style: { width: `${size}px`, height: `${size}px` } });
    unit.appendChild(
      h("div", { class: "table-top", style: { width: `${Math.round(2 * radius - seat - 6)}px`, height: `${Math.round(2 * radius - seat - 6)}px` } }, `T${tb}`),
    );
    for (let s = 1; s <= n; s++) {
      const angle = -Math.PI / 2 + ((s - 1) * 2 * Math.PI) / n;
      const b = seatButton(ctx, p, `T${tb}-${s}`, onChange);
      b.classList.add("round");
      b.style.left = `${Math.round(size / 2 + radius * Math.cos(angle) - seat / 2)}px`;
      b.style.top = `${Math.round(size / 2 + radius * Math.sin(angle) - seat / 2)}px`;
      unit.appendChild(b);
      seats.push(b);
    }
    tables.push(unit);
  }
  const map = h("div", { class: "seat-map", "data-field": `seating[${ctx.draft.seating.indexOf(p)}].blocked` }, stage, h("div", { class: "table-grid" }, ...tables));
  roving(map, seats, n);
  return map;
}
