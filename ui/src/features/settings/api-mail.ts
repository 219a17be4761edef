// SMTP settings and the test message (commands in src-tauri/src/commands/mail.rs).
import { invokeCommand as invoke, type Language } from "../../shared/api.js";

// Types generated from the Rust types (ts-rs, `cargo test` refreshes ui/src/gen/).
import type { MailRendered as Rendered } from "../../gen/MailRendered.js";
import type { MailSettingsView } from "../../gen/MailSettingsView.js";
import type { MailTemplate as Template } from "../../gen/MailTemplate.js";
import type { SmtpSettings } from "../../gen/SmtpSettings.js";
export type { SmtpSecurity as Security } from "../../gen/SmtpSecurity.js";
export type { SmtpSettings } from "../../gen/SmtpSettings.js";
/** The saved settings and where the password is: the OS keychain, this session's memory only, or nowhere. */
export type { MailSettingsView } from "../../gen/MailSettingsView.js";
export type { MailTemplate as Template } from "../../gen/MailTemplate.js";
export type { MailRendered as Rendered } from "../../gen/MailRendered.js";

export const mailApi = {
  get: () => invoke<MailSettingsView>("mail_settings_get"),
  save: (settings: SmtpSettings, password: string | null) =>
    invoke<MailSettingsView>("mail_settings_save", { settings, password }),
  testSend: (to: string, lang: Language) => invoke<null>("mail_test_send", { to, lang }),
};

export const templateApi = {
  get: (lang: Language) => invoke<Template>("mail_template_get", { lang }),
  save: (lang: Language, template: Template) => invoke<Rendered>("mail_template_save", { lang, template }),
  reset: (lang: Language) => invoke<Template>("mail_template_reset", { lang }),
};
