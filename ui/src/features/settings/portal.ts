// Settings, portal section: status, the address links carry (with its QR code), and the
// saved port, network interface and public address (commands in
// src-tauri/src/commands/invitations.rs).

import { toApiError } from "../../shared/api.js";
import { invitationsApi, qrImage, type NetInterface, type PortalAddress, type PortalInfo } from "../invitations/api.js";
import { h, replaceChildren } from "../../shared/dom.js";
import { t } from "../../shared/i18n.js";
import { button, field, sectionCard, toast, toastError } from "../../shared/ui.js";

export class PortalSettings {
  el = h("div", { testid: "portal-settings" });
  private info: PortalInfo | null = null;
  private saved: PortalAddress = { port: null, interface: null, public_url: null };
  private interfaces: NetInterface[] = [];

  constructor() {
    this.render();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const [info, addr] = await Promise.all([invitationsApi.portalStatus(), invitationsApi.portalAddress()]);
      this.info = info;
      this.interfaces = addr.interfaces;
      this.saved = { port: addr.port, interface: addr.interface, public_url: addr.public_url };
    } catch (e) {
      toastError(toApiError(e));
    }
    this.render();
  }

  private async toggle(): Promise<void> {
    try {
      if (this.info) {
        await invitationsApi.portalStop();
        this.info = null;
      } else {
        this.info = await invitationsApi.portalStart(true, null);
      }
    } catch (e) {
      toastError(toApiError(e));
    }
    void this.load();
  }

  private render(): void {
    const port = h("input", { class: "input", type: "number", min: "1024", max: "65535", testid: "portal-port", value: this.saved.port?.toString() ?? "" });
    const iface = h(
      "select",
      { class: "input", testid: "portal-interface" },
      h("option", { value: "", selected: !this.saved.interface }, t("settings.portalInterfaceAuto")),
      ...this.interfaces.map((i) =>
        h("option", { value: i.name, selected: this.saved.interface === i.name }, `${i.name} — ${i.ip}${i.virtual ? ` (${t("settings.portalVirtual")})` : ""}`),
      ),
    );
    const publicUrl = h("input", { class: "input", testid: "portal-public-url", value: this.saved.public_url ?? "", placeholder: "https://" });
    const err = h("div", { class: "field-error", role: "alert", testid: "portal-error", hidden: true });
    const save = button(t("settings.portalSave"), {
      kind: "primary",
      icon: "save",
      testid: "portal-save",
      onClick: () => {
        err.hidden = true;
        const next: PortalAddress = {
          port: port.value ? Number(port.value) : null,
          interface: iface.value || null,
          public_url: publicUrl.value.trim() || null,
        };
        void invitationsApi
          .portalAddressSave(next)
          .then((s) => {
            this.saved = s;
            toast(t("settings.portalSaved"), "success");
            this.render();
          })
          .catch((e) => {
            const ae = toApiError(e);
            err.hidden = false;
            err.textContent = ae.message;
          });
      },
    });
    const status = h(
      "div",
      { class: "settings-actions" },
      h("span", { class: "pill", testid: "portal-state" }, this.info ? t("settings.portalOn") : t("settings.portalOff")),
      button(this.info ? t("settings.portalStop") : t("settings.portalStart"), { small: true, testid: "portal-toggle", onClick: () => void this.toggle() }),
    );
    const where = this.info
      ? h(
          "div",
          { class: "inv-link" },
          qrImage(this.info.qr_svg, t("settings.portalQrAlt")),
          h("div", null, h("div", { class: "muted small" }, t("settings.portalAddress")), h("div", { class: "mono small break", testid: "portal-base-url" }, this.info.base_url)),
        )
      : null;
    replaceChildren(
      this.el,
      sectionCard(
        t("settings.portal"),
        "globe",
        h("p", { class: "muted small" }, t("settings.portalHint")),
        status,
        where,
        h(
          "div",
          { class: "settings-grid" },
          field(t("settings.portalPort"), port, { optional: true }),
          field(t("settings.portalInterface"), iface),
          field(t("settings.portalPublicUrl"), publicUrl, { optional: true, hint: t("settings.portalPublicUrlHint") }),
        ),
        err,
        h("div", { class: "settings-actions" }, save),
      ),
    );
  }
}
