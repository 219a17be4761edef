// SMTP settings and the test message (commands in src-tauri/src/commands/mail.rs).
import { invokeCommand as invoke, type Language } from "../../shared/api.js";

export type Security = "none" | "start_tls" | "tls";

export interface SmtpSettings {
  host: string;
  port: number;
  security: Security;
  username: string;
  from_email: string;
  from_name: string;
}

export interface MailSettingsView {
  settings: SmtpSettings | null;
  /** Where the password is: the OS keychain, this session's memory only, or nowhere. */
  password: "keychain" | "session" | "none";
}

export const mailApi = {
  get: () => invoke<MailSettingsView>("mail_settings_get"),
  save: (settings: SmtpSettings, password: string | null) =>
    invoke<MailSettingsView>("mail_settings_save", { settings, password }),
  testSend: (to: string, lang: Language) => invoke<null>("mail_test_send", { to, lang }),
};

export interface Template {
  subject: string;
  body: string;
}

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

export const templateApi = {
  get: (lang: Language) => invoke<Template>("mail_template_get", { lang }),
  save: (lang: Language, template: Template) => invoke<Rendered>("mail_template_save", { lang, template }),
  reset: (lang: Language) => invoke<Template>("mail_template_reset", { lang }),
};
