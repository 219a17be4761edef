// Door check-in mode: one screen for the welcome desk, usable on a small laptop — a large
// search, a badge scan field, big check-in buttons, the counters (arrived / expected) and the
// last arrivals. Opened from the participants list for the current event.

import { toApiError, type EventSummary } from "../../shared/api.js";
import { papi, type Participant, type ParticipantPage } from "./api.js";
import { debounce, h, icon, replaceChildren } from "../../shared/dom.js";
import { formatNumber, formatTime, t } from "../../shared/i18n.js";
import { zoneCity } from "../../shared/tz.js";
import { openDialog, toast, toastError } from "../../shared/ui.js";
import { rsvpPill } from "./view.js";

const RESULTS = 8;

export function openDoorMode(ev: EventSummary): Promise<void> {
  const tz = ev.timezone || "UTC";
  const counters = h("div", { class: "door-counters", testid: "door-counters" });
  const results = h("div", { class: "door-results", testid: "door-results" });
  const recent = h("ol", { class: "door-recent", testid: "door-recent" });
  const search = h("input", {
    class: "input door-search",
    type: "search",
    testid: "door-search",
    placeholder: t("door.searchPlaceholder"),
    "aria-label": t("door.search"),
    autocomplete: "off",
    spellcheck: "false",
  });
  const scan = h("input", { class: "input mono door-scan", type: "text", testid: "door-scan", placeholder: t("door.scanPlaceholder"), "aria-label": t("p.scan"), autocomplete: "off", spellcheck: "false" });
  let seq = 0;

  const drawCounters = (page: ParticipantPage) => {
    const by = new Map(page.counts.map((c) => [c.status, c.count]));
    const arrived = by.get("checked_in") ?? 0;
    const expected = arrived + (by.get("accepted") ?? 0);
    const box = (label: string, n: string, testid: string) => h("div", { class: "door-counter", testid }, h("div", { class: "door-n" }, n), h("div", { class: "door-k" }, label));
    replaceChildren(
      counters,
      box(t("door.arrived"), formatNumber(arrived), "door-arrived"),
      box(t("door.expected"), formatNumber(expected), "door-expected"),
      box(t("door.toCome"), formatNumber(Math.max(0, expected - arrived)), "door-to-come"),
    );
  };

  const drawRecent = async () => {
    try {
      const page = await papi.list(ev._id, { status: "checked_in", sort: "updated_at", page: 1, per_page: 6 });
      drawCounters(page);
      replaceChildren(
        recent,
        ...(page.items.length
          ? page.items.map((p) => h("li", { testid: "door-recent-item" }, h("strong", null, p.name || p.email), p.checked_in_at ? h("span", { class: "muted" }, ` · ${formatTime(p.checked_in_at, tz)}`) : null))
          : [h("li", { class: "muted" }, t("door.noneYet"))]),
      );
    } catch (e) {
      toastError(toApiError(e));
    }
  };

  const checkIn = async (p: Participant) => {
    try {
      const after = await papi.checkIn(p._id);
      toast(t("p.checkedIn", { name: after.name || after.email }), "success");
    } catch (e) {
      toastError(toApiError(e));
    }
    search.select();
    await Promise.all([find(), drawRecent()]);
  };

  const find = async () => {
    const mine = ++seq;
    const q = search.value.trim();
    if (!q) {
      replaceChildren(results, h("p", { class: "muted door-hint" }, t("door.hint")));
      return;
    }
    try {
      const page = await papi.list(ev._id, { q, page: 1, per_page: RESULTS });
      if (mine !== seq) return;
      replaceChildren(
        results,
        ...(page.items.length
          ? page.items.map((p) => {
              const done = p.status === "checked_in";
              const btn = h("button", { type: "button", class: "btn btn-primary door-go", testid: "door-checkin", disabled: done }, icon("check", 20), h("span", null, done ? t("door.already") : t("p.checkIn")));
              btn.addEventListener("click", () => void checkIn(p));
              return h(
                "div",
                { class: "door-row", testid: "door-row", "data-id": p._id },
                h("div", { class: "door-who" }, h("div", { class: "door-name" }, p.name || p.email), h("div", { class: "muted" }, [p.company, p.email].filter(Boolean).join(" · ")), rsvpPill(p.status)),
                btn,
              );
            })
          : [h("p", { class: "muted door-hint" }, t("p.noResults"))]),
      );
    } catch (e) {
      toastError(toApiError(e));
    }
  };
  const debounced = debounce(() => void find(), 200);
  search.addEventListener("input", debounced);
  search.addEventListener("keydown", (ev2) => {
    // Enter checks in the only match: the desk types a name and confirms.
    if (ev2.key !== "Enter") return;
    ev2.preventDefault();
    const only = results.querySelectorAll<HTMLButtonElement>('[data-testid="door-checkin"]:not([disabled])');
    if (only.length === 1) only[0].click();
  });
  scan.addEventListener("keydown", (ev2) => {
    if (ev2.key !== "Enter" || !scan.value.trim()) return;
    ev2.preventDefault();
    const code = scan.value;
    scan.value = "";
    void papi
      .checkInCode(ev._id, code)
      .then((after) => {
        toast(t("p.checkedIn", { name: after.name || after.email }), "success");
        return drawRecent();
      })
      .catch((e) => toastError(toApiError(e)))
      .finally(() => scan.focus());
  });

  void find();
  void drawRecent();
  return openDialog((close) => {
    const exit = h("button", { type: "button", class: "btn", testid: "door-exit" }, t("door.exit"));
    exit.addEventListener("click", () => close("ok"));
    window.setTimeout(() => search.focus(), 0);
    return {
      title: `${t("door.title")} — ${ev.title}`,
      className: "door-dialog",
      body: [
        h(
          "div",
          { class: "door", testid: "door" },
          h(
            "div",
            { class: "door-main" },
            search,
            h("div", { class: "door-scan-row" }, icon("grid", 18), scan),
            results,
          ),
          h(
            "aside",
            { class: "door-side" },
            counters,
            h("h3", { class: "door-h" }, t("door.recent"), h("span", { class: "muted small" }, ` · ${t("dash.zone", { city: zoneCity(tz) })}`)),
            recent,
          ),
        ),
        h("footer", { class: "dialog-foot" }, exit),
      ],
    };
  }).then(() => undefined);
}
