// Settings: SMTP for invitations (password in the OS keychain), with a test message.

import { toApiError, type ApiError } from "../api.js";
import { mailApi, type MailSettingsView, type Security, type SmtpSettings } from "../api-mail.js";
import { h, replaceChildren } from "../dom.js";
import { getLang, t, type MsgKey } from "../i18n.js";
import { button, field, sectionCard, toast, toastError } from "../ui.js";
import type { View } from "../main.js";

const SECURITIES: Security[] = ["start_tls", "tls", "none"];

export class SettingsView implements View {
  el = h("div", { class: "page settings-page" });
  navId = "nav-settings";
  private view: MailSettingsView | null = null;

  constructor() {
    this.rerender();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.view = await mailApi.get();
      this.rerender();
    } catch (e) {
      toastError(toApiError(e));
    }
  }

  rerender(): void {
    const s: SmtpSettings = this.view?.settings ?? {
      host: "",
      port: 587,
      security: "start_tls",
      username: "",
      from_email: "",
      from_name: "",
    };
    const input = (name: string, value: string | number, type = "text", testid?: string) =>
      h("input", { class: "input", name, type, value: String(value), testid, autocomplete: "off", spellcheck: "false" });
    const host = input("host", s.host, "text", "smtp-host");
    const port = input("port", s.port, "number", "smtp-port");
    port.min = "1";
    port.max = "65535";
    const security = h(
      "select",
      { class: "input", name: "security", testid: "smtp-security" },
      ...SECURITIES.map((x) => h("option", { value: x, selected: x === s.security }, t(`settings.sec.${x}` as MsgKey))),
    );
    const username = input("username", s.username, "text", "smtp-username");
    const password = input("password", "", "password", "smtp-password");
    const pwState = this.view?.password ?? "none";
    const pwHint = pwState === "keychain" ? t("settings.passwordKeychain") : pwState === "session" ? t("settings.passwordSession") : t("settings.passwordNone");
    const fromEmail = input("from_email", s.from_email, "email", "smtp-from-email");
    const fromName = input("from_name", s.from_name, "text", "smtp-from-name");
    const controls: Record<string, HTMLElement> = { host, port, security, username, password, from_email: fromEmail, from_name: fromName };
    const errors = h("div", { class: "field-error", role: "alert", testid: "field-error", hidden: true });

    const showError = (e: ApiError) => {
      for (const c of Object.values(controls)) c.classList.remove("invalid");
      const target = e.field ? controls[e.field] : undefined;
      if (target) {
        target.classList.add("invalid");
        target.focus();
      }
      errors.hidden = false;
      errors.textContent = e.message;
      toastError(e);
    };

    const save = button(t("common.save"), {
      kind: "primary",
      icon: "save",
      testid: "smtp-save",
      onClick: () => {
        errors.hidden = true;
        const settings: SmtpSettings = {
          host: host.value,
          port: Number(port.value) || 0,
          security: security.value as Security,
          username: username.value,
          from_email: fromEmail.value,
          from_name: fromName.value,
        };
        void mailApi
          .save(settings, password.value || null)
          .then((v) => {
            this.view = v;
            toast(t("settings.saved"), "success");
            this.rerender();
          })
          .catch((e) => showError(toApiError(e)));
      },
    });

    const testTo = input("test_to", "", "email", "smtp-test-to");
    const testBtn = button(t("settings.testSend"), {
      icon: "check",
      testid: "smtp-test",
      onClick: () => {
        testBtn.disabled = true;
        void mailApi
          .testSend(testTo.value, getLang())
          .then(() => toast(t("settings.testSent", { to: testTo.value }), "success"))
          .catch((e) => showError(toApiError(e)))
          .finally(() => (testBtn.disabled = false));
      },
    });

    replaceChildren(
      this.el,
      h("div", { class: "page-head" }, h("div", null, h("h1", { class: "page-title" }, t("settings.title")), h("p", { class: "page-sub" }, t("settings.subtitle")))),
      sectionCard(
        t("settings.smtp"),
        "globe",
        h("p", { class: "muted small" }, t("settings.smtpHint")),
        h(
          "div",
          { class: "settings-grid" },
          field(t("settings.host"), host),
          field(t("settings.port"), port),
          field(t("settings.security"), security),
          field(t("settings.username"), username, { optional: true }),
          field(t("settings.password"), password, { hint: pwHint, optional: true }),
          field(t("settings.fromEmail"), fromEmail),
          field(t("settings.fromName"), fromName, { optional: true }),
        ),
        errors,
        h("div", { class: "settings-actions" }, save),
        h("div", { class: "settings-test" }, field(t("settings.testTo"), testTo), testBtn),
      ),
    );
  }
}
