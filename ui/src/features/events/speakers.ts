// Editor tab "Intervenants".

import type { Speaker } from "../../shared/api.js";
import { debounce, h, icon, replaceChildren } from "../../shared/dom.js";
import { t } from "../../shared/i18n.js";
import { button, confirmDialog, field, iconButton, initials } from "../../shared/ui.js";
import type { EditorCtx } from "../../shared/ctx.js";

function avatar(s: Speaker): HTMLElement {
  const box = h("div", { class: "avatar", "aria-hidden": "true" });
  const fallback = () => replaceChildren(box, h("span", null, initials(s.name)));
  const url = (s.photo_url ?? "").trim();
  if (/^https?:\/\/\S+$/.test(url)) {
    const img = h("img", { src: url, alt: "", referrerpolicy: "no-referrer", loading: "lazy" });
    img.addEventListener("error", fallback);
    box.appendChild(img);
  } else {
    fallback();
  }
  return box;
}

export function renderSpeakers(ctx: EditorCtx): HTMLElement {
  const d = ctx.draft;
  const add = button(t("speakers.add"), { kind: "primary", icon: "plus", testid: "add-speaker" });
  add.addEventListener("click", () => {
    d.speakers.push({ id: ctx.newId(), name: "", title: "", bio: "", links: [] });
    ctx.markDirty();
    ctx.rerenderPane();
    const names = document.querySelectorAll<HTMLInputElement>('[data-testid="speaker-name"]');
    const last = names[names.length - 1];
    last?.scrollIntoView({ block: "center" });
    last?.focus();
  });

  const head = h(
    "div",
    { class: "pane-head" },
    h("div", null, h("h2", { class: "pane-title" }, t("speakers.title")), h("p", { class: "muted small" }, t("speakers.count", { n: d.speakers.length }))),
    add,
  );

  if (!d.speakers.length) {
    return h("div", null, head, h("div", { class: "card empty small-empty" }, h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("mic", 26)), h("p", { class: "muted" }, t("speakers.empty"))));
  }

  const cards = d.speakers.map((s, i) => {
    const path = `speakers[${i}]`;
    let av = avatar(s);
    const refreshAvatar = () => {
      const next = avatar(s);
      av.replaceWith(next);
      av = next;
    };
    const name = h("input", { type: "text", class: "input", testid: "speaker-name", value: s.name, maxlength: "200", required: true, autocomplete: "off" });
    ctx.bind(name, `${path}.name`, () => {
      s.name = name.value;
      heading.textContent = s.name.trim() || t("speakers.newName");
      if (!(s.photo_url ?? "").trim()) refreshAvatar();
    });
    const title = h("input", { type: "text", class: "input", testid: "speaker-title", value: s.title, maxlength: "200", autocomplete: "off" });
    ctx.bind(title, `${path}.title`, () => (s.title = title.value));
    const bio = h("textarea", { class: "input", testid: "speaker-bio", rows: "3", maxlength: "5000" });
    bio.value = s.bio;
    ctx.bind(bio, `${path}.bio`, () => (s.bio = bio.value));
    const links = h("textarea", { class: "input mono small", testid: "speaker-links", rows: "2", placeholder: "https://…", spellcheck: "false" });
    links.value = s.links.join("\n");
    ctx.bind(links, `${path}.links`, () => (s.links = links.value.split("\n").map((l) => l.trim()).filter(Boolean)));
    const photo = h("input", { type: "url", class: "input", testid: "speaker-photo", value: s.photo_url ?? "", placeholder: "https://…", autocomplete: "off", spellcheck: "false" });
    const photoChanged = debounce(refreshAvatar, 400);
    ctx.bind(photo, `${path}.photo_url`, () => {
      s.photo_url = photo.value;
      photoChanged();
    });

    const used = d.sessions.filter((x) => x.speaker_ids.includes(s.id)).length;
    const heading = h("h3", { class: "speaker-name" }, s.name.trim() || t("speakers.newName"));
    const remove = iconButton(
      "trash",
      t("speakers.remove"),
      async () => {
        if (used) {
          const ok = await confirmDialog({ title: t("speakers.removeTitle"), text: t("speakers.removeText", { name: s.name || t("speakers.newName") }), confirm: t("common.remove"), danger: true });
          if (!ok) return;
        }
        d.speakers.splice(i, 1);
        for (const sess of d.sessions) sess.speaker_ids = sess.speaker_ids.filter((x) => x !== s.id);
        ctx.markDirty();
        ctx.rerenderPane();
      },
      { danger: true, testid: "remove-speaker" },
    );

    return h(
      "article",
      { class: "card speaker-card", "data-field": path, testid: "speaker-card" },
      h(
        "div",
        { class: "speaker-head" },
        av,
        h("div", { class: "grow" }, heading, h("div", { class: "muted small" }, used ? t("speakers.inSessions", { n: used }) : "\u00a0")),
        remove,
      ),
      h("div", { class: "row-2" }, field(t("speakers.name"), name), field(t("speakers.jobTitle"), title, { optional: true })),
      field(t("speakers.bio"), bio, { optional: true }),
      h("div", { class: "row-2" }, field(t("speakers.links"), links, { optional: true }), field(t("speakers.photo"), photo, { optional: true })),
    );
  });

  return h("div", null, head, h("div", { class: "speaker-grid" }, ...cards));
}
