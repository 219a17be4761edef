// Advanced: the tools of the technical team, out of the event manager's daily path — the
// index lab, the database engine's details and features.

import { h, icon } from "../../shared/dom.js";
import { t } from "../../shared/i18n.js";
import type { Nav, View } from "../../main.js";
import { button, sectionCard } from "../../shared/ui.js";
import { engineDetails, serverBadgeText } from "../server/panel.js";

export class AdvancedView implements View {
  el = h("div", { class: "page advanced-page", testid: "advanced-page" });
  navId = "nav-advanced";

  constructor(private nav: Nav & { toLab(): Promise<void> }) {
    this.rerender();
  }

  rerender(): void {
    const s = this.nav.status();
    const lab = button(t("adv.openLab"), { kind: "primary", icon: "flask", testid: "nav-lab", onClick: () => void this.nav.toLab() });
    this.el.replaceChildren(
      h("div", { class: "page-head" }, h("div", null, h("h1", { class: "page-title" }, t("adv.title")), h("p", { class: "page-sub" }, t("adv.subtitle")))),
      h(
        "div",
        { class: "adv-grid" },
        sectionCard(t("nav.indexlab"), "flask", h("p", { class: "muted" }, t("adv.labText")), h("div", { class: "adv-actions" }, lab)),
        sectionCard(
          t("adv.engine"),
          "database",
          s ? h("p", { class: "mono small", testid: "adv-engine" }, serverBadgeText(s)) : null,
          ...(s ? engineDetails(s) : [h("p", { class: "muted" }, t("common.loading"))]),
        ),
        sectionCard(t("adv.json"), "info", h("p", { class: "muted" }, t("adv.jsonText")), h("p", { class: "muted small adv-note" }, icon("info", 14), h("span", null, t("adv.jsonWhere")))),
      ),
    );
  }
}
