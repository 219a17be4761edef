// Editor tab "Programme": sessions as editable cards, with a live agenda sorted by time.

import type { Session } from "../../shared/api.js";
import { h, icon, nextId, replaceChildren } from "../../shared/dom.js";
import { formatDate, formatDateWords, formatDayHeading, formatTime, t } from "../../shared/i18n.js";
import { dayKey, utcToWall, wallToUtc } from "../../shared/tz.js";
import { button, dateWords, field, iconButton, refreshDateWords } from "../../shared/ui.js";
import { dateField, dateProblem } from "../../shared/datefield.js";
import type { EditorCtx } from "../../shared/ctx.js";

function roomsOf(ctx: EditorCtx): string[] {
  const set = new Set<string>();
  for (const p of ctx.draft.seating) if (p.room.trim()) set.add(p.room.trim());
  for (const s of ctx.draft.sessions) if (s.room.trim()) set.add(s.room.trim());
  return [...set].sort((a, b) => a.localeCompare(b));
}

function problems(ctx: EditorCtx, s: Session): string[] {
  const d = ctx.draft;
  const out: string[] = [];
  const a = Date.parse(s.starts_at);
  const b = Date.parse(s.ends_at);
  if (a < Date.parse(d.starts_at) || b > Date.parse(d.ends_at)) out.push(t("sessions.outside"));
  if (s.room.trim()) {
    const clash = d.sessions.some((o) => o !== s && o.room.trim() === s.room.trim() && Date.parse(o.starts_at) < b && a < Date.parse(o.ends_at));
    if (clash) out.push(t("sessions.overlap"));
  }
  return out;
}

/** A field with the date in words appended under its control. */
function withWords(f: HTMLElement, words: HTMLElement): HTMLElement {
  f.appendChild(words);
  return f;
}

export function renderSessions(ctx: EditorCtx): HTMLElement {
  const d = ctx.draft;
  const tz = ctx.tz();
  d.sessions.sort((x, y) => Date.parse(x.starts_at) - Date.parse(y.starts_at));

  const add = button(t("sessions.add"), { kind: "primary", icon: "plus", testid: "add-session" });
  add.addEventListener("click", () => {
    const start = Date.parse(d.starts_at);
    const end = Math.min(start + 3_600_000, Date.parse(d.ends_at));
    const s: Session = {
      id: ctx.newId(),
      title: "",
      abstract: "",
      starts_at: new Date(start).toISOString(),
      ends_at: new Date(end).toISOString(),
      room: "",
      speaker_ids: [],
    };
    d.sessions.push(s);
    ctx.markDirty();
    ctx.rerenderPane();
    const input = document.querySelector<HTMLInputElement>(`[data-session-id="${CSS.escape(s.id)}"] [data-testid="session-title"]`);
    input?.scrollIntoView({ block: "center" });
    input?.focus();
  });

  const head = h(
    "div",
    { class: "pane-head" },
    h(
      "div",
      null,
      h("h2", { class: "pane-title" }, t("sessions.title")),
      h("p", { class: "muted small" }, `${t("sessions.count", { n: d.sessions.length })} · ${t("sessions.withinHint", { from: formatDate(d.starts_at, tz), to: formatDate(d.ends_at, tz) })}`),
    ),
    add,
  );

  if (!d.sessions.length) {
    return h("div", null, head, h("div", { class: "card empty small-empty" }, h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("clock", 26)), h("p", { class: "muted" }, t("sessions.empty"))));
  }

  const roomsList = h("datalist", { id: "known-rooms" });
  const drawRooms = () => replaceChildren(roomsList, ...roomsOf(ctx).map((r) => h("option", { value: r })));
  drawRooms();

  const agenda = h("nav", { class: "agenda card", "aria-label": t("sessions.agenda") });
  const drawAgenda = () => {
    const sorted = [...d.sessions].sort((x, y) => Date.parse(x.starts_at) - Date.parse(y.starts_at));
    const items: Node[] = [h("h3", { class: "card-title" }, icon("calendar", 18), t("sessions.agenda"))];
    let day = "";
    for (const s of sorted) {
      const k = dayKey(s.starts_at, tz);
      if (k !== day) {
        day = k;
        items.push(h("div", { class: "agenda-day" }, formatDayHeading(s.starts_at, tz)));
      }
      const names = s.speaker_ids.map((id) => d.speakers.find((p) => p.id === id)?.name).filter(Boolean) as string[];
      const warn = problems(ctx, s);
      const item = h(
        "button",
        { type: "button", class: `agenda-item${warn.length ? " warn" : ""}` },
        h("span", { class: "agenda-time" }, `${formatTime(s.starts_at, tz)}–${formatTime(s.ends_at, tz)}`),
        h(
          "span",
          { class: "agenda-body" },
          h("span", { class: "agenda-title" }, s.title.trim() || t("sessions.untitled")),
          s.room || names.length ? h("span", { class: "agenda-sub" }, [s.room, names.join(", ")].filter(Boolean).join(" · ")) : null,
          warn.length ? h("span", { class: "agenda-warn" }, icon("alert", 12), warn.join(" · ")) : null,
        ),
      );
      item.addEventListener("click", () => {
        const input = document.querySelector<HTMLInputElement>(`[data-session-id="${CSS.escape(s.id)}"] [data-testid="session-title"]`);
        input?.scrollIntoView({ block: "center", behavior: "smooth" });
        input?.focus({ preventScroll: true });
      });
      items.push(item);
    }
    replaceChildren(agenda, ...items);
  };
  drawAgenda();

  const minWall = utcToWall(d.starts_at, tz);
  const maxWall = utcToWall(d.ends_at, tz);

  const cards = d.sessions.map((s, i) => {
    const path = `sessions[${i}]`;
    const title = h("input", { type: "text", class: "input", testid: "session-title", value: s.title, maxlength: "200", required: true, autocomplete: "off", placeholder: t("sessions.newTitle") });
    ctx.bind(title, `${path}.title`, () => {
      s.title = title.value;
      drawAgenda();
    });
    const starts = h("input", { type: "hidden", testid: "session-starts", value: utcToWall(s.starts_at, tz), min: minWall, max: maxWall });
    const ends = h("input", { type: "hidden", testid: "session-ends", value: utcToWall(s.ends_at, tz), min: minWall, max: maxWall });
    ctx.bind(starts, `${path}.starts_at`, () => {
      const iso = wallToUtc(starts.value, ctx.tz());
      ctx.setLocalError(`${path}.starts_at`, iso ? null : (dateProblem(starts) ?? t("general.invalidDate")));
      if (!iso) return;
      const dur = Date.parse(s.ends_at) - Date.parse(s.starts_at);
      s.starts_at = iso;
      if (Date.parse(s.ends_at) <= Date.parse(iso)) {
        s.ends_at = new Date(Date.parse(iso) + (dur > 0 ? dur : 3_600_000)).toISOString();
        ends.value = utcToWall(s.ends_at, ctx.tz());
        refreshDateWords(ends);
      }
      drawAgenda();
    });
    ctx.bind(ends, `${path}.ends_at`, () => {
      const iso = wallToUtc(ends.value, ctx.tz());
      ctx.setLocalError(`${path}.ends_at`, iso ? null : (dateProblem(ends) ?? t("general.invalidDate")));
      if (!iso) return;
      s.ends_at = iso;
      drawAgenda();
    });
    const room = h("input", { type: "text", class: "input", testid: "session-room", value: s.room, list: "known-rooms", maxlength: "100", autocomplete: "off" });
    ctx.bind(room, `${path}.room`, () => {
      s.room = room.value;
      drawAgenda();
    });
    room.addEventListener("change", drawRooms);
    const cap = h("input", { type: "number", class: "input", testid: "session-capacity", min: "1", max: "1000000", step: "1", value: s.capacity ?? "" });
    ctx.bind(cap, `${path}.capacity`, () => {
      if (cap.value.trim() === "") delete s.capacity;
      else s.capacity = Number(cap.value);
    });
    const abs = h("textarea", { class: "input", testid: "session-abstract", rows: "2", maxlength: "5000" });
    abs.value = s.abstract;
    ctx.bind(abs, `${path}.abstract`, () => (s.abstract = abs.value));

    const legendId = nextId("spk");
    const speakerBox = h("fieldset", { class: "speaker-checks", "data-field": `${path}.speaker_ids`, "aria-labelledby": legendId });
    speakerBox.appendChild(h("legend", { id: legendId, class: "field-label" }, t("sessions.speakers")));
    if (!d.speakers.length) {
      speakerBox.appendChild(h("p", { class: "muted small" }, t("sessions.noSpeakers")));
    } else {
      for (const sp of d.speakers) {
        const cb = h("input", { type: "checkbox", testid: "session-speaker", value: sp.id, checked: s.speaker_ids.includes(sp.id) });
        cb.addEventListener("change", () => {
          if (cb.checked) {
            if (!s.speaker_ids.includes(sp.id)) s.speaker_ids.push(sp.id);
          } else s.speaker_ids = s.speaker_ids.filter((x) => x !== sp.id);
          for (const shown of speakerBox.querySelectorAll(".field-error")) shown.remove();
          speakerBox.classList.remove("invalid");
          ctx.markDirty();
          drawAgenda();
        });
        speakerBox.appendChild(h("label", { class: "check-chip" }, cb, h("span", null, sp.name.trim() || t("speakers.newName"))));
      }
    }

    const remove = iconButton(
      "trash",
      t("sessions.remove"),
      () => {
        d.sessions.splice(i, 1);
        ctx.markDirty();
        ctx.rerenderPane();
      },
      { danger: true, testid: "remove-session" },
    );

    return h(
      "article",
      { class: "card session-card", "data-field": path, "data-session-id": s.id, testid: "session-card" },
      h("div", { class: "session-head" }, h("div", { class: "grow" }, field(t("sessions.sessionTitle"), title)), remove),
      h(
        "div",
        { class: "row-4" },
        // Each date with its words right under it, whatever the number of columns.
        withWords(dateField(t("sessions.starts"), starts, { time: true, showError: false }), dateWords(starts, () => formatDateWords(wallToUtc(starts.value, ctx.tz()) ?? "", ctx.tz()))),
        withWords(dateField(t("sessions.ends"), ends, { time: true, showError: false }), dateWords(ends, () => formatDateWords(wallToUtc(ends.value, ctx.tz()) ?? "", ctx.tz()))),
        field(t("sessions.room"), room, { optional: true }),
        field(t("sessions.capacity"), cap),
      ),
      field(t("sessions.abstract"), abs, { optional: true }),
      speakerBox,
    );
  });

  return h("div", null, head, roomsList, h("div", { class: "sessions-layout" }, agenda, h("div", { class: "session-list" }, ...cards)));
}
