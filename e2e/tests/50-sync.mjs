// Offline-first sync end to end with three engines: this app's store (laptop A), a second
// engine standing in for Atlas (R), and a third for laptop B driven by the CLI. An event
// prepared on A reaches B through R; both edit its title; the conflict is resolved in the
// UI; every store ends identical.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { engine } from '../lib.mjs';

export default async function ({ browser, test, assert, $id, texts, setValue, cliJson, shots, env, cli, db }) {
  await test('sync: an event reaches a second laptop through the remote, a conflict is resolved in the UI, all stores identical', async () => {
    const remote = await engine();
    const laptopB = await engine();
    const b = (...args) => JSON.parse(execFileSync(cli, ['--uri', laptopB.uri, '--db', 'eventhub', '--json', ...args], { env: { ...env, EVENTHUB_ACTOR: 'bob@laptop-b' }, encoding: 'utf8' }));
    const r = (...args) => JSON.parse(execFileSync(cli, ['--uri', remote.uri, '--db', 'eventhub', '--json', ...args], { env, encoding: 'utf8' }));
    try {
      const stamp = Date.now().toString(36).slice(-5);
      const ev = cliJson('events', 'create', '--title', `Salon Sync ${stamp}`, '--starts', '2027-11-05T08:00:00Z', '--ends', '2027-11-05T17:00:00Z');

      // Laptop A (this app) → remote.
      await (await $id('nav-sync')).click();
      const uri = await $id('sync-uri');
      await uri.waitForDisplayed({ timeout: 10000 });
      await setValue(uri, remote.uri);
      await (await $id('sync-save-remote')).click();
      await browser.waitUntil(async () => (await texts('sync-remote')).join('').includes('127.0.0.1'), { timeout: 15000, timeoutMsg: 'the remote is saved' });
      await (await $id('sync-run')).click();
      await browser.waitUntil(async () => (await texts('sync-report')).length === 1, { timeout: 30000, timeoutMsg: 'a sync report' });
      assert(r('events', 'show', ev._id).title === `Salon Sync ${stamp}`, 'the remote has the event');
      // What the sync did, in French with its plurals, worded by the UI from the figures.
      const done = await browser.execute(() => [...document.querySelectorAll('.toast-success')].map((e) => e.textContent || ''));
      assert(done.some((d) => /^Synchronisation terminée : [1-9][\d\u202f ]* modifications? envoyées?/.test(d)), `the result sentence is French: ${done}`);
      await browser.waitUntil(async () => (await texts('sync-pending')).join('').startsWith('0 '), { timeout: 15000, timeoutMsg: 'nothing waits after a sync' });
      assert((await texts('sync-online')).join('').includes('joignable'), 'the remote is shown reachable');

      // Laptop B pulls it.
      b('sync', 'run', '--remote', remote.uri, '--remote-db', 'eventhub');
      assert(b('events', 'show', ev._id).title === `Salon Sync ${stamp}`, 'laptop B has the event');

      // Both edit the title; B syncs first.
      b('events', 'rename', ev._id, `Salon Sync ${stamp} (B)`);
      cliJson('events', 'rename', ev._id, `Salon Sync ${stamp} (A)`);
      b('sync', 'run', '--remote', remote.uri, '--remote-db', 'eventhub');

      // A syncs: the conflict waits in the UI; keep the remote (B's) title.
      await (await $id('sync-run')).click();
      await (await $id('sync-conflict')).waitForDisplayed({ timeout: 30000 });
      await browser.saveScreenshot(join(shots, 'sync-conflict.png'));
      const txt = (await texts('sync-conflict')).join(' ');
      assert(txt.includes('bob@laptop-b') && txt.includes('(A)') && txt.includes('(B)'), `both values and who changed them are shown: ${txt}`);
      await (await $id('choose-remote')).click();
      await (await $id('sync-resolve')).click();
      await browser.waitUntil(async () => (await texts('sync-conflict')).length === 0, { timeout: 15000, timeoutMsg: 'the conflict is resolved' });

      // B pulls the resolution; every store holds the same version of the event.
      b('sync', 'run', '--remote', remote.uri, '--remote-db', 'eventhub');
      const [ea, er, eb] = [cliJson('events', 'show', ev._id), r('events', 'show', ev._id), b('events', 'show', ev._id)];
      assert(ea.title === `Salon Sync ${stamp} (B)`, `A has the chosen title: ${ea.title}`);
      assert(JSON.stringify(ea) === JSON.stringify(er), 'A and the remote are identical');
      assert(JSON.stringify(eb) === JSON.stringify(er), 'B and the remote are identical');

      // Automatic sync: once enabled, a change made on A reaches the remote with no click.
      await (await $id('sync-auto')).click();
      cliJson('events', 'rename', ev._id, `Salon Sync ${stamp} (auto)`);
      await browser.waitUntil(async () => r('events', 'show', ev._id).title === `Salon Sync ${stamp} (auto)`, {
        timeout: 30000, interval: 1000, timeoutMsg: 'the automatic sync pushed the change',
      });
      await browser.waitUntil(async () => /[1-9] modifications? envoyées?/.test((await texts('sync-auto-last')).join('')), {
        timeout: 25000, timeoutMsg: 'the last automatic sync and what it pushed are shown, in French',
      });
      const autoLast = (await texts('sync-auto-last')).join('');
      assert(!/pushed|pulled|merged|error/i.test(autoLast), `no English in the automatic sync's result: ${autoLast}`);
      await (await $id('sync-auto')).click();
    } finally {
      remote.stop();
      laptopB.stop();
    }
  });
}
