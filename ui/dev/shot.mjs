// Serves ui/dist on localhost with the in-memory mock backend (dev/mock-tauri.js) and takes
// 1280×800 screenshots with Debian's chromium, plus a smoke run of the e2e flow.
// Usage: npm run build && node dev/shot.mjs [outDir]   (default /tmp/ui-shots)
import { createServer } from "node:http";
import { readFile, mkdir } from "node:fs/promises";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "..", "dist");
const mock = join(here, "mock-tauri.js");
const out = process.argv[2] || "/tmp/ui-shots";
await mkdir(out, { recursive: true });

const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml" };
const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, "") || "index.html";
  if (rel.includes("..")) {
    res.writeHead(400).end();
    return;
  }
  try {
    const body = await readFile(join(dist, rel));
    res.writeHead(200, { "content-type": types[extname(rel)] ?? "application/octet-stream" }).end(body);
  } catch {
    res.writeHead(404).end("not found");
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}/index.html`;

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
});

const problems = [];
async function page(query = "") {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, locale: "fr-FR", timezoneId: "Europe/Paris" });
  await ctx.addInitScript({ path: mock });
  const p = await ctx.newPage();
  p.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  p.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  await p.goto(base + query);
  return p;
}
async function noHScroll(p, name) {
  const w = await p.evaluate(() => {
    const m = document.querySelector("main") || document.scrollingElement;
    return { doc: document.documentElement.scrollWidth, main: m.scrollWidth, client: m.clientWidth };
  });
  if (w.doc > 1280 || w.main > w.client + 1) problems.push(`${name}: horizontal overflow ${JSON.stringify(w)}`);
}
async function shot(p, name) {
  await p.waitForTimeout(250);
  await noHScroll(p, name);
  await p.screenshot({ path: join(out, `${name}.png`) });
  console.log(`shot ${name}.png`);
}
const tid = (id) => `[data-testid="${id}"]`;
/** Types a date into a date control's text field ("21/12/2026 14:30") and leaves it. */
const fillDate = async (p, id, wall) => {
  const [d, t] = wall.split("T");
  const [y, m, day] = d.split("-");
  await p.fill(tid(`${id}-text`), `${day}/${m}/${y}${t ? ` ${t}` : ""}`);
  await p.press(tid(`${id}-text`), "Enter");
};

// 1. list
let p = await page();
await p.waitForSelector(tid("event-row"));
await shot(p, "01-list");

// 2. editor, general tab
await p.locator(tid("event-row")).filter({ hasText: "Forum des métiers" }).locator(".row-title").click();
await p.waitForSelector(tid("f-title"));
await shot(p, "02-editor-general");
await p.click(tid("tab-speakers"));
await shot(p, "02b-editor-speakers");
await p.click(tid("tab-sessions"));
await shot(p, "02c-editor-sessions");
// 3. seating
await p.click(tid("tab-seating"));
await p.waitForSelector(tid("seat"));
await p.click(`${tid("seat")}[data-label="C5"]`);
await shot(p, "03-seating");
await p.locator(tid("plan-card")).nth(1).scrollIntoViewIfNeeded();
await shot(p, "03b-seating-tables");
await p.click(tid("tab-custom"));
await shot(p, "03c-custom");
// server panel
await p.click(tid("server-badge"));
await shot(p, "05-server-panel");
await p.keyboard.press("Escape");
if (await p.locator("dialog[open]").count()) problems.push("Escape did not close the server panel");
// language switch keeps the draft
await p.click(tid("tab-general"));
await p.fill(tid("f-title"), "Forum (brouillon non enregistré)");
await p.click('button[lang="en"]');
await p.waitForTimeout(200);
if ((await p.inputValue(tid("f-title"))) !== "Forum (brouillon non enregistré)") problems.push("language switch lost the draft");
if (!(await p.textContent(tid("tab-general")))?.includes("General")) problems.push("tabs not translated");
await p.click('button[lang="fr"]');
// keyboard: Tab to the first seat of the plan, arrows, Space toggles
await p.click(tid("tab-seating"));
await p.focus(`${tid("seat")}[data-label="A1"]`);
await p.keyboard.press("ArrowRight");
await p.keyboard.press("ArrowDown");
await p.keyboard.press("Space");
if ((await p.getAttribute(`${tid("seat")}[data-label="B2"]`, "aria-pressed")) !== "true") problems.push("keyboard seat toggle failed");
await shot(p, "03d-seating-keyboard");
await p.close();

// 4. setup screen (engine missing)
p = await page("?scenario=missing");
await p.waitForSelector(tid("setup-error"));
await shot(p, "04-setup-missing");
await p.close();

p = await page("?scenario=connecting");
await shot(p, "06-splash");
await p.close();

// empty state, then the e2e-like flow
p = await page("?empty=1");
await p.waitForSelector(tid("seed-demo"));
await shot(p, "07-empty");
await p.click(tid("new-event"));
await p.fill(tid("f-title"), "Conférence Éco-conception 2027");
await fillDate(p, "f-starts", "2027-06-10T09:00");
await fillDate(p, "f-ends", "2027-06-10T18:00");
await p.selectOption(tid("f-timezone"), "Europe/Paris");
await p.fill(tid("f-venue-name"), "Cité des sciences");
await p.fill(tid("f-venue-address"), "30 avenue Corentin Cariou, Paris");
await p.click(tid("tab-speakers"));
await p.click(tid("add-speaker"));
await p.fill(tid("speaker-name"), "Jeanne Martin");
await p.fill(tid("speaker-title"), "Architecte, GreenIT");
await p.click(tid("tab-sessions"));
await p.click(tid("add-session"));
await p.fill(tid("session-title"), "Mesurer l'empreinte d'un service");
await p.fill(tid("session-room"), "Amphi A");
await p.check(tid("session-speaker"));
const sessStart = await p.inputValue(tid("session-starts"));
if (sessStart !== "2027-06-10T09:00") problems.push(`new session starts at ${sessStart}`);
await p.click(tid("tab-seating"));
await p.click(tid("add-plan"));
await p.fill(tid("plan-room"), "Amphi A");
await p.fill(tid("plan-rows"), "6");
await p.fill(tid("plan-seats"), "10");
await p.waitForTimeout(250);
await p.click(`${tid("seat")}[data-label="A1"]`);
await p.click(tid("save-event"));
await p.waitForSelector(tid("toast"));
const toastText = await p.textContent(tid("toast"));
console.log("toast after create:", toastText);
const seatCount = await p.locator(tid("seat")).count();
if (seatCount !== 60) problems.push(`expected 60 seats, got ${seatCount}`);
const meta = await p.textContent(tid("version-info"));
if (!/1/.test(meta ?? "")) problems.push(`version info: ${meta}`);
// validation error: session outside the event
await p.click(tid("tab-sessions"));
await fillDate(p, "session-starts", "2027-06-11T09:00");
await fillDate(p, "session-ends", "2027-06-11T10:00");
await p.click(tid("tab-general"));
await p.click(tid("save-event"));
await p.waitForSelector(tid("field-error"));
await shot(p, "08-validation-error");
const errCount = await p.locator(tid("field-error")).count();
console.log("field errors shown:", errCount, "tab:", await p.getAttribute('[role="tab"][aria-selected="true"]', "data-testid"));
await fillDate(p, "session-starts", "2027-06-10T14:00");
await fillDate(p, "session-ends", "2027-06-10T15:00");
await p.click(tid("save-event"));
await p.waitForTimeout(300);
// conflict
await p.evaluate(() => {
  for (const id of window.__mock.events.keys()) window.__mock.bump(id);
});
await p.click(tid("tab-general"));
await p.fill(tid("f-title"), "Conférence Éco-conception 2027 (v2)");
await p.click(tid("save-event"));
await p.waitForSelector(tid("conflict-banner"));
await shot(p, "09-conflict");
await p.click(tid("conflict-reload"));
await p.waitForTimeout(300);
await p.click(tid("nav-events"));
await p.waitForSelector(tid("event-row"));
const rows = await p.locator(tid("event-row")).allTextContents();
if (!rows.some((r) => r.includes("Éco-conception"))) problems.push("new event missing from list");
// search (accent-insensitive, debounced)
await p.fill(tid("search"), "eco");
await p.waitForTimeout(500);
console.log("rows for 'eco':", await p.locator(tid("event-row")).count());
await p.fill(tid("search"), "");
await p.waitForTimeout(400);
// delete via confirm dialog
await p.locator(tid("event-row")).first().locator(tid("row-delete")).click();
await shot(p, "10-delete-confirm");
await p.keyboard.press("Escape");
await p.close();

// end before start: caught client-side, next to the field, nothing sent
p = await page();
await p.waitForSelector(tid("event-row"));
const before = await p.locator(tid("event-row")).count();
await p.click(tid("new-event"));
await p.fill(tid("f-title"), "Dates à l'envers");
await fillDate(p, "f-starts", "2027-05-02T18:00");
await fillDate(p, "f-ends", "2027-05-02T09:00");
await p.click(tid("save-event"));
await p.waitForSelector(tid("field-error"));
await shot(p, "12-end-before-start");
p.on("dialog", (d) => d.accept());
await p.click(tid("nav-events"));
await p.click(tid("confirm-ok"));
await p.waitForSelector(tid("event-row"));
if ((await p.locator(tid("event-row")).count()) !== before) problems.push("an invalid event was written");
await p.close();

// English
p = await page("?lang=en");
await p.waitForSelector(tid("event-row"));
await shot(p, "11-list-en");
await p.close();

await browser.close();
server.close();
if (problems.length) {
  console.log("PROBLEMS:\n" + problems.map((x) => "  - " + x).join("\n"));
  process.exitCode = 1;
} else {
  console.log("no problems");
}
