// The invitations panel shown with an event's participants: the participant portal
// (on/off, addresses), the event's shareable registration link with its QR code, and the
// e-mail campaign with progress and cancel. Also the per-participant personal link dialog.

import { toApiError, type Language } from "../../shared/api.js";
import { mailApi, templateApi } from "../settings/api-mail.js";
import { invitationsApi, qrImage, type InvitationCount, type PortalInfo, type SendProgress } from "./api.js";
import { h, replaceChildren } from "../../shared/dom.js";
import { getLang, t, type MsgKey } from "../../shared/i18n.js";
import { button, openDialog, toast, toastError } from "../../shared/ui.js";

export class InvitationsPanel {
  el = h("section", { class: "card inv-panel", testid: "invitations-panel" });
  private portal: PortalInfo | null = null;
  private counts: InvitationCount[] = [];
  private progress: SendProgress | null = null;
  private sending = false;
  private link: { url: string; qr_svg: string } | null = null;

  /** `onChange` is called when statuses may have changed (after a campaign). */
  constructor(
    readonly eventId: string,
    private onChange: () => void,
  ) {
    this.render();
    void this.refresh();
  }

  async refresh(): Promise<void> {
    try {
      [this.portal, this.counts] = await Promise.all([invitationsApi.portalStatus(), invitationsApi.counts(this.eventId)]);
    } catch (e) {
      toastError(toApiError(e));
    }
    this.render();
  }

  private render(): void {
    const portalBox = h(
      "div",
      { class: "inv-portal" },
      h("div", { class: "inv-row" }, h("strong", null, t("inv.portal")), h("span", { class: `pill ${this.portal ? "pill-on" : "pill-off"}`, testid: "portal-state" }, this.portal ? t("inv.portalOn") : t("inv.portalOff"))),
      this.portal
        ? h("div", { class: "inv-urls mono small", testid: "portal-url" }, [this.portal.local_url, ...this.portal.lan_urls].join("  ·  "))
        : h("p", { class: "muted small" }, t("inv.portalHint")),
      this.portal
        ? button(t("inv.portalStop"), { small: true, testid: "portal-stop", onClick: () => void this.stopPortal() })
        : button(t("inv.portalStart"), { kind: "primary", small: true, icon: "globe", testid: "portal-start", onClick: () => void this.startPortal() }),
    );

    const share = h(
      "div",
      { class: "inv-share" },
      h("strong", null, t("inv.shareLink")),
      this.link
        ? h("div", { class: "inv-link" }, qrImage(this.link.qr_svg, t("inv.qrAlt")), h("div", null, h("div", { class: "mono small break", testid: "share-url" }, this.link.url), button(t("inv.copy"), { small: true, icon: "copy", onClick: () => void this.copy(this.link?.url ?? "") })))
        : button(t("inv.shareMake"), { small: true, icon: "plus", testid: "share-make", onClick: () => void this.makeLink() }),
    );

    const chips = h(
      "div",
      { class: "inv-counts", testid: "invitation-counts" },
      ...this.counts.map((c) => h("span", { class: `chip inv-${c.status}`, "data-status": c.status }, `${t(`inv.status.${c.status}` as MsgKey)} `, h("b", null, String(c.count)))),
    );

    const p = this.progress;
    const bar = p
      ? h(
          "div",
          { class: "inv-progress", role: "status", "aria-live": "polite" },
          h("div", { class: "bar" }, h("div", { class: "bar-fill", style: { width: `${p.total ? Math.round(((p.sent + p.failed) / p.total) * 100) : 100}%` } })),
          h("div", { class: "small", testid: "send-progress" }, t("inv.progress", { sent: p.sent, failed: p.failed, retrying: p.retrying, total: p.total })),
        )
      : null;

    const actions = h(
      "div",
      { class: "inv-actions" },
      this.sending
        ? button(t("inv.cancel"), { kind: "danger", testid: "send-cancel", onClick: () => void invitationsApi.cancel() })
        : [
            button(t("inv.send"), { kind: "primary", icon: "check", testid: "send-invitations", onClick: () => void this.send(false) }),
            button(t("inv.resend"), { small: true, testid: "resend-failed", onClick: () => void this.send(true) }),
          ],
    );

    replaceChildren(this.el, h("h3", { class: "card-title" }, t("inv.title")), h("div", { class: "inv-grid" }, portalBox, share), chips, bar, actions);
  }

  private async startPortal(): Promise<void> {
    try {
      this.portal = await invitationsApi.portalStart(true, null);
    } catch (e) {
      toastError(toApiError(e));
    }
    this.render();
  }

  private async stopPortal(): Promise<void> {
    try {
      await invitationsApi.portalStop();
      this.portal = null;
      this.link = null;
    } catch (e) {
      toastError(toApiError(e));
    }
    this.render();
  }

  private async makeLink(): Promise<void> {
    try {
      this.link = await invitationsApi.eventLink(this.eventId);
    } catch (e) {
      toastError(toApiError(e));
    }
    this.render();
  }

  private async copy(url: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(url);
      toast(t("inv.copied"), "success");
    } catch {
      /* clipboard refused: the URL stays visible and selectable */
    }
  }

  /**
   * Asks first — how many people, in which language, with the template's text in both
   * languages — and checks what a send needs (the portal the links point to, an SMTP
   * server) before anyone is queued, so a refused send leaves no one "to send".
   */
  private async confirmSend(resend: boolean): Promise<boolean> {
    let counts: InvitationCount[];
    let mail;
    try {
      [counts, mail, this.portal] = await Promise.all([invitationsApi.counts(this.eventId), mailApi.get(), invitationsApi.portalStatus()]);
    } catch (e) {
      toastError(toApiError(e));
      return false;
    }
    if (!this.portal) {
      toastError({ code: "validation", message: "", reason: "portal_not_running" });
      this.render();
      return false;
    }
    if (!mail.settings) {
      toastError({ code: "validation", message: "", reason: "smtp_not_configured" });
      return false;
    }
    const wanted = resend ? ["none", "failed", "sent", "opened"] : ["none"];
    const n = counts.filter((c) => wanted.includes(c.status)).reduce((a, c) => a + c.count, 0);
    if (n === 0) {
      toast(t("inv.nothing"), "info");
      return false;
    }
    const langs: Language[] = getLang() === "en" ? ["en", "fr"] : ["fr", "en"];
    const templates = await Promise.all(langs.map((l) => templateApi.get(l).catch(() => null)));
    const preview = h(
      "div",
      { class: "inv-preview", testid: "send-preview" },
      ...langs.map((l, i) => {
        const tpl = templates[i];
        return tpl
          ? h("details", { class: "inv-preview-lang", open: i === 0, "data-lang": l }, h("summary", null, t(l === "fr" ? "lang.frLong" : "lang.enLong")), h("div", { class: "small" }, h("strong", null, `${t("inv.previewSubject")} : `), tpl.subject), h("pre", { class: "inv-preview-body" }, tpl.body))
          : null;
      }),
    );
    const r = await openDialog((close) => {
      const ok = h("button", { type: "button", class: "btn btn-primary", testid: "send-confirm" }, t("inv.confirmSend", { n }));
      const cancel = h("button", { type: "button", class: "btn", testid: "send-cancel-confirm", autofocus: true }, t("common.cancel"));
      ok.addEventListener("click", () => close("ok"));
      cancel.addEventListener("click", () => close("cancel"));
      return {
        title: t("inv.confirmTitle"),
        className: "send-dialog",
        body: [
          h(
            "div",
            { class: "dialog-body" },
            h("p", { class: "dialog-text", testid: "send-count", "data-count": String(n) }, t(resend ? "inv.confirmResend" : "inv.confirmText", { n })),
            h("p", { class: "muted small" }, t("inv.confirmLang", { lang: t(getLang() === "fr" ? "lang.frLong" : "lang.enLong") })),
            preview,
          ),
          h("footer", { class: "dialog-foot" }, cancel, ok),
        ],
      };
    });
    return r === "ok";
  }

  private async send(resend: boolean): Promise<void> {
    if (!(await this.confirmSend(resend))) return;
    try {
      await invitationsApi.queue(this.eventId, null, resend);
      this.sending = true;
      this.progress = null;
      this.render();
      const done = await invitationsApi.send(this.eventId, getLang(), (p) => {
        this.progress = p;
        this.render();
      });
      this.progress = done;
      if (done.total === 0) toast(t("inv.nothing"), "info");
      else if (done.cancelled) toast(t("inv.stopped", { sent: done.sent }), "info");
      else toast(t("inv.done", { sent: done.sent, failed: done.failed }), done.failed ? "error" : "success");
    } catch (e) {
      toastError(toApiError(e));
    } finally {
      this.sending = false;
      await this.refresh();
      this.onChange();
    }
  }
}

/** The dialog with a participant's new personal link and its QR code. */
export async function openPersonalLink(participantId: string, name: string): Promise<void> {
  try {
    const link = await invitationsApi.participantLink(participantId);
    const body = h(
      "div",
      { class: "inv-link" },
      qrImage(link.qr_svg, t("inv.qrAlt")),
      h("div", null, h("div", { class: "mono small break", testid: "personal-url" }, link.url), h("p", { class: "muted small" }, t("inv.personalHint"))),
    );
    await openDialog(() => ({ title: `${t("inv.personalLink")} — ${name}`, body: [h("div", { class: "dialog-body" }, body)] }));
  } catch (e) {
    toastError(toApiError(e));
  }
}
