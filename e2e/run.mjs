// End-to-end tests of the real EventHub window: tauri-driver + WebKitWebDriver under Xvfb.
//   node e2e/run.mjs /abs/path/to/eventhub /abs/path/to/eventhub-cli
// Tests live in e2e/tests/*.mjs (run in name order, in one app session); each exports
// `default async function (ctx)` and uses ctx.test(name, fn) for each case.
// Needs MONGODB_URI (scripts/test.sh starts an engine and sets it). Each run uses a fresh
// database, checked afterwards through the CLI (the same core, no UI involved).
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { remote } from 'webdriverio';

const [app, cli] = process.argv.slice(2);
if (!app || !cli || !process.env.MONGODB_URI) {
  console.error('usage: MONGODB_URI=… node e2e/run.mjs APP_BINARY CLI_BINARY');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
// Everything temporary of this run (engines' data, the app's data folder, exported files,
// test files) goes under one folder, removed at the end: TMPDIR is read by os.tmpdir() here
// and inherited by every process the run starts.
const scratch = mkdtempSync(join(tmpdir(), 'eventhub-e2e-run-'));
process.env.TMPDIR = scratch;
const shots = join(here, 'shots');
mkdirSync(shots, { recursive: true });
const db = `e2e_${Date.now().toString(36)}`;
const env = {
  ...process.env,
  EVENTHUB_DB: db,
  EVENTHUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'eventhub-e2e-')),
  EVENTHUB_ACTOR: 'e2e@test',
  // The Index lab's report export writes here instead of opening a save dialog.
  // The automatic sync looks at the remote every 2 s instead of 30 s.
  EVENTHUB_SYNC_AUTO_SECS: '2',
  EVENTHUB_E2E_SAVE_DIR: mkdtempSync(join(tmpdir(), 'eventhub-e2e-save-')),
  // The participants import reads this file instead of opening the native file dialog.
  EVENTHUB_E2E_OPEN_FILE: join(here, '..', 'tests', 'fixtures', 'csv', 'e2e_invites.csv'),
  // The social import reads this file instead of opening the native file dialog, and share
  // addresses are written to EVENTHUB_E2E_OPEN_LOG instead of opening a browser.
  EVENTHUB_E2E_SOCIAL_FILE: join(here, '..', 'crates', 'core', 'tests', 'fixtures', 'social', 'posts.csv'),
  EVENTHUB_E2E_OPEN_LOG: join(mkdtempSync(join(tmpdir(), 'eventhub-e2e-open-')), 'opened.txt'),
};

// E2E_DRIVER_PORT lets several runs share a machine (the native driver takes the next port).
const driverPort = Number(process.env.E2E_DRIVER_PORT || 4444);
const driver = spawn('tauri-driver', ['--port', String(driverPort), '--native-port', String(driverPort + 1)], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
await new Promise((r) => setTimeout(r, 1500));

function cliJson(...args) {
  const out = execFileSync(cli, ['--db', db, '--json', ...args], { env, encoding: 'utf8' });
  return JSON.parse(out);
}

const results = [];
async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL ${name}\n     ${e && e.stack ? e.stack : e}`);
    try { await browser.saveScreenshot(join(shots, `failure-${results.length}.png`)); } catch {}
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

const $id = (id) => browser.$(`[data-testid="${id}"]`);
/** textContent of every element with a test id (WebKitWebDriver's getText is unreliable on table rows). */
const texts = (id) => browser.execute(
  (sel) => [...document.querySelectorAll(sel)].map((e) => e.textContent || ''),
  `[data-testid="${id}"]`,
);
/** The total of one series (dataset `series`) of the Chart.js chart in the element with
 *  test id `id`, as drawn; -1 while there is no chart. */
const chartSum = (id, series) => browser.execute((sel, i) => {
  const canvas = document.querySelector(sel);
  const chart = canvas && window.Chart ? window.Chart.getChart(canvas) : null;
  return chart ? chart.data.datasets[i].data.reduce((x, y) => x + y, 0) : -1;
}, `[data-testid="${id}"] canvas`, series);
/**
 * Layout problems in the rows matching `rowSel` (element boxes, not pixels): a visible
 * piece of a row (text, control, button, chip) that overlaps another, or that sticks out of
 * its cell or of the table's card (clipped); a header cell narrower than 40 px. Returns the
 * problems as sentences (empty when the layout is sound).
 */
const layoutProblems = (rowSel) => browser.execute((sel) => {
  const out = [];
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    const cs = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none';
  };
  const name = (e) => `${e.tagName.toLowerCase()}${e.dataset.testid ? `[${e.dataset.testid}]` : ''}${e.className && typeof e.className === 'string' ? `.${e.className.split(' ')[0]}` : ''} "${(e.textContent || '').trim().slice(0, 24)}"`;
  const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const rows = [...document.querySelectorAll(sel)];
  if (!rows.length) return ['no rows'];
  const table = rows[0].closest('table');
  const card = table.closest('.card') || table.parentElement;
  const cardBox = card.getBoundingClientRect();
  for (const th of table.querySelectorAll('thead th')) {
    if (visible(th) && th.getBoundingClientRect().width < 40) out.push(`header ${name(th)} is ${Math.round(th.getBoundingClientRect().width)} px wide`);
  }
  if (table.getBoundingClientRect().right > cardBox.right + 1) out.push(`the table (${Math.round(table.getBoundingClientRect().right)}) is wider than its card (${Math.round(cardBox.right)})`);
  for (const row of rows) {
    const pieces = [];
    for (const td of row.children) {
      if (!visible(td)) continue;
      const cell = td.getBoundingClientRect();
      for (const e of td.querySelectorAll('.cell-main, .cell-sub, select, button, .chip-sm, .pill, input')) {
        if (!visible(e) || e.closest('[role="menu"]')) continue;
        const r = e.getBoundingClientRect();
        if (!inside(r, cell)) out.push(`${name(e)} sticks out of its cell`);
        if (!inside(r, cardBox)) out.push(`${name(e)} is cut by the card`);
        if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible' && e.tagName !== 'SELECT') out.push(`${name(e)} has its text cut`);
        pieces.push([e, r]);
      }
    }
    for (let i = 0; i < pieces.length; i++) {
      for (let j = i + 1; j < pieces.length; j++) {
        const [a, ra] = pieces[i];
        const [b, rb] = pieces[j];
        if (a.contains(b) || b.contains(a)) continue;
        if (overlap(ra, rb)) out.push(`${name(a)} overlaps ${name(b)}`);
      }
    }
  }
  return [...new Set(out)];
}, rowSel);
/**
 * Words of the core's English messages that must never reach a French screen (the UI words
 * errors from their codes). Returns the offending texts.
 */
const ENGLISH = /\b(is required|must be|invalid|not found|longer than|start the|hashed|pushed|pulled|error:|already exists|database|unknown field|at most)\b/i;
const englishIn = (list) => list.filter((x) => ENGLISH.test(x));
/** Resize the window so that the page is `width` px wide (the window manager's frame aside). */
async function setViewport(width, height = 800) {
  await browser.setWindowSize(width, height);
  const inner = await browser.execute(() => window.innerWidth);
  if (inner !== width) await browser.setWindowSize(width + (width - inner), height);
  await browser.pause(150);
}
/** Set an input's value the way a person's typing would, firing input and change. */
async function setValue(el, value) {
  try {
    await setValueOnce(el, value);
  } catch (e) {
    // The view re-rendered between finding the element and setting it: find it again.
    if (!/stale element|not found/i.test(String(e)) || !el.selector) throw e;
    await setValueOnce(await browser.$(el.selector), value);
  }
}
async function setValueOnce(el, value) {
  await browser.execute((e, v) => {
    const proto = e instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype
      : e instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, 'value').set.call(e, v);
    e.dispatchEvent(new Event('input', { bubbles: true }));
    e.dispatchEvent(new Event('change', { bubbles: true }));
  }, el, value);
}

let browser;
try {
  browser = await remote({
    hostname: '127.0.0.1',
    port: driverPort,
    logLevel: 'error',
    capabilities: { 'tauri:options': { application: app }, 'wdio:enforceWebDriverClassic': true },
  });

  const ctx = { browser, test, assert, $id, texts, chartSum, setValue, layoutProblems, setViewport, englishIn, cliJson, shots, db, env, cli };
  // E2E_ONLY=50-sync runs the files whose name contains that text (while developing);
  // several texts separated by commas run every file that contains one of them.
  const only = (process.env.E2E_ONLY || '').split(',');
  for (const file of readdirSync(join(here, 'tests')).filter((f) => f.endsWith('.mjs') && only.some((o) => f.includes(o))).sort()) {
    const mod = await import(join(here, 'tests', file));
    await mod.default(ctx);
    // A dialog left open by a failed test would block every later file's clicks.
    await browser.execute(() => document.querySelectorAll('dialog[open]').forEach((d) => d.close())).catch(() => {});
  }
} catch (e) {
  results.push(['session', false]);
  console.log(`FAIL could not drive the app: ${e && e.stack ? e.stack : e}`);
} finally {
  if (browser) await browser.deleteSession().catch(() => {});
  driver.kill();
}
// Engines started by the tests are stopped by then; give them a moment to let go of files.
await new Promise((r) => setTimeout(r, 500));
// The driver ends the app without letting it stop an embedded engine it started (the engine
// test switches to one): stop any engine whose data lives in this run's folder.
try {
  execFileSync('pkill', ['-f', `storage-path ${scratch}`]);
} catch {
  /* none left */
}
if (!process.env.E2E_KEEP_TMP) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });

const passed = results.filter((r) => r[1]).length;
const failed = results.length - passed;
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
