// Networking end to end: two participants (imported with the CLI, same database) open their
// personal links on "phones" (node fetch against the participant portal, served by the CLI
// on a free port), opt in to a profile, one scans the other's badge code, the other
// accepts; both see the connection and export it (vCard, CSV). In the real window the
// dashboard's networking card counts the connection and exports the figures.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitListening } from '../lib.mjs';

export default async function ({ browser, test, assert, $id, texts, chartSum, setValue, cliJson, shots, env, cli, db }) {
  await test('networking: two phones connect through the portal, both export it, the dashboard counts it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventhub-net-'));
    const evFile = join(dir, 'event.json');
    writeFileSync(evFile, JSON.stringify({ title: 'Forum Réseau', starts_at: '2027-09-14T07:00:00Z', ends_at: '2027-09-14T16:00:00Z', status: 'published' }));
    const ev = cliJson('events', 'create', '--from-json', evFile);
    const csv = join(dir, 'people.csv');
    writeFileSync(csv, 'Nom;E-mail;Société\nAnne Martin;anne@acme.example;Acme\nBruno Petit;bruno@globex.example;Globex\n');
    cliJson('participants', 'import', ev._id, csv);
    const people = cliJson('participants', 'list', ev._id).items;
    const anne = people.find((p) => p.email === 'anne@acme.example');
    const bruno = people.find((p) => p.email === 'bruno@globex.example');
    assert(anne && bruno, 'both participants imported');

    const port = await freePort();
    const portal = spawn(cli, ['--db', db, 'portal', 'serve', '--bind', `127.0.0.1:${port}`], { env, stdio: 'ignore' });
    try {
      await waitListening(port, 'portal');
      const base = `http://127.0.0.1:${port}`;
      const token = (id) => execFileSync(cli, ['--db', db, 'invitations', 'link', id, '--base-url', base], { env, encoding: 'utf8' }).trim().split('/r/')[1];
      const [ta, tb] = [token(anne._id), token(bruno._id)];
      const form = (path, body) => fetch(`${base}${path}`, {
        method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'fr' }, body,
      });
      const page = async (path) => (await fetch(`${base}${path}`, { headers: { 'accept-language': 'fr' } })).text();

      // Both accept the invitation and opt in to a profile.
      for (const t of [ta, tb]) {
        const r = await form(`/r/${t}`, 'answer=accepted');
        assert(r.status < 400, `RSVP accepted (${r.status})`);
      }
      let r = await form(`/n/${ta}/profile`, 'opted_in=on&headline=CTO&company=Acme&interests=rust%2C+data&share_email=on');
      assert(r.status === 303, `Anne's profile saved (${r.status})`);
      r = await form(`/n/${tb}/profile`, 'opted_in=on&headline=Designer&company=Globex&interests=data%2C+ux&share_email=on');
      assert(r.status === 303, `Bruno's profile saved (${r.status})`);

      // Anne scans Bruno's badge; Bruno accepts.
      r = await form(`/n/${ta}/connect`, `code=${encodeURIComponent(`EVENTHUB:${ev._id}:${bruno._id}`)}`);
      assert(r.status === 303, `request sent (${r.status})`);
      const bPage = await page(`/n/${tb}`);
      const action = (bPage.match(new RegExp(`/n/${tb}/requests/[0-9a-f-]+`)) || [])[0];
      assert(action, 'Bruno sees the request');
      r = await form(action, 'action=accept');
      assert(r.status === 303, `request accepted (${r.status})`);

      // Both see the connection and export it.
      for (const [t, other, email] of [[ta, 'Bruno Petit', 'bruno@globex.example'], [tb, 'Anne Martin', 'anne@acme.example']]) {
        const home = await page(`/n/${t}`);
        assert(home.includes(other), `the connection is listed with ${other}`);
        const vcf = await (await fetch(`${base}/n/${t}/connections.vcf`)).text();
        assert(vcf.includes('BEGIN:VCARD') && vcf.includes(`FN:${other}`) && vcf.includes(email), `vCard export names ${other}`);
        const list = await (await fetch(`${base}/n/${t}/connections.csv`)).text();
        assert(list.includes(email), `CSV export has ${email}`);
      }

      // The organiser's dashboard counts it and exports the figures.
      await (await $id('nav-dashboard')).click();
      const sel = await $id('dash-event');
      await sel.waitForExist({ timeout: 15000 });
      await browser.waitUntil(async () => (await browser.execute((id) => [...document.querySelectorAll('[data-testid="dash-event"] option')].some((o) => o.value === id), ev._id)), {
        timeout: 15000, timeoutMsg: 'the event is in the dashboard list',
      });
      await setValue(await $id('dash-event'), ev._id);
      // One read of the card (it is re-rendered as figures arrive).
      const card = async () => browser.execute(() => {
        const t = (id) => [...document.querySelectorAll(`[data-testid="${id}"]`)].map((e) => e.textContent.trim()).join('|');
        return { connections: t('kpi-nw-connections-value'), opted: t('kpi-nw-opted-value'), companies: t('nw-companies')};
      });
      let c = null;
      await browser.waitUntil(async () => {
        c = await card();
        return c.connections === '1' && c.opted === '2' && c.companies.includes('Acme') && c.companies.includes('Globex');
      }, { timeout: 20000, timeoutMsg: `the networking card counts one connection, two public profiles, both companies: ${JSON.stringify(c)}` });
      // The connection is one of the interactions over time (the chart's third series).
      await browser.waitUntil(async () => (await chartSum('timeline-chart', 2)) === 1, { timeout: 10000, timeoutMsg: 'the interactions chart counts the connection' });
      await browser.execute(() => document.querySelector('[data-testid="dash-networking"]').scrollIntoView());
      await browser.saveScreenshot(join(shots, 'dashboard-networking.png'));
      const out = join(env.EVENTHUB_E2E_SAVE_DIR, 'networking-forum-reseau.csv');
      // The live dashboard re-renders its cards as figures arrive: a click can land on an
      // export button that is being replaced. Click the current button again, at most three
      // times five seconds apart, until the file is written.
      let clicks = 0;
      let last = 0;
      await browser.waitUntil(async () => {
        if (existsSync(out)) return true;
        if (clicks < 3 && Date.now() - last > 5000) {
          await (await $id('nw-export')).click();
          clicks += 1;
          last = Date.now();
        }
        return false;
      }, { timeout: 20000, interval: 250, timeoutMsg: `the networking CSV is written (${out}, ${clicks} clicks)` });
      const body = readFileSync(out, 'utf8');
      assert(body.includes('Acme') && body.includes('Globex'), 'the CSV has the companies');
    } finally {
      portal.kill();
    }
  });
}
