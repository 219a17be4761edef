// The embedded engine killed behind the real window (kill -9, as a crash would): the
// header badge and a banner say so in words within seconds, the engine is restarted, and
// the badge comes back without restarting the app. Then a backup is made from Settings.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The app's own calls, as its buttons make them (switching server is set-up here). */
const invoke = (browser, cmd, args) => browser.executeAsync((c, a, done) => {
  window.__TAURI__.core.invoke(c, a).then((v) => done({ ok: v }), (e) => done({ err: e }));
}, cmd, args || {});

export default async function ({ browser, test, assert, $id, texts, env, shots }) {
  const badgeHealth = () => browser.execute(() => {
    const b = document.querySelector('[data-testid="server-badge"]');
    return b ? b.dataset.health || '' : '';
  });

  await test('a killed local engine is shown, restarted and shown healthy again', async () => {
    // Switch the app to its embedded engine (in the run's own data folder).
    const r = await invoke(browser, 'db_use_local');
    assert(r.ok && r.ok.state === 'ready', `the local engine starts: ${JSON.stringify(r)}`);
    await browser.waitUntil(async () => (await badgeHealth()) === 'ok', { timeout: 20000, timeoutMsg: 'badge not ok on the local engine' });
    const record = join(env.EVENTHUB_DATA_DIR, 'engine.json');
    assert(existsSync(record), 'the engine is recorded in the data folder');
    const { pid } = JSON.parse(readFileSync(record, 'utf8'));
    assert(pid > 0, 'engine pid');

    // Remember every state the badge goes through (a restart can be quick).
    await browser.execute(() => {
      window.__healthSeen = [];
      const b = document.querySelector('[data-testid="server-badge"]');
      new MutationObserver(() => window.__healthSeen.push([b.dataset.health, b.textContent, !!document.querySelector('[data-testid="health-banner"]')]))
        .observe(b, { attributes: true, childList: true, subtree: true });
    });
    process.kill(pid, 'SIGKILL');
    const killed = Date.now();
    await browser.waitUntil(
      async () => (await browser.execute(() => window.__healthSeen.some(([h]) => h !== 'ok'))),
      { timeout: 5000, interval: 100, timeoutMsg: 'the badge did not change within 5 s of the crash' },
    );
    const detected = Date.now() - killed;
    const seen = await browser.execute(() => window.__healthSeen);
    const bad = seen.find(([h]) => h !== 'ok');
    assert(bad[0] === 'reconnecting', `shown as reconnecting: ${JSON.stringify(seen)}`);
    assert(/Reconnexion|Reconnecting/.test(bad[1]), `the badge says it in words: ${bad[1]}`);
    assert(bad[2], 'a banner explains it');
    await browser.saveScreenshot(join(shots, 'engine-reconnecting.png')).catch(() => {});

    await browser.waitUntil(async () => (await badgeHealth()) === 'ok', { timeout: 15000, interval: 200, timeoutMsg: 'not repaired within 15 s' });
    const repaired = Date.now() - killed;
    assert(!(await (await $id('health-banner')).isExisting()), 'the banner is gone once repaired');
    const { pid: pid2 } = JSON.parse(readFileSync(record, 'utf8'));
    assert(pid2 !== pid, 'a new engine process');
    // The app works again on the same connection: the events list loads.
    const events = await invoke(browser, 'events_list', { query: {} });
    assert(events.ok, `commands work again: ${JSON.stringify(events.err)}`);
    console.log(`     engine killed: badge changed after ${detected} ms, healthy again after ${repaired} ms`);
  });

  await test('a backup of the store is made from Settings', async () => {
    await (await $id('nav-settings')).click();
    const btn = await $id('backup-create');
    await btn.waitForDisplayed({ timeout: 10000 });
    await btn.click();
    await browser.waitUntil(async () => ((await texts('backup-result'))[0] || '').includes('.backup.gz'), { timeout: 20000, timeoutMsg: 'no backup written' });
    const files = readdirSync(env.EVENTHUB_E2E_SAVE_DIR).filter((f) => f.endsWith('.backup.gz'));
    assert(files.length === 1, `one backup file: ${files}`);
  });

  // Back to the run's shared server for anything that follows.
  const back = await invoke(browser, 'db_connect', { uri: env.MONGODB_URI, remember: false });
  assert(back.ok && back.ok.state === 'ready', 'back on the shared server');
}
