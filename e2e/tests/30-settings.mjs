// Settings: SMTP saved from the UI, a test message reaches a real SMTP server on loopback.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { smtpSink } from '../lib.mjs';

export default async function ({ browser, test, assert, $id, texts, setValue, shots }) {
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
      await (await $id('smtp-save')).click();
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
}
