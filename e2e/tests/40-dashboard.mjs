// Live poll and dashboard in the real window: an event (made with the CLI, same core), a
// rating poll created and opened in the UI, its portal link read from the screen, five
// simulated phones answering over HTTP (node fetch, anonymous devices), the dashboard
// updating live without any click, then the CSV and HTML exports
// (written to EVENTHUB_E2E_SAVE_DIR instead of a save dialog).
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default async function ({ browser, test, assert, $id, texts, chartSum, setValue, cliJson, shots, env }) {
  await test('dashboard: open a live poll, phones answer through the portal, figures update live, export', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventhub-dash-'));
    const file = join(dir, 'event.json');
    writeFileSync(file, JSON.stringify({
      title: 'Conférence Temps Réel',
      starts_at: '2027-10-05T07:00:00Z',
      ends_at: '2027-10-05T16:00:00Z',
      status: 'published',
      sessions: [{ title: 'Keynote live', starts_at: '2027-10-05T08:00:00Z', ends_at: '2027-10-05T09:00:00Z', capacity: 50 }],
    }));
    const ev = cliJson('events', 'create', '--from-json', file);
    assert(ev._id, 'event created');
    const other = cliJson('events', 'create', '--title', 'Conférence Voisine', '--starts', '2027-10-06T07:00:00Z', '--ends', '2027-10-06T16:00:00Z');

    const nav = await $id('nav-dashboard');
    await nav.waitForClickable({ timeout: 30000 });
    await nav.click();
    const sel = await $id('dash-event');
    await sel.waitForExist({ timeout: 15000 });
    await setValue(sel, ev._id);
    // A change of event re-opens the watch, so the badge may read "off" for a moment.
    let mode = 'off';
    await browser.waitUntil(async () => {
      mode = await (await $id('dash-live')).getAttribute('data-mode');
      return (await texts('dash-live')).join('').length > 0 && mode === 'change_stream';
    }, { timeout: 15000 }).catch(() => {});
    assert(mode === 'change_stream', `live through a change stream on this server (${mode})`);

    // Switching events re-opens the watch: the badge keeps reading live meanwhile (no
    // flicker to "off"), even when the event is chosen twice in a row.
    await browser.execute(() => {
      const el = document.querySelector('[data-testid="dash-live"]');
      window.__liveModes = [];
      new MutationObserver(() => window.__liveModes.push(el.getAttribute('data-mode'))).observe(el, { attributes: true, childList: true, subtree: true });
    });
    await setValue(sel, other._id);
    await setValue(sel, other._id);
    await setValue(sel, ev._id);
    await browser.waitUntil(async () => browser.execute(() => !!document.querySelector('.dash-kpis')), { timeout: 15000, timeoutMsg: 'the figures are back' });
    await browser.pause(500);
    const modes = await browser.execute(() => window.__liveModes);
    assert(modes.length > 0 && modes.every((m) => m === 'change_stream'), `the live badge never reads off while switching: ${modes}`);

    // Figures first: the headline numbers are at the top of the screen, above any question.
    await browser.waitUntil(async () => browser.execute(() => !!document.querySelector('.dash-kpis')), { timeout: 15000, timeoutMsg: 'the figures are computed' });
    const firstBox = await browser.execute(() => {
      const main = document.getElementById('main').getBoundingClientRect();
      const kpis = document.querySelector('.dash-kpis');
      const q = document.querySelector('[data-testid="q-list"]');
      return { kpiTop: kpis ? kpis.getBoundingClientRect().top - main.top : -1, kpiShown: !!kpis && kpis.getBoundingClientRect().height > 0, questionsShown: !!q && q.getBoundingClientRect().height > 0 };
    });
    assert(firstBox.kpiShown && firstBox.kpiTop >= 0 && firstBox.kpiTop < 400, `the figures open the screen: ${JSON.stringify(firstBox)}`);
    assert(!firstBox.questionsShown, 'question management is in its own tab');
    await (await $id('dash-tab-questions')).click();
    await setValue(await $id('q-kind'), 'rating');
    await setValue(await $id('q-label-fr'), 'Votre note pour la keynote ?');
    await setValue(await $id('q-label-en'), 'Rate the keynote');
    await (await $id('q-add')).click();
    await browser.waitUntil(async () => (await texts('q-row')).length === 1, { timeout: 10000, timeoutMsg: 'the poll is listed' });
    // Reword it in place.
    await (await $id('q-edit')).click();
    await (await $id('q-edit-fr')).waitForExist({ timeout: 5000 });
    await setValue(await $id('q-edit-fr'), 'Votre note pour la keynote d’ouverture ?');
    await (await $id('q-edit-save')).click();
    await browser.waitUntil(async () => (await texts('q-row')).join('').includes('keynote d’ouverture'), { timeout: 10000, timeoutMsg: 'the new wording is listed' });
    await (await $id('q-open')).click();
    await browser.waitUntil(async () => (await texts('q-status')).join('').match(/Ouvert|Open/), { timeout: 10000, timeoutMsg: 'the poll is open' });
    await (await $id('q-link')).click();
    await browser.waitUntil(async () => (await texts('q-link-url')).length === 1, { timeout: 15000, timeoutMsg: 'the poll link is shown (portal started)' });
    const url = (await texts('q-link-url'))[0].trim();
    assert(/^http:\/\/[^/]+\/p\/[0-9a-f-]{36}$/.test(url), `poll URL: ${url}`);
    const local = url.replace(/^http:\/\/[^/]+/, `http://127.0.0.1:${new URL(url).port}`);

    // The phone page renders the question.
    const page = await (await fetch(local, { headers: { 'accept-language': 'en' } })).text();
    assert(page.includes('Rate the keynote'), 'the portal shows the poll');

    const before = (await texts('kpi-answers-value')).join('');
    assert(before.trim() === '0', `no answers yet (${before})`);
    // Each phone opens the page first: the portal hands it a signed device cookie.
    const deviceCookie = async () => (await fetch(local)).headers.get('set-cookie').split(';')[0];
    const values = [5, 4, 5, 3, 4];
    for (const [i, v] of values.entries()) {
      const res = await fetch(local, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: await deviceCookie() },
        body: JSON.stringify({ value: v }),
      });
      assert(res.status === 200, `phone ${i} answer accepted (${res.status})`);
    }
    const forged = await fetch(local, { method: 'POST', headers: { 'content-type': 'application/json', cookie: 'eh_rid=e2e-phone-x-abcdefghij' }, body: '{"value": 4}' });
    assert(forged.status === 403, `an invented device cookie is refused (${forged.status})`);
    const bad = await fetch(local, { method: 'POST', headers: { 'content-type': 'application/json', cookie: await deviceCookie() }, body: '{"value": 11}' });
    assert(bad.status === 400, `out-of-range refused with 400 (${bad.status})`);

    // Live: no click, the figures follow.
    await browser.waitUntil(async () => (await texts('kpi-answers-value')).join('').trim() === '5', {
      timeout: 10000, timeoutMsg: 'the dashboard shows the 5 answers without a reload',
    });
    const dist = (await texts('dist')).join(' ');
    assert(/4[.,]2/.test(dist), `average 4.2 shown: ${dist}`);
    // The interactions chart (Chart.js) draws the same 5 answers.
    await browser.waitUntil(async () => (await chartSum('timeline-chart', 0)) === 5, { timeout: 10000, timeoutMsg: 'the interactions chart counts the 5 answers' });
    const counts = (await texts('q-count')).join('');
    assert(counts.includes('5'), `the poll row counts 5 answers: ${counts}`);
    await browser.saveScreenshot(join(shots, 'dashboard-live.png'));
    await (await $id('dash-tab-figures')).click();
    await browser.execute(() => { const m = document.getElementById('main'); m.scrollTop = m.scrollHeight; });
    await browser.saveScreenshot(join(shots, 'dashboard-figures.png'));

    await (await $id('dash-export-csv')).click();
    await browser.waitUntil(async () => (await texts('toast')).some((x) => x.includes(env.EVENTHUB_E2E_SAVE_DIR) && x.includes('.csv')), {
      timeout: 15000, timeoutMsg: 'a toast gives the CSV path',
    });
    const csvToast = (await texts('toast')).find((x) => x.includes('.csv'));
    const csvPath = csvToast.slice(csvToast.indexOf(env.EVENTHUB_E2E_SAVE_DIR)).trim();
    const csv = readFileSync(csvPath, 'utf8');
    assert(csv.includes('distribution,Votre note pour la keynote d’ouverture ?,5,5,2'), `CSV has the distribution: ${csv.slice(0, 400)}`);

    await (await $id('dash-export-html')).click();
    await browser.waitUntil(async () => (await texts('toast')).some((x) => x.includes('.html')), { timeout: 15000, timeoutMsg: 'a toast gives the HTML path' });
    const htmlToast = (await texts('toast')).find((x) => x.includes('.html'));
    const htmlPath = htmlToast.slice(htmlToast.indexOf(env.EVENTHUB_E2E_SAVE_DIR)).trim();
    assert(existsSync(htmlPath), `snapshot written at ${htmlPath}`);
    const html = readFileSync(htmlPath, 'utf8');
    assert(html.includes('<img src="data:image/png;base64,') && html.includes('<style>') && !html.includes('<script'), 'self-contained snapshot: charts as inline images, CSS, no script');
    assert(html.includes('Conférence Temps Réel'), 'snapshot names the event');
    await browser.execute(() => document.querySelectorAll('.toast-close').forEach((b) => b.click()));
  });
}
