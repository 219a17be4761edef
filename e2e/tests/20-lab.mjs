// The Index lab in the real window: generate a small data set, run one query with each of
// its index variants, see the result table (a collection scan, then an index scan), and
// export the report (written to EVENTHUB_E2E_SAVE_DIR instead of a save dialog).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export default async function ({ browser, test, assert, $id, texts, setValue, cliJson, shots, env }) {
  await test('index lab: generate 2,000 documents, run the e-mail lookup, see COLLSCAN then IXSCAN, export the report', async () => {
    // The lab lives in the Advanced area, out of the main navigation.
    const adv = await $id('nav-advanced');
    await adv.waitForClickable({ timeout: 30000 });
    await adv.click();
    const nav = await $id('nav-lab');
    await nav.waitForClickable({ timeout: 30000 });
    await nav.click();
    const gen = await $id('lab-generate');
    await gen.waitForClickable({ timeout: 15000 });
    await setValue(await $id('lab-scale'), '2000');
    await setValue(await $id('lab-seed'), '7');
    await gen.click();
    await browser.waitUntil(async () => /(graine|seed) 7\)/.test((await texts('lab-data')).join('')), {
      timeout: 60000,
      timeoutMsg: 'the data set line shows the new data set (seed 7)',
    });
    const data = (await texts('lab-data')).join('');
    assert(/2[\s\u202f\u00a0,.]?000/.test(data), `2,000 documents announced: ${data}`);

    await setValue(await $id('lab-query'), 'participant_by_token');
    await setValue(await $id('lab-runs'), '3');
    const run = await $id('lab-run');
    await run.waitForClickable({ timeout: 10000 });
    await run.click();
    await browser.waitUntil(async () => (await texts('lab-result-row')).length >= 4 && (await texts('lab-query-result')).length === 1, {
      timeout: 60000,
      timeoutMsg: 'the result table of one query appears',
    });
    const rows = await texts('lab-result-row');
    assert(rows[0].includes('COLLSCAN'), `no index: a collection scan (${rows[0]})`);
    assert(rows.some((r) => r.includes('IXSCAN')), `an index scan with an index: ${rows.join(' | ')}`);
    const verdict = (await texts('lab-verdict')).join('');
    assert(verdict.includes('IXSCAN'), `the verdict names the index scan: ${verdict}`);
    await browser.saveScreenshot(join(shots, 'lab-results.png'));

    // The run is saved in the database: the CLI (same core, no UI) sees it.
    const saved = cliJson('lab', 'runs');
    assert(saved.length >= 1 && saved[0].scale === 2000, `run saved: ${JSON.stringify(saved[0])}`);

    await (await $id('lab-export')).click();
    await browser.waitUntil(async () => (await texts('toast')).some((x) => x.includes(env.EVENTHUB_E2E_SAVE_DIR)), {
      timeout: 15000,
      timeoutMsg: 'a toast gives the path of the exported report',
    });
    const toast = (await texts('toast')).find((x) => x.includes(env.EVENTHUB_E2E_SAVE_DIR));
    const path = toast.slice(toast.indexOf(env.EVENTHUB_E2E_SAVE_DIR)).trim();
    assert(existsSync(path), `report written at ${path}`);
    const html = readFileSync(path, 'utf8');
    assert(html.includes('<svg') && html.includes('participant_by_token'), 'the report has charts and the query');
    // Leave the window as found: dismiss the toasts (they could cover the next test's buttons).
    await browser.execute(() => document.querySelectorAll('.toast-close').forEach((b) => b.click()));
    await browser.waitUntil(async () => (await texts('toast')).length === 0, { timeout: 5000, timeoutMsg: 'toasts dismissed' });
  });
}
