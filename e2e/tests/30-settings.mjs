// Settings: SMTP saved from the UI, a test message reaches a real SMTP server on loopback.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { smtpSink } from '../lib.mjs';

export default async function ({ browser, test, assert, $id, texts, setValue, shots, env }) {
  await test('SMTP settings are saved and a test message arrives at the SMTP server', async () => {
    const sink = await smtpSink();
    const { port } = sink;
    try {
      await (await $id('nav-settings')).click();
      const host = await $id('smtp-host');
      await host.waitForDisplayed({ timeout: 10000 });
      await setValue(host, '127.0.0.1');
      await setValue(await $id('smtp-port'), String(port));
      await setValue(await $id('smtp-security'), 'none');
      await setValue(await $id('smtp-from-email'), 'events@eventhub.test');
      await setValue(await $id('smtp-from-name'), 'Équipe EventHub');
      await browser.execute(() => document.querySelectorAll('.toast').forEach((el) => el.remove()));
      await (await $id('smtp-save')).click();
      // The form is drawn again once saved: type the test address only after that.
      await browser.waitUntil(async () => browser.execute(() => !!document.querySelector('.toast-success')), { timeout: 10000, timeoutMsg: 'the SMTP settings are saved' });
      await browser.waitUntil(async () => (await $id('smtp-port')).isExisting(), { timeout: 5000 });
      await setValue(await $id('smtp-test-to'), 'zoe@example.org');
      await (await $id('smtp-test')).click();
      const { newDir } = sink;
      await browser.waitUntil(() => {
        try { return readdirSync(newDir).length === 1; } catch { return false; }
      }, { timeout: 10000, timeoutMsg: 'no message reached the SMTP server' });
      const raw = readFileSync(join(newDir, readdirSync(newDir)[0]), 'utf8');
      assert(raw.includes('zoe@example.org'), 'recipient');
      assert(/EventHub : message de test/.test(raw) || raw.includes('=?utf-8?'), 'French subject');
      await browser.saveScreenshot(join(shots, 'settings-smtp.png'));

      // The organiser's own French invitation template (used by the invitations test).
      await setValue(await $id('tpl-lang'), 'fr');
      await browser.waitUntil(async () => (await (await $id('tpl-subject')).getValue()).includes('{event_title}'), { timeout: 10000 });
      await setValue(await $id('tpl-subject'), 'Invitation spéciale {prenom}');
      await (await $id('tpl-save')).click();
      await (await $id('tpl-error')).waitForDisplayed({ timeout: 10000 });
      await setValue(await $id('tpl-subject'), 'Invitation spéciale : {event_title}');
      await (await $id('tpl-save')).click();
      await (await $id('tpl-preview')).waitForDisplayed({ timeout: 10000 });
      const [preview] = await texts('tpl-preview');
      assert(preview.includes('Invitation spéciale : Journée Innovation'), `the preview renders the placeholders: ${preview}`);
    } finally {
      sink.stop();
    }
  });

  await test('the logs folder is in the data folder, holds the app\'s log, and the button opens it', async () => {
    await (await $id('nav-settings')).click();
    const btn = await $id('open-logs');
    await btn.waitForClickable({ timeout: 10000 });
    const openLog = env.EVENTHUB_E2E_OPEN_LOG;
    const before = existsSync(openLog) ? readFileSync(openLog, 'utf8') : null;
    try {
      await btn.click();
      const logs = join(env.EVENTHUB_DATA_DIR, 'logs');
      // With EVENTHUB_E2E_OPEN_LOG set, the folder is written there instead of opened.
      await browser.waitUntil(() => existsSync(env.EVENTHUB_E2E_OPEN_LOG)
        && readFileSync(env.EVENTHUB_E2E_OPEN_LOG, 'utf8').split('\n').includes(logs), {
        timeout: 10000, timeoutMsg: `the logs folder ${logs} was not opened`,
      });
      const log = readFileSync(join(logs, 'eventhub.log'), 'utf8');
      assert(log.includes('EventHub starting'), 'the app writes its log file in the data folder');
      await browser.waitUntil(async () => (await texts('toast')).some((t) => t.includes(logs)), {
        timeout: 10000, timeoutMsg: 'a toast names the logs folder',
      });
    } finally {
      // The social test counts what was opened: leave the record as it was.
      if (before === null) rmSync(openLog, { force: true }); else writeFileSync(openLog, before);
    }
  });
}
