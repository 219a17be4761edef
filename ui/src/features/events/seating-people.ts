// People on a seating plan (opened from a plan card of the editor's "Plan de salle" tab):
// who sits where, the attendees still without a seat (pick one, then click a free seat),
// moving (click a taken seat to select its occupant, then a free seat), freeing a seat,
// filling the plan automatically by company or name, and the warnings when the plan and
// the event's capacity disagree. Blocked seats cannot be clicked; the server refuses them
// too, and of two organisers giving the same seat only one succeeds.

import { toApiError, type ApiError } from "../../shared/api.js";
import { papi, type PlanView, type Seated, type SeatingOverview, type SeatWarning } from "../participants/api.js";
import { h, replaceChildren } from "../../shared/dom.js";
import { formatNumber, t, type MsgKey } from "../../shared/i18n.js";
import { button, errorText, field, openDialog, toast } from "../../shared/ui.js";
import { token } from "../../shared/tokens.js";

type Params = Record<string, string | number>;

function who(s: Seated): string {
  return s.name || s.email;
}

/** A warning's sentence from its code and params. */
export function warningText(w: SeatWarning): string {
  const p: Params = {};
  for (const [k, v] of Object.entries(w.params)) p[k] = typeof v === "number" ? formatNumber(v) : String(v);
  return t(`seat.w.${w.code}` as MsgKey, p);
}

function seatErrorText(e: ApiError): string {
  const p = (e as ApiError & { params?: Params }).params ?? {};
  if (e.code === "duplicate" && e.field === "seat") return t("seat.taken", { label: String(p.label ?? ""), name: String(p.name || p.email || "") });
  if (e.code === "duplicate" && p.table !== undefined) return t("seat.takenTable", { table: String(p.table) });
  if (e.code === "validation" && e.field === "label" && p.label !== undefined) return t("seat.blockedSeat", { label: String(p.label) });
  return errorText(e);
}

// Seat colours beside the editor's (free and blocked come from the stylesheet).
const taken = () => ({ background: token("seat-taken"), borderColor: token("seat-taken-line"), color: token("seat-taken-text") });

export async function openSeatingPeople(eventId: string, planId: string, room: string): Promise<void> {
  let overview: SeatingOverview | null = null;
  let selected: Seated | null = null;
  const warnings = h("div", { class: "seat-warnings", testid: "seat-warnings" });
  const stats = h("p", { class: "muted small", testid: "seat-stats" });
  const map = h("div", { class: "seat-map", testid: "seat-people-map" });
  const side = h("div", { class: "seat-side" });
  const whoList = h("ol", { class: "audit-list", testid: "seat-who" });
  const selection = h("p", { class: "small", testid: "seat-selection" });

  const by = h("select", { class: "input", testid: "seat-auto-by" }, h("option", { value: "company" }, t("seat.by.company")), h("option", { value: "name" }, t("seat.by.name")));
  const auto = button(t("seat.auto"), { kind: "primary", icon: "sparkles", testid: "seat-auto" });
  const free = button(t("seat.free"), { kind: "subtle", small: true, testid: "seat-free" });

  const plan = (): PlanView | undefined => overview?.plans.find((x) => x.plan.id === planId);

  const act = async (f: () => Promise<string>) => {
    try {
      toast(await f(), "success");
    } catch (e) {
      toast(seatErrorText(toApiError(e)), "error");
    }
    await load();
  };

  const render = () => {
    const pv = plan();
    if (!overview || !pv) {
      replaceChildren(map, h("p", { class: "muted" }, t("seat.saveFirst")));
      return;
    }
    replaceChildren(warnings, ...overview.warnings.map((w) => h("p", { class: "field-error", testid: "seat-warning", "data-code": w.code }, warningText(w))));
    stats.textContent = t("seat.stats", { assigned: pv.assigned, capacity: pv.capacity, free: pv.free });
    selection.textContent = selected ? t("seat.selected", { name: who(selected) }) : t("seat.noneSelected");
    free.disabled = !selected || !pv.seats.some((s) => s.participant?.id === selected?.id);

    const seatBtn = (s: PlanView["seats"][number]) => {
      const occupant = s.participant;
      const label = occupant ? t("seat.seatTaken", { label: s.label, name: who(occupant) }) : s.blocked ? t("seating.seatBlocked", { label: s.label }) : t("seat.seatFree", { label: s.label });
      const b = h("button", { type: "button", class: `seat${s.blocked ? " blocked" : ""}`, testid: "seat-p", "data-label": s.label, "data-state": occupant ? "taken" : s.blocked ? "blocked" : "free", "aria-label": label, title: label, disabled: s.blocked && !occupant });
      if (occupant) Object.assign(b.style, taken());
      if (occupant && selected?.id === occupant.id) b.style.outline = "3px solid var(--accent)";
      b.addEventListener("click", () => {
        if (occupant) {
          selected = occupant;
          render();
          return;
        }
        const person = selected;
        if (!person || s.blocked) return;
        void act(async () => {
          await papi.assignSeat(person.id, planId, s.label);
          selected = null;
          return t("seat.assigned", { name: who(person), label: s.label });
        });
      });
      return b;
    };
    const l = pv.plan.layout;
    if (l.kind === "grid") {
      const rows: HTMLElement[] = [];
      for (let r = 0; r < l.rows; r++) {
        const seats = pv.seats.slice(r * l.seats_per_row, (r + 1) * l.seats_per_row);
        const rl = seats[0]?.label.replace(/\d+$/, "") ?? "";
        rows.push(h("div", { class: "seat-row" }, h("span", { class: "row-label-end" }, rl), h("div", { class: "seats" }, ...seats.map(seatBtn))));
      }
      replaceChildren(map, h("div", { class: "stage" }, t("seating.stage")), h("div", { class: "seat-grid" }, ...rows));
    } else {
      const tables: HTMLElement[] = [];
      for (let tb = 0; tb < l.tables; tb++) {
        const seats = pv.seats.slice(tb * l.seats_per_table, (tb + 1) * l.seats_per_table);
        tables.push(h("div", { class: "card", role: "group", "aria-label": t("seating.table", { n: tb + 1 }), style: { padding: "8px" } }, h("div", { class: "small muted" }, `T${tb + 1}`), h("div", { class: "seats", style: { flexWrap: "wrap", maxWidth: "160px" } }, ...seats.map(seatBtn))));
      }
      replaceChildren(map, h("div", { class: "table-grid" }, ...tables));
    }

    const unseated = overview.unseated;
    replaceChildren(
      side,
      h("h3", { class: "card-title" }, t("seat.unseated", { n: unseated.length })),
      unseated.length
        ? h(
            "div",
            { class: "pe-merge-list", role: "radiogroup", testid: "seat-unseated" },
            ...unseated.map((u) => {
              const radio = h("input", { type: "radio", name: "seat-pick", value: u.id, testid: "seat-pick", checked: selected?.id === u.id });
              radio.addEventListener("change", () => {
                selected = u;
                render();
              });
              return h("label", { class: "pe-merge-option" }, radio, h("span", null, h("strong", null, who(u)), u.company ? h("span", { class: "cell-sub" }, ` · ${u.company}`) : null));
            }),
          )
        : h("p", { class: "muted small" }, t("seat.unseatedNone")),
    );
    replaceChildren(
      whoList,
      ...pv.seats
        .filter((s) => s.participant)
        .map((s) => h("li", { class: "audit-entry", testid: "seat-who-row", "data-label": s.label }, h("strong", null, s.label), ` ${who(s.participant as Seated)}`, s.participant?.company ? h("span", { class: "cell-sub" }, ` · ${s.participant.company}`) : null)),
    );
  };

  const load = async () => {
    try {
      overview = await papi.seating(eventId);
      if (selected && !overview.plans.some((p) => p.seats.some((s) => s.participant?.id === selected?.id)) && !overview.unseated.some((u) => u.id === selected?.id)) selected = null;
    } catch (e) {
      toast(errorText(toApiError(e)), "error");
    }
    render();
  };

  auto.addEventListener("click", () =>
    void act(async () => {
      const r = await papi.autoSeat(eventId, planId, by.value === "name" ? "name" : "company");
      return t("seat.autoDone", { assigned: r.assigned, left: r.left });
    }),
  );
  free.addEventListener("click", () => {
    const person = selected;
    if (!person) return;
    void act(async () => {
      await papi.unassignSeat(person.id);
      return t("seat.freed", { name: who(person) });
    });
  });

  void load();
  await openDialog((close) => {
    const ok = h("button", { type: "button", class: "btn", testid: "seat-close" }, t("common.close"));
    ok.addEventListener("click", () => close("ok"));
    return {
      title: t("seat.title", { room }),
      className: "audit-dialog",
      body: [
        h(
          "div",
          { class: "dialog-body" },
          warnings,
          h("p", { class: "muted small" }, t("seat.pickHint")),
          h("div", { class: "plan-bar" }, stats, field(t("seat.by"), by), auto),
          map,
          h("div", { class: "plan-bar" }, selection, free),
          side,
          h("h3", { class: "card-title" }, t("seat.who")),
          whoList,
        ),
        h("footer", { class: "dialog-foot" }, ok),
      ],
    };
  });
}
