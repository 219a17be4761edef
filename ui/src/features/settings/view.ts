// Settings: SMTP for invitations (password in the OS keychain), with a test message.

import { api, toApiError, type ApiError } from "../../shared/api.js";
import { mailApi, templateApi, type MailSettingsView, type Rendered, type Security, type SmtpSettings, type Template } from "./api-mail.js";
import type { Language } from "../../shared/api.js";
import { h, replaceChildren } from "../../shared/dom.js";
import { getLang, t, type MsgKey } from "../../shared/i18n.js";
import { button, errorText, field, sectionCard, toast, toastError } from "../../shared/ui.js";
import { backupCard } from "../recover/view.js";
import type { View } from "../../main.js";
import { PortalSettings } from "./portal.js";

const SECURITIES: Security[] = ["start_tls", "tls", "none"];

export class SettingsView implements View {
  el = h("div", { class: "page settings-page" });
  navId = "nav-settings";
  private view: MailSettingsView | null = null;
  private tplLang: Language = getLang();
  private tpl: Template | null = null;
  private preview: Rendered | null = null;
  private portal = new PortalSettings();

  constructor() {
    this.rerender();
    void this.load();
  }

  private async loadTemplate(): Promise<void> {
    try {
      this.tpl = await templateApi.get(this.tplLang);
      this.preview = null;
    } catch (e) {
      toastError(toApiError(e));
    }
    this.rerender();
  }

  private templateCard(): HTMLElement {
    const lang = h(
      "select",
      { class: "input", testid: "tpl-lang" },
      h("option", { value: "fr", selected: this.tplLang === "fr" }, "Français"),
      h("option", { value: "en", selected: this.tplLang === "en" }, "English"),
    );
    lang.addEventListener("change", () => {
      this.tplLang = lang.value as Language;
      void this.loadTemplate();
    });
    const subject = h("input", { class: "input", testid: "tpl-subject", value: this.tpl?.subject ?? "" });
    const body = h("textarea", { class: "input tpl-body", rows: 9, testid: "tpl-body" });
    body.value = this.tpl?.body ?? "";
    const err = h("div", { class: "field-error", role: "alert", testid: "tpl-error", hidden: true });
    const save = button(t("settings.templateSave"), {
      kind: "primary",
      icon: "save",
      testid: "tpl-save",
      onClick: () => {
        err.hidden = true;
        const next = { subject: subject.value, body: body.value };
        void templateApi
          .save(this.tplLang, next)
          .then((r) => {
            this.tpl = next;
            this.preview = r;
            toast(t("settings.templateSaved"), "success");
            this.rerender();
          })
          .catch((e) => {
            const ae = toApiError(e);
            err.hidden = false;
            err.textContent = errorText(ae);
            (ae.field === "subject" ? subject : body).classList.add("invalid");
          });
      },
    });
    const reset = button(t("settings.templateReset"), {
      small: true,
      testid: "tpl-reset",
      onClick: () =>
        void templateApi
          .reset(this.tplLang)
          .then((tpl) => {
            this.tpl = tpl;
            this.preview = null;
            this.rerender();
          })
          .catch((e) => toastError(toApiError(e))),
    });
    return sectionCard(
      t("settings.template"),
      "edit",
      h("p", { class: "muted small" }, t("settings.templateHint")),
      h("div", { class: "settings-grid" }, field(t("settings.templateLang"), lang), field(t("settings.templateSubject"), subject)),
      field(t("settings.templateBody"), body),
      err,
      h("div", { class: "settings-actions" }, reset, save),
      this.preview
        ? h("div", { class: "tpl-preview", testid: "tpl-preview" }, h("h4", null, t("settings.templatePreview")), h("div", { class: "tpl-subject" }, this.preview.subject), h("pre", null, this.preview.text))
        : null,
    );
  }

  private async load(): Promise<void> {
    if (!this.tpl) void this.loadTemplate();
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
      errors.textContent = errorText(e);
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
      this.templateCard(),
      this.portal.el,
      this.logsCard(),
      backupCard(),
    );
  }

  /** Where the log files are, with a button that opens the folder. */
  private logsCard(): HTMLElement {
    const open = button(t("settings.openLogs"), {
      testid: "open-logs",
      onClick: () => {
        open.disabled = true;
        api
          .settingsOpenLogs()
          .then((path) => toast(t("settings.logsOpened", { path }), "success"))
          .catch((e) => toastError(toApiError(e)))
          .finally(() => (open.disabled = false));
      },
    });
    return sectionCard(t("settings.logs"), "info", h("p", { class: "muted small" }, t("settings.logsHint")), h("div", { class: "settings-actions" }, open));
  }
}
