// Start-to-interactive time and memory of the installed app (see scripts/bench-install.sh).
//   node e2e/bench-start.mjs /usr/bin/eventhub [RUNS]
// Each launch: a WebDriver session starts the app, the clock stops when the events list's
// "new event" button is clickable and the server badge shows the engine's version
// (`interactive_ms`; `usable_ms` is when the button alone is clickable: the window works
// while the database starts, the badge saying so); then
// the resident memory (RSS and PSS) of the app process, its WebKit helper processes and the
// engine is read from /proc; then the window is closed (the engine stops with the app).
// The first launch creates the data folder (cold); the others are warm.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { remote } from 'webdriverio';

const app = process.argv[2];
const runs = Number(process.argv[3] || 5);
const home = mkdtempSync(join(tmpdir(), 'eventhub-bench-home-'));
const env = {
  HOME: home,
  PATH: '/usr/local/bin:/usr/bin:/bin',
  DISPLAY: process.env.DISPLAY || '',
  XAUTHORITY: process.env.XAUTHORITY || '',
  DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS || '',
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function procs() {
  const out = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const exe = readlinkSync(`/proc/${pid}/exe`);
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      out.push({ pid: Number(pid), ppid, exe });
    } catch { /* gone or not ours */ }
  }
  return out;
}
/** kB of a /proc/PID/status or smaps_rollup field. */
function kb(pid, file, field) {
  const m = readFileSync(`/proc/${pid}/${file}`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : 0;
}
function memory() {
  const all = procs();
  const main = all.find((p) => p.exe === app);
  if (!main) return null;
  const kids = all.filter((p) => p.ppid === main.pid);
  const webkit = kids.filter((p) => /WebKit/.test(p.exe));
  const engine = kids.find((p) => p.exe.endsWith('secantusd-rs'));
  const mb = (x) => Math.round(x / 1024);
  const pss = (p) => kb(p.pid, 'smaps_rollup', 'Pss');
  return {
    app_rss_mb: mb(kb(main.pid, 'status', 'VmRSS')),
    app_pss_mb: mb(pss(main)),
    webkit_pss_mb: mb(webkit.reduce((s, p) => s + pss(p), 0)),
    engine_rss_mb: engine ? mb(kb(engine.pid, 'status', 'VmRSS')) : null,
    engine_pss_mb: engine ? mb(pss(engine)) : null,
  };
}

const driver = spawn(process.env.TAURI_DRIVER || join(homedir(), '.cargo', 'bin', 'tauri-driver'),
  ['--port', '4444', '--native-port', '4445'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
await sleep(1500);
const rows = [];
try {
  for (let i = 0; i < runs; i++) {
    const t0 = Date.now();
    const browser = await remote({
      hostname: '127.0.0.1', port: 4444, logLevel: 'error',
      capabilities: { 'tauri:options': { application: app }, 'wdio:enforceWebDriverClassic': true },
    });
    await (await browser.$('[data-testid="new-event"]')).waitForClickable({ timeout: 60000, interval: 20 });
    // The window is usable from here (the database may still be starting: the badge says so).
    const usable = Date.now() - t0;
    await browser.waitUntil(async () => /\d+\.\d+/.test(await browser.execute(
      () => document.querySelector('[data-testid="server-badge"]')?.getAttribute('title') || '')), { timeout: 60000, interval: 20 });
    const ms = Date.now() - t0;
    // Where the time went, from the page's own clock (performance.timeOrigin is wall-clock
    // milliseconds, like t0): when the page started loading, when its scripts had all run
    // (the `eventhub:main` mark), when the shell was drawn and when the database was ready
    // (marks set by main.ts).
    const p = await browser.execute(() => {
      const marks = {};
      for (const m of performance.getEntriesByType('mark')) marks[m.name] = m.startTime;
      const nav = performance.getEntriesByType('navigation')[0];
      return { origin: performance.timeOrigin, marks, dcl: nav ? nav.domContentLoadedEventEnd : null };
    });
    const at = (v) => (typeof v === 'number' ? Math.round(p.origin - t0 + v) : null);
    const page = { page_ms: at(0), dcl_ms: at(p.dcl), scripts_ms: at(p.marks['eventhub:main']),
      shell_ms: at(p.marks['eventhub:shell']), db_ready_ms: at(p.marks['eventhub:ready']) };
    await sleep(2000); // settle before reading memory
    const mem = memory();
    rows.push({ run: i + 1, kind: i === 0 ? 'cold' : 'warm', usable_ms: usable, interactive_ms: ms, ...page, ...mem });
    console.log(JSON.stringify(rows[rows.length - 1]));
    // Quit as a user does, with the window's close button (the window manager's
    // WM_DELETE_WINDOW): WebDriver's "close window" would kill the app before its exit
    // handler stops the engine, and the next launch would find a stale engine.
    spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'wm-close.py'), 'EventHub'], {
      env: { ...env, PATH: '/usr/bin:/bin' },
    });
    // Wait for the app and its engine (the one working in this run's home) to be gone.
    const ours = (p) => p.exe === app || (p.exe.endsWith('secantusd-rs')
      && readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes(home));
    for (let w = 0; w < 150; w++) {
      let busy = false;
      try { busy = procs().some(ours); } catch { busy = true; }
      if (!busy) break;
      await sleep(100);
    }
    try { await browser.deleteSession(); } catch { /* gone with the app */ }
  }
} finally {
  driver.kill();
  rmSync(home, { recursive: true, force: true });
}
const warm = rows.filter((r) => r.kind === 'warm').map((r) => r.interactive_ms).sort((a, b) => a - b);
if (warm.length) {
  console.log(`warm start-to-interactive: median ${warm[Math.floor(warm.length / 2)]} ms, min ${warm[0]} ms, max ${warm[warm.length - 1]} ms (${warm.length} runs)`);
  const usable = rows.filter((r) => r.kind === 'warm').map((r) => r.usable_ms).sort((a, b) => a - b);
  console.log(`warm start-to-usable window: median ${usable[Math.floor(usable.length / 2)]} ms, min ${usable[0]} ms, max ${usable[usable.length - 1]} ms`);
}
