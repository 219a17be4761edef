// Install-and-launch smoke test of an installed EventHub (the .deb): as a new user would,
// with no Rust toolchain, no MONGODB_URI and no engine of ours on PATH, the app starts its
// bundled engine, an event is created and found, quitting leaves no engine process, the
// next launch shows the event, and a second launch while the first runs starts no second
// engine (it hands over to the running app and exits).
//   xvfb-run -a dbus-run-session -- node e2e/smoke-installed.mjs /usr/bin/eventhub
// Needs tauri-driver (TAURI_DRIVER or ~/.cargo/bin/tauri-driver) and WebKitWebDriver.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { remote } from 'webdriverio';

const app = process.argv[2];
if (!app || !existsSync(app)) {
  console.error('usage: node e2e/smoke-installed.mjs /usr/bin/eventhub');
  process.exit(2);
}
const driverBin = process.env.TAURI_DRIVER || join(homedir(), '.cargo', 'bin', 'tauri-driver');
// A new user: an empty home, a PATH of system folders only (no ~/.cargo/bin), none of the
// developer's variables.
const home = mkdtempSync(join(tmpdir(), 'eventhub-smoke-home-'));
const env = {
  HOME: home,
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'fr_FR.UTF-8',
  DISPLAY: process.env.DISPLAY || '',
  XAUTHORITY: process.env.XAUTHORITY || '',
  DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS || '',
  XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || '',
};
const dataDir = join(home, '.local', 'share', 'app.eventhub.desktop');

const results = [];
async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push(true);
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push(false);
    console.log(`FAIL ${name}\n     ${e && e.stack ? e.stack : e}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(fn, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(200);
  }
  throw new Error(`timed out: ${what}`);
}

/** Running processes whose command line mentions `text`: [{pid, exe, args}]. */
function processes(text) {
  const out = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (args.join(' ').includes(text)) out.push({ pid: Number(pid), exe: readlinkSync(`/proc/${pid}/exe`), args });
    } catch { /* gone meanwhile */ }
  }
  return out;
}
/** The engines working on this user's data folder. */
const engines = () => processes(join(dataDir, 'db')).filter((p) => p.exe.includes('secantusd-rs'));
/** Running instances of the installed app. */
const apps = () => processes(app).filter((p) => p.exe === app);

async function launch() {
  return remote({
    hostname: '127.0.0.1',
    port: 4444,
    logLevel: 'error',
    connectionRetryTimeout: 60000,
    capabilities: { 'tauri:options': { application: app }, 'wdio:enforceWebDriverClassic': true },
  });
}
const $id = (browser, id) => browser.$(`[data-testid="${id}"]`);
const texts = (browser, id) => browser.execute(
  (sel) => [...document.querySelectorAll(sel)].map((e) => e.textContent || ''),
  `[data-testid="${id}"]`,
);
async function setValue(browser, el, value) {
  await browser.execute((e, v) => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(e, v);
    e.dispatchEvent(new Event('input', { bubbles: true }));
    e.dispatchEvent(new Event('change', { bubbles: true }));
  }, el, value);
}
async function ready(browser) {
  await (await $id(browser, 'new-event')).waitForClickable({ timeout: 60000 });
  // The badge says in words where the data is; the engine and its version are in its tooltip.
  await browser.waitUntil(async () => /\d+\.\d+/.test(await (await $id(browser, 'server-badge')).getAttribute('title') || ''), {
    timeout: 60000,
    timeoutMsg: 'the server badge shows the local engine',
  });
}
/** Quit as a user does: the window's close button, i.e. the window manager's
 * WM_DELETE_WINDOW message (e2e/wm-close.py). WebDriver's own "close window" cannot stand in
 * for it: on the last window WebKitWebDriver ends the session and kills the app before its
 * exit handler runs. The session is ended once the app has exited on its own. */
async function quit(browser) {
  const closed = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'wm-close.py'), 'EventHub'], {
    env: { ...env, PATH: '/usr/bin:/bin' }, encoding: 'utf8',
  });
  assert(closed.status === 0, `the close message reached the window: ${closed.stdout}${closed.stderr}`);
  await until(() => apps().length === 0, 30000, 'the app exits when its window is closed');
  try { await browser.deleteSession(); } catch { /* the app is gone */ }
}

const driver = spawn(driverBin, ['--port', '4444', '--native-port', '4445'], {
  env, stdio: ['ignore', 'ignore', 'inherit'],
});
await sleep(1500);

const stamp = Date.now().toString(36).slice(-5);
const title = `Salon Installé ${stamp}`;
let browser;
try {
  await test('nothing of the developer\'s is reachable: the engine on PATH is the packaged one', () => {
    const which = spawnSync('sh', ['-c', 'command -v secantusd-rs cargo mongod'], { env, encoding: 'utf8' });
    const found = which.stdout.trim().split('\n').filter(Boolean);
    assert(!found.includes('cargo'), `no Rust toolchain on PATH: ${found}`);
    assert(!found.some((p) => p.endsWith('mongod')), `no mongod: ${found}`);
    const owner = execFileSync('dpkg', ['-S', '/usr/bin/secantusd-rs'], { encoding: 'utf8' });
    assert(owner.startsWith('event-hub:'), `the engine comes with the package: ${owner}`);
  });

  browser = await launch();
  await test('the installed app opens, starts its bundled engine in the user\'s data folder', async () => {
    await ready(browser);
    const e = engines();
    assert(e.length === 1, `one engine for the data folder, got ${e.length}`);
    assert(e[0].exe === '/usr/bin/secantusd-rs', `the bundled engine runs: ${e[0].exe}`);
    assert(existsSync(join(dataDir, 'db')), `database in ${dataDir}`);
  });

  await test('create an event and find it by search', async () => {
    await (await $id(browser, 'new-event')).click();
    const t = await $id(browser, 'f-title');
    await t.waitForDisplayed({ timeout: 10000 });
    await t.setValue(title);
    await setValue(browser, await $id(browser, 'f-starts'), '2027-06-10T09:00');
    await setValue(browser, await $id(browser, 'f-ends'), '2027-06-10T18:00');
    await (await $id(browser, 'save-event')).click();
    await (await $id(browser, 'toast')).waitForDisplayed({ timeout: 15000 });
    await (await $id(browser, 'nav-events')).click();
    const search = await $id(browser, 'search');
    await search.waitForDisplayed({ timeout: 5000 });
    await search.setValue(`salon installe ${stamp}`);
    await browser.waitUntil(async () => {
      const rows = await texts(browser, 'event-row');
      return rows.length === 1 && rows[0].includes(title);
    }, { timeout: 15000, timeoutMsg: 'the search did not show the new event' });
  });

  await test('a second launch hands over to the running app and starts no second engine', async () => {
    const before = engines().map((p) => p.pid);
    const second = spawnSync(app, [], { env, timeout: 30000, encoding: 'utf8' });
    assert(second.status === 0, `the second launch exits at once with success (status ${second.status}, signal ${second.signal})`);
    const after = engines().map((p) => p.pid);
    assert(after.length === 1 && after[0] === before[0], `still the one engine: ${before} → ${after}`);
    assert(apps().length === 1, 'one app process');
  });

  await test('quitting leaves no engine process', async () => {
    await quit(browser);
    browser = null;
    await until(() => engines().length === 0, 20000, 'no engine left after quitting');
    assert(!existsSync(join(dataDir, 'engine.json')), 'the engine record is removed at a clean stop');
  });

  browser = await launch();
  await test('the next launch shows the event', async () => {
    await ready(browser);
    const search = await $id(browser, 'search');
    await search.waitForDisplayed({ timeout: 10000 });
    await search.setValue(`salon installe ${stamp}`);
    await browser.waitUntil(async () => {
      const rows = await texts(browser, 'event-row');
      return rows.length === 1 && rows[0].includes(title);
    }, { timeout: 15000, timeoutMsg: 'the event is there after a restart' });
    assert(engines().length === 1, 'one engine again');
  });

  await test('logs are written to the data folder', async () => {
    const logs = readdirSync(join(dataDir, 'logs'));
    assert(logs.some((f) => f.startsWith('eventhub') && f.endsWith('.log')), `app log in ${dataDir}/logs: ${logs}`);
    assert(logs.includes('engine.log'), `engine log: ${logs}`);
    const text = readFileSync(join(dataDir, 'logs', 'eventhub.log'), 'utf8');
    assert(text.includes('EventHub starting'), 'the app logs its start');
  });

  await test('quitting again leaves no engine process', async () => {
    await quit(browser);
    browser = null;
    await until(() => engines().length === 0, 20000, 'no engine left after quitting');
  });
} catch (e) {
  results.push(false);
  console.log(`FAIL could not drive the installed app: ${e && e.stack ? e.stack : e}`);
} finally {
  if (browser) await browser.deleteSession().catch(() => {});
  driver.kill();
  for (const p of engines()) {
    try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  await sleep(300);
  if (!process.env.SMOKE_KEEP_HOME) rmSync(home, { recursive: true, force: true, maxRetries: 3 });
}
const passed = results.filter(Boolean).length;
console.log(`smoke: ${passed} passed, ${results.length - passed} failed`);
process.exit(passed === results.length && passed > 0 ? 0 : 1);
