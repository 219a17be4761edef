// Invitations end to end: SMTP pointed at a real SMTP server on loopback, participants
// imported from a CSV, the portal started, invitations sent from the participants screen,
// one invitee answers through the link in their e-mail, and the list shows the change.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { smtpSink } from '../lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The decoded Subject header of a raw message (RFC 2047 encoded words, b or q). */
function subjectOf(raw) {
  const m = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw);
  if (!m) return '';
  return m[1]
    .replace(/\r?\n[ \t]/g, ' ')
    .replace(/\?=\s+=\?/g, '?==?') // whitespace between two encoded words is not text
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, enc, text) =>
      enc.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeURIComponent(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, '%$1')));
}

/** The personal link in a raw message (quoted-printable soft breaks removed). */
function linkIn(raw) {
  const flat = raw.replace(/=\r?\n/g, '');
  const m = /https?:\/\/[^\s"<>]+\/r\/[A-Za-z0-9_-]{40,}/.exec(flat);
  return m ? m[0] : null;
}

export default async function ({ browser, test, assert, $id, texts, setValue, cliJson, shots, env }) {
  await test('send invitations to a loopback SMTP server, answer one by its link, see the status change', async () => {
    const sink = await smtpSink();
    const { port, dir, newDir } = sink;
    try {
      // SMTP settings → this sink.
      await (await $id('nav-settings')).click();
      const host = await $id('smtp-host');
      await host.waitForDisplayed({ timeout: 10000 });
      await setValue(host, '127.0.0.1');
      await setValue(await $id('smtp-port'), String(port));
      await setValue(await $id('smtp-security'), 'none');
      await setValue(await $id('smtp-from-email'), 'events@eventhub.test');
      await (await $id('smtp-save')).click();
      await browser.waitUntil(async () => (await texts('toast')).some((x) => /SMTP/.test(x)), { timeout: 10000 });

      // An event with three valid participants (the fixture's fourth row is refused).
      const stamp = Date.now().toString(36).slice(-5);
      const evFile = join(dir, 'event.json');
      writeFileSync(evFile, JSON.stringify({ title: `Avant-première ${stamp}`, starts_at: '2027-10-01T17:00:00Z', ends_at: '2027-10-01T21:00:00Z', status: 'published' }));
      const ev = cliJson('events', 'create', '--from-json', evFile);
      try {
        cliJson('participants', 'import', ev._id, join(here, '..', '..', 'tests', 'fixtures', 'csv', 'e2e_invites.csv'));
      } catch {
        /* exits non-zero only when nothing was imported; checked below */
      }

      await (await $id('nav-participants')).click();
      const sel = await $id('p-event');
      await sel.waitForDisplayed({ timeout: 10000 });
      await browser.waitUntil(async () => browser.execute((id) => !!document.querySelector(`[data-testid="p-event"] option[value="${id}"]`), ev._id), { timeout: 10000 });
      await setValue(sel, ev._id);
      await browser.waitUntil(async () => (await texts('p-row')).length === 3, { timeout: 10000, timeoutMsg: 'three participants listed' });

      // The panel renders twice while it loads: click until the portal is on.
      await browser.waitUntil(async () => {
        const start = await $id('portal-start');
        if (await start.isExisting()) await start.click().catch(() => {});
        return (await $id('portal-url')).isExisting();
      }, { timeout: 15000, interval: 500, timeoutMsg: 'the portal starts' });
      // Nothing leaves before a confirmation that gives the count (3 valid rows).
      await (await $id('send-invitations')).click();
      const count = await $id('send-count');
      await count.waitForDisplayed({ timeout: 10000 });
      assert((await count.getAttribute('data-count')) === '3', `the confirmation gives the count: ${await count.getAttribute('data-count')}`);
      assert((await texts('send-count'))[0].includes('3 personnes'), `in words: ${(await texts('send-count'))[0]}`);
      assert((await texts('send-preview'))[0].includes('Invitation spéciale'), 'the preview shows the French template');
      await browser.saveScreenshot(join(shots, 'invitations-confirm.png'));
      assert(!existsSync(newDir) || readdirSync(newDir).length === 0, 'nothing sent before confirming');
      await (await $id('send-confirm')).click();
      await browser.waitUntil(() => {
        try { return readdirSync(newDir).length === 3; } catch { return false; }
      }, { timeout: 30000, timeoutMsg: 'three invitations reached the SMTP server' });
      await browser.waitUntil(async () => (await texts('invitation-counts')).join(' ').includes('3'), { timeout: 10000 });
      await browser.saveScreenshot(join(shots, 'invitations-sent.png'));

      // Léa answers from her phone: the link in her e-mail (loopback address).
      const raws = readdirSync(newDir).map((f) => readFileSync(join(newDir, f), 'utf8'));
      const lea = raws.find((r) => r.includes('lea.moreau@exemple.fr'));
      assert(lea, 'Léa received an invitation');
      // 30-settings (run before this file) saved the organiser's French template.
      const subject = subjectOf(lea);
      assert(subject.startsWith('Invitation spéciale : Avant-première'), `the organiser's template is used: ${subject}`);
      const link = linkIn(lea);
      assert(link, 'the invitation carries a personal link');
      const local = link.replace(/^http:\/\/[^/]+/, (m) => `http://127.0.0.1:${new URL(m).port}`);
      const page = await fetch(local);
      assert(page.status === 200, `the RSVP page opens (${page.status})`);
      const answer = await fetch(local, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'answer=accepted' });
      assert(answer.status === 200, `the answer is accepted (${answer.status})`);

      // The list shows it (reopen the screen to refresh).
      await (await $id('nav-participants')).click();
      await browser.waitUntil(async () => browser.execute(() => {
        const row = [...document.querySelectorAll('[data-testid="p-row"]')].find((r) => (r.textContent || '').includes('lea.moreau@exemple.fr'));
        return row ? row.getAttribute('data-status') : null;
      }).then((s) => s === 'accepted'), { timeout: 10000, timeoutMsg: "Léa's status became accepted in the list" });
      await browser.saveScreenshot(join(shots, 'invitations-rsvp.png'));

      // At the door: Léa's badge is scanned (a scanner types the code and Enter).
      const leaBadge = await browser.execute(() => {
        const row = [...document.querySelectorAll('[data-testid="p-row"]')].find((r) => (r.textContent || '').includes('lea.moreau@exemple.fr'));
        const b = row && row.querySelector('[data-testid="p-badge"]');
        if (b) b.click();
        return !!b;
      });
      assert(leaBadge, 'a badge button on the row');
      const codeEl = await $id('p-badge-code');
      await codeEl.waitForDisplayed({ timeout: 10000 });
      const code = (await texts('p-badge-code'))[0];
      await browser.keys('Escape');
      const scan = await $id('p-scan');
      await scan.waitForDisplayed({ timeout: 5000 });
      await scan.setValue(code);
      await browser.keys('Enter');
      await browser.waitUntil(async () => browser.execute(() => {
        const row = [...document.querySelectorAll('[data-testid="p-row"]')].find((r) => (r.textContent || '').includes('lea.moreau@exemple.fr'));
        return row ? row.getAttribute('data-status') : null;
      }).then((s) => s === 'checked_in'), { timeout: 10000, timeoutMsg: 'the scanned badge checked Léa in' });
      await (await $id('portal-stop')).click();
    } finally {
      sink.stop();
    }
  });
}
