// End-to-end tests of the real EventHub window: tauri-driver + WebKitWebDriver under Xvfb.
//   node e2e/run.mjs /abs/path/to/eventhub /abs/path/to/eventhub-cli
// Needs MONGODB_URI (scripts/test.sh starts an engine and sets it). Each run uses a fresh
// database, checked afterwards through the CLI (the same core, no UI involved).
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
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
const shots = join(here, 'shots');
mkdirSync(shots, { recursive: true });
const db = `e2e_${Date.now().toString(36)}`;
const env = {
  ...process.env,
  EVENTHUB_DB: db,
  EVENTHUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'eventhub-e2e-')),
  EVENTHUB_ACTOR: 'e2e@test',
};

const driver = spawn('tauri-driver', ['--port', '4444', '--native-port', '4445'], {
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
/** Set an input's value the way a person's typing would, firing input and change. */
async function setValue(el, value) {
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
    port: 4444,
    logLevel: 'error',
    capabilities: { 'tauri:options': { application: app }, 'wdio:enforceWebDriverClassic': true },
  });

  await test('the app connects to the database and shows the events list', async () => {
    const btn = await $id('new-event');
    await btn.waitForClickable({ timeout: 30000 });
    await browser.waitUntil(async () => /\d+\.\d+/.test((await texts('server-badge')).join('')), {
      timeout: 15000,
      timeoutMsg: 'the server badge shows the server version',
    });
  });

  const stamp = Date.now().toString(36).slice(-5);
  const title = `Journée Écoresponsable ${stamp}`;
  await test('create an event with a speaker and a session, find it by search, check it in the database', async () => {
    await (await $id('new-event')).click();
    const t = await $id('f-title');
    await t.waitForDisplayed({ timeout: 10000 });
    await t.setValue(title);
    await setValue(await $id('f-starts'), '2027-04-15T09:00');
    await setValue(await $id('f-ends'), '2027-04-15T18:00');
    await (await $id('f-venue-name')).setValue('Halle Tony Garnier');

    await (await $id('tab-speakers')).click();
    await (await $id('add-speaker')).click();
    const name = await $id('speaker-name');
    await name.waitForDisplayed({ timeout: 5000 });
    await name.setValue('Zoé Dupont');
    await (await $id('speaker-title')).setValue('Directrice RSE');

    await (await $id('tab-sessions')).click();
    await (await $id('add-session')).click();
    const st = await $id('session-title');
    await st.waitForDisplayed({ timeout: 5000 });
    await st.setValue("Keynote d'ouverture");
    await setValue(await $id('session-starts'), '2027-04-15T09:30');
    await setValue(await $id('session-ends'), '2027-04-15T10:30');
    await (await $id('session-room')).setValue('Grande Halle');
    const spk = await $id('session-speaker');
    if (!(await spk.isSelected())) await spk.click();

    await (await $id('save-event')).click();
    await (await $id('toast')).waitForDisplayed({ timeout: 10000 });
    await browser.saveScreenshot(join(shots, 'editor-saved.png'));

    await (await $id('nav-events')).click();
    const search = await $id('search');
    await search.waitForDisplayed({ timeout: 5000 });
    await search.setValue(`ecoresponsable ${stamp}`); // no accents, lower case
    await browser.waitUntil(async () => {
      const rows = await texts('event-row');
      return rows.length === 1 && rows[0].includes(title);
    }, { timeout: 10000, timeoutMsg: 'the search did not show exactly the new event' });
    await browser.saveScreenshot(join(shots, 'list-search.png'));

    const page = cliJson('events', 'list', '--search', 'ecoresponsable');
    assert(page.total === 1, `one event in the database, got ${page.total}`);
    const ev = cliJson('events', 'show', page.items[0]._id);
    assert(ev.title === title, `title stored: ${ev.title}`);
    assert(ev.starts_at === '2027-04-15T07:00:00.000Z', `09:00 Paris stored as 07:00 UTC: ${ev.starts_at}`);
    assert(ev.venue.name === 'Halle Tony Garnier', 'venue stored');
    assert(ev.speakers.length === 1 && ev.speakers[0].name === 'Zoé Dupont', 'speaker stored');
    assert(ev.sessions.length === 1 && ev.sessions[0].title === "Keynote d'ouverture", 'session stored');
    assert(ev.sessions[0].room === 'Grande Halle', 'session room stored');
    assert(JSON.stringify(ev.sessions[0].speaker_ids) === JSON.stringify([ev.speakers[0].id]),
      `the session names its speaker: ${JSON.stringify(ev.sessions[0].speaker_ids)}`);
    assert(ev.updated_by === 'e2e@test', 'who wrote it is recorded');
  });

  await test('a field error is shown next to the field and nothing is written', async () => {
    await (await $id('new-event')).click();
    const t = await $id('f-title');
    await t.waitForDisplayed({ timeout: 10000 });
    await t.setValue('Dates à l’envers');
    await setValue(await $id('f-starts'), '2027-05-02T18:00');
    await setValue(await $id('f-ends'), '2027-05-02T09:00');
    await (await $id('save-event')).click();
    const err = await $id('field-error');
    await err.waitForDisplayed({ timeout: 10000 });
    await browser.saveScreenshot(join(shots, 'field-error.png'));
    const page = cliJson('events', 'list', '--search', 'envers');
    assert(page.total === 0, 'nothing written');
  });
} catch (e) {
  results.push(['session', false]);
  console.log(`FAIL could not drive the app: ${e && e.stack ? e.stack : e}`);
} finally {
  if (browser) await browser.deleteSession().catch(() => {});
  driver.kill();
}

const passed = results.filter((r) => r[1]).length;
const failed = results.length - passed;
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
