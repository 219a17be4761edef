// The server badge text and the panel it opens.

import { api, toApiError, type Capabilities, type DbStatus, type Settings } from "../../shared/api.js";
import { h, icon } from "../../shared/dom.js";
import { t, type MsgKey } from "../../shared/i18n.js";
import { button, openDialog, toastError } from "../../shared/ui.js";
import { connectForm } from "./setup.js";

function sourceLabel(s: DbStatus): string {
  switch (s.source) {
    case "local":
      return t("server.source.local");
    case "settings":
      return t("server.source.settings");
    case "env":
      return t("server.source.env");
    default:
      return "";
  }
}

/** "SecantusDB 0.5.3 · local" */
export function serverBadgeText(s: DbStatus): string {
  // The embedded engine starting is said as such; a remote server is being reached.
  if (s.state === "connecting") return t(s.source === "local" ? "server.starting" : "server.connecting");
  if (s.state === "failed" || !s.server) return t("server.failed");
  const src = s.source === "local" ? t("server.source.local") : s.server.replica_set ? s.server.replica_set : s.server.database;
  return `${s.server.engine} ${s.server.version} · ${src}`;
}

/** Names, in the interface's language, of the backend's `missing` entries. */
function missingLabel(m: string): string {
  const known: Record<string, MsgKey> = {
    text_search: "server.cap.text_search",
    text: "server.cap.text_search",
    $text: "server.cap.text_search",
    hashed_index: "server.cap.hashed_index",
    hashed: "server.cap.hashed_index",
    "hashed indexes": "server.cap.hashed_index",
    change_streams: "server.cap.change_streams",
    "change streams": "server.cap.change_streams",
    transactions: "server.cap.transactions",
  };
  return known[m] ? t(known[m]) : m;
}

export function openServerPanel(s: DbStatus, settings: Settings, onStatus: (s: DbStatus) => void): void {
  void openDialog((close) => {
    const body: Node[] = [];
    const srv = s.server;
    const rows: [string, Node | string][] = [];
    if (srv) {
      rows.push([t("server.engine"), `${srv.engine} ${srv.version}`]);
      rows.push([t("server.uri"), h("code", { class: "wrap" }, srv.uri)]);
      rows.push([t("server.database"), h("code", null, srv.database)]);
      rows.push([t("server.replicaSet"), srv.replica_set ? h("code", null, srv.replica_set) : t("server.noReplicaSet")]);
    }
    rows.push([t("server.source"), sourceLabel(s) || t("common.none")]);
    if (s.engine) {
      rows.push([t("server.localEngine"), h("code", { class: "wrap" }, `${s.engine.kind} · ${s.engine.path}`)]);
      rows.push([t("server.dataDir"), h("code", { class: "wrap" }, s.engine.data_dir)]);
    }
    body.push(h("dl", { class: "kv" }, ...rows.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)])));

    // The engine's features are a technical detail: folded here, shown in Advanced.
    if (srv) body.push(h("details", { class: "engine-details" }, h("summary", null, t("server.technical")), ...engineDetails(s)));

    const formHost = h("div", { class: "panel-connect" });
    const other = button(t("server.switchRemote"), { icon: "globe", kind: "ghost" });
    other.addEventListener("click", () => {
      other.remove();
      formHost.appendChild(
        connectForm(
          (st) => {
            close();
            onStatus(st);
          },
          { autofocus: true },
        ),
      );
      formHost.querySelector("input")?.focus();
    });
    const actions: Node[] = [other];
    if (s.source !== "local") {
      const local = button(t("server.useLocal"), { icon: "database", kind: "ghost" });
      local.addEventListener("click", async () => {
        local.disabled = true;
        try {
          const st = await api.dbUseLocal();
          close();
          onStatus(st);
        } catch (e) {
          toastError(toApiError(e));
          local.disabled = false;
        }
      });
      actions.push(local);
    }
    if (settings.saved_uri && s.source !== "settings") {
      body.push(h("p", { class: "small muted mono wrap" }, t("setup.savedUri", { uri: settings.saved_uri })));
    }
    body.push(h("div", { class: "panel-actions" }, ...actions), formHost);
    return { title: t("server.title"), body: [h("div", { class: "dialog-body" }, ...body)], className: "dialog-wide" };
  });
}

/** What the connected server can do (features, what is missing, how search works). */
export function engineDetails(s: DbStatus): Node[] {
  const srv = s.server;
  if (!srv) return [];
  const body: Node[] = [];
  const caps = Object.keys(srv.capabilities) as (keyof Capabilities)[];
  body.push(
    h("h3", { class: "panel-sub" }, t("server.capabilities")),
    h(
      "ul",
      { class: "caps" },
      ...caps.map((c) =>
        h(
          "li",
          { class: srv.capabilities[c] ? "cap on" : "cap off" },
          icon(srv.capabilities[c] ? "check" : "close", 14),
          h("span", null, t(`server.cap.${c}` as MsgKey)),
          h("span", { class: "sr-only" }, ` (${srv.capabilities[c] ? t("server.available") : t("server.unavailable")})`),
        ),
      ),
    ),
  );
  if (srv.missing.length) {
    body.push(h("p", { class: "missing", testid: "server-missing" }, t("server.missing", { list: srv.missing.map(missingLabel).join(", ") })));
  }
  body.push(h("div", { class: "alert alert-info" }, icon("search", 18), h("div", null, srv.capabilities.text_search ? t("server.searchText") : t("server.searchTerms"))));
  return body;
}
