// Start-up screens: the splash while the database starts, and the setup screen when it can't.

import { api, toApiError, type DbStatus, type Settings } from "../../shared/api.js";
import { h, icon, nextId } from "../../shared/dom.js";
import { t } from "../../shared/i18n.js";
import { button, toastError } from "../../shared/ui.js";

export function renderSplash(s: DbStatus, langSwitch: HTMLElement): HTMLElement {
  const remote = s.source === "settings" || s.source === "env";
  return h(
    "div",
    { class: "screen splash", role: "status", "aria-live": "polite" },
    h("div", { class: "screen-corner" }, langSwitch),
    h(
      "div",
      { class: "splash-box" },
      h("div", { class: "brand-mark big", "aria-hidden": "true" }, icon("calendar", 30)),
      h("div", { class: "brand-name big" }, t("app.name")),
      h("div", { class: "spinner", "aria-hidden": "true" }),
      h("p", { class: "splash-text" }, remote ? t("splash.connectingRemote") : t("splash.connecting")),
      h("p", { class: "muted small" }, t("splash.hint")),
    ),
  );
}

/** The Atlas / MongoDB URI form (used by the setup screen and the server panel). */
export function connectForm(onStatus: (s: DbStatus) => void, opts: { autofocus?: boolean } = {}): HTMLFormElement {
  const uriId = nextId("uri");
  const errId = nextId("err");
  const uri = h("input", {
    id: uriId,
    type: "password",
    class: "input mono",
    name: "uri",
    placeholder: t("setup.uriPlaceholder"),
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    autofocus: opts.autofocus ? true : undefined,
    testid: "db-uri",
  });
  const reveal = h("button", { type: "button", class: "icon-btn input-addon", "aria-label": t("setup.showUri"), title: t("setup.showUri"), "aria-pressed": "false" }, icon("eye"));
  reveal.addEventListener("click", () => {
    const show = uri.type === "password";
    uri.type = show ? "text" : "password";
    reveal.setAttribute("aria-pressed", String(show));
    const label = show ? t("setup.hideUri") : t("setup.showUri");
    reveal.setAttribute("aria-label", label);
    reveal.title = label;
    reveal.replaceChildren(icon(show ? "eyeOff" : "eye"));
  });
  const remember = h("input", { type: "checkbox", id: nextId("rem"), checked: true, testid: "db-remember" });
  const err = h("div", { class: "field-error", id: errId, testid: "field-error", hidden: true });
  const submit = h("button", { type: "submit", class: "btn btn-primary", testid: "db-connect" }, icon("globe", 16), h("span", null, t("setup.connect")));

  const form = h(
    "form",
    { class: "connect-form", novalidate: true },
    h("label", { class: "field-label", for: uriId }, t("setup.uri")),
    h("div", { class: "input-group" }, uri, reveal),
    err,
    h("label", { class: "check" }, remember, h("span", null, t("setup.remember"))),
    h("div", { class: "form-actions" }, submit),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const value = uri.value.trim();
    if (!/^mongodb(\+srv)?:\/\/\S+/.test(value)) {
      err.textContent = t("setup.uriRequired");
      err.hidden = false;
      uri.classList.add("invalid");
      uri.setAttribute("aria-invalid", "true");
      uri.setAttribute("aria-describedby", errId);
      uri.focus();
      return;
    }
    err.hidden = true;
    uri.classList.remove("invalid");
    uri.removeAttribute("aria-invalid");
    submit.disabled = true;
    submit.querySelector("span")!.textContent = t("setup.connecting");
    try {
      onStatus(await api.dbConnect(value, remember.checked));
    } catch (e) {
      const ae = toApiError(e);
      err.textContent = ae.message;
      err.hidden = false;
      uri.classList.add("invalid");
      uri.setAttribute("aria-describedby", errId);
      toastError(ae);
    } finally {
      if (submit.isConnected) {
        submit.disabled = false;
        submit.querySelector("span")!.textContent = t("setup.connect");
      }
    }
  });
  return form;
}

export function renderSetup(s: DbStatus, settings: Settings, langSwitch: HTMLElement, onStatus: (s: DbStatus) => void): HTMLElement {
  const code = s.error?.code;
  const title = code === "engine_missing" ? t("setup.missingTitle") : t("setup.unavailableTitle");

  const retry = button(t("setup.retryLocal"), { icon: "refresh", testid: "retry-local" });
  retry.addEventListener("click", async () => {
    retry.disabled = true;
    try {
      onStatus(await api.dbUseLocal());
    } catch (e) {
      toastError(toApiError(e));
    } finally {
      retry.disabled = false;
    }
  });

  return h(
    "div",
    { class: "screen setup" },
    h("div", { class: "screen-corner" }, langSwitch),
    h(
      "div",
      { class: "setup-box" },
      h(
        "div",
        { class: "setup-head" },
        h("div", { class: "brand-mark", "aria-hidden": "true" }, icon("calendar", 20)),
        h("div", { class: "brand-name" }, t("app.name")),
      ),
      h("h1", { class: "setup-title" }, t("setup.title")),
      h("p", { class: "muted" }, t("setup.intro")),
      h(
        "div",
        { class: "alert alert-warn", role: "alert", testid: "setup-error" },
        icon("alert", 20),
        h("div", null, h("strong", null, title), s.error?.message ? h("div", { class: "alert-detail" }, s.error.message) : null),
      ),
      h(
        "div",
        { class: "setup-grid" },
        h(
          "section",
          { class: "card" },
          h("h2", { class: "card-title" }, icon("database", 18), t("setup.installTitle")),
          h("p", { class: "muted" }, t("setup.installText")),
          h(
            "ul",
            { class: "setup-list" },
            h("li", null, h("code", null, "mongod"), " — MongoDB Community Server 7 or 8"),
            h("li", null, h("code", null, "secantusd-rs"), " — SecantusDB (cargo install secantus-mdb)"),
          ),
          h("div", { class: "form-actions" }, retry),
        ),
        h(
          "section",
          { class: "card" },
          h("h2", { class: "card-title" }, icon("globe", 18), t("setup.remoteTitle")),
          h("p", { class: "muted" }, t("setup.remoteText")),
          settings.saved_uri ? h("p", { class: "small muted mono wrap" }, t("setup.savedUri", { uri: settings.saved_uri })) : null,
          connectForm(onStatus),
        ),
      ),
    ),
  );
}

export function renderNoTauri(): HTMLElement {
  return h(
    "div",
    { class: "screen setup" },
    h("div", { class: "setup-box" }, h("div", { class: "alert alert-warn", role: "alert" }, icon("alert", 20), h("div", null, t("setup.noTauri")))),
  );
}
