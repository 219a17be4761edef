// The participants flow: import a French Excel CSV through the wizard (the open dialog is
// replaced by EVENTHUB_E2E_OPEN_FILE, see e2e/run.mjs), see the rows and the per-row
// report, change a status, check someone in by search, hit the capacity (waitlist), and
// read the audit trail; the database is checked through the CLI.
import { writeFileSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default async function ({ browser, test, assert, $id, texts, setValue, layoutProblems, setViewport, englishIn, cliJson, shots, env }) {
  const stamp = Date.now().toString(36).slice(-5);
  const title = `Cocktail Partenaires ${stamp}`;
  const dir = mkdtempSync(join(tmpdir(), 'eh-e2e-p-'));
  const file = join(dir, 'event.json');
  writeFileSync(file, JSON.stringify({
    title,
    starts_at: '2027-09-10T16:00:00Z',
    ends_at: '2027-09-10T21:00:00Z',
    timezone: 'Europe/Paris',
    status: 'published',
    capacity: 2,
  }));
  const ev = cliJson('events', 'create', '--from-json', file);

  const count = async (status) => {
    const [txt] = await texts(`p-count-${status}`);
    const m = /(\d+)\s*$/.exec(txt || '');
    return m ? Number(m[1]) : -1;
  };
  const rowId = (name) => browser.execute((n) => {
    const row = [...document.querySelectorAll('[data-testid="p-row"]')].find((r) => (r.textContent || '').includes(n));
    return row ? row.getAttribute('data-id') : null;
  }, name);

  await test('import a French Excel CSV through the wizard and see the rows and the report', async () => {
    await (await $id('nav-participants')).click();
    const sel = await $id('p-event');
    await sel.waitForDisplayed({ timeout: 10000 });
    await browser.waitUntil(async () => browser.execute((id) => !!document.querySelector(`[data-testid="p-event"] option[value="${id}"]`), ev._id), { timeout: 10000, timeoutMsg: 'the event is offered' });
    await setValue(sel, ev._id);
    await (await $id('p-empty')).waitForDisplayed({ timeout: 10000 });

    await (await $id('p-import')).click();
    const preview = await $id('imp-preview');
    await preview.waitForDisplayed({ timeout: 10000 });
    assert((await texts('imp-file'))[0] === 'e2e_invites.csv', 'the file name is shown');
    assert((await texts('imp-preview-row')).some((r) => r.includes('Léa') && r.includes('Atelier Lumière')), 'Windows-1252 accents are decoded in the preview');
    const mapped = await browser.execute(() => document.querySelector('[data-testid="imp-map-2"]').value);
    assert(mapped === 'email', `the e-mail column is recognised: ${mapped}`);
    await browser.saveScreenshot(join(shots, 'participants-import-preview.png'));

    await (await $id('imp-go')).click();
    const summary = await $id('imp-summary');
    await summary.waitForDisplayed({ timeout: 20000 });
    const imported = (await texts('imp-imported'))[0];
    assert(/^3\b/.test(imported), `3 imported: ${imported}`);
    const errs = await browser.execute(() => [...document.querySelectorAll('[data-testid="imp-error"]')].map((e) => [e.getAttribute('data-line'), e.getAttribute('data-kind')]));
    assert(JSON.stringify(errs) === JSON.stringify([['5', 'invalid_email']]), `line 5 is reported: ${JSON.stringify(errs)}`);
    await browser.saveScreenshot(join(shots, 'participants-import-report.png'));
    await (await $id('imp-close')).click();

    await browser.waitUntil(async () => (await texts('p-row')).length === 3, { timeout: 10000, timeoutMsg: 'three rows in the list' });
    const names = await texts('p-name');
    assert(names.includes('Léa Moreau') && names.includes('Inès Garnier'), `names: ${names}`);
    assert(await count('invited') === 3, 'three invited');
    const stored = cliJson('participants', 'list', ev._id);
    assert(stored.total === 3, `three stored: ${stored.total}`);
  });

  await test('change a status, check in by search, and the waitlist when full', async () => {
    const lea = await rowId('Léa Moreau');
    await setValue(await browser.$(`tr[data-id="${lea}"] [data-testid="p-status-select"]`), 'accepted');
    await browser.waitUntil(async () => (await count('accepted')) === 1, { timeout: 10000, timeoutMsg: 'the accepted count becomes 1' });
    assert(await count('invited') === 2, 'two still invited');

    await setValue(await $id('p-search'), 'hugo bern');
    await browser.waitUntil(async () => (await texts('p-row')).length === 1, { timeout: 10000, timeoutMsg: 'the search finds Hugo' });
    await (await $id('p-checkin')).click();
    await browser.waitUntil(async () => (await count('checked_in')) === 1, { timeout: 10000, timeoutMsg: 'the checked-in count becomes 1' });

    await setValue(await $id('p-search'), '');
    await browser.waitUntil(async () => (await texts('p-row')).length === 3, { timeout: 10000, timeoutMsg: 'all rows back' });
    const ines = await rowId('Inès Garnier');
    await setValue(await browser.$(`tr[data-id="${ines}"] [data-testid="p-status-select"]`), 'accepted');
    await browser.waitUntil(async () => (await count('waitlisted')) === 1, { timeout: 10000, timeoutMsg: 'the event is full: Inès is waitlisted' });
    assert((await texts('p-capacity'))[0].includes('2'), 'the seats are shown');
    await browser.saveScreenshot(join(shots, 'participants-list.png'));

    const byStatus = Object.fromEntries(cliJson('participants', 'list', ev._id).items.map((p) => [p.name, p.status]));
    assert(byStatus['Léa Moreau'] === 'accepted', `Léa: ${byStatus['Léa Moreau']}`);
    assert(byStatus['Hugo Bernard'] === 'checked_in', `Hugo: ${byStatus['Hugo Bernard']}`);
    assert(byStatus['Inès Garnier'] === 'waitlisted', `Inès: ${byStatus['Inès Garnier']}`);
  });

  await test('adding someone with a broken e-mail says why, in French, and writes nothing', async () => {
    await (await $id('p-add')).click();
    const email = await $id('add-email');
    await email.waitForDisplayed({ timeout: 5000 });
    await setValue(await $id('add-name'), 'Zoé Test');
    await setValue(email, 'zoe@');
    await (await $id('add-save')).click();
    const err = await $id('add-error');
    await err.waitForDisplayed({ timeout: 10000 });
    const text = (await texts('add-error'))[0];
    assert(text.includes('E-mail') && text.includes('domaine incorrect après le @') && text.includes('zoe@'), `the reason in French: ${text}`);
    assert(englishIn([text]).length === 0, `no English: ${text}`);
    await browser.keys('Escape');
    const stored = cliJson('participants', 'list', ev._id);
    assert(stored.total === 3, `nothing added: ${stored.total}`);
  });

  await test('the audit trail says who changed what', async () => {
    const hugo = await rowId('Hugo Bernard');
    await (await browser.$(`tr[data-id="${hugo}"] [data-testid="p-menu"]`)).click();
    const item = await browser.$(`tr[data-id="${hugo}"] [data-testid="p-audit"]`);
    await item.waitForClickable({ timeout: 5000 });
    await item.click();
    await (await $id('p-audit-list')).waitForDisplayed({ timeout: 10000 });
    const entries = await texts('p-audit-entry');
    assert(entries.length === 2, `check-in and import: ${entries.length}`);
    assert(entries[0].includes('e2e@test'), `the actor is shown: ${entries[0]}`);
    assert(entries[1].includes('e2e_invites.csv'), `the import names the file: ${entries[1]}`);
    await browser.saveScreenshot(join(shots, 'participants-audit.png'));
    await (await $id('p-audit-close')).click();
  });

  await test('the list keeps every column, without overlap or clipping, at 1024 and 1280 px', async () => {
    try {
      for (const width of [1024, 1280]) {
        await setViewport(width);
        const problems = await layoutProblems('[data-testid="p-row"]');
        assert(problems.length === 0, `at ${width} px: ${problems.join('; ')}`);
        // Who, the response, the invitation e-mail's state and the check-in stay on screen.
        const shown = await browser.execute(() => {
          const row = document.querySelector('[data-testid="p-row"]');
          const seen = (e) => !!e && e.getBoundingClientRect().width > 0;
          return {
            email: seen(row.querySelector('.p-email')),
            status: seen(row.querySelector('[data-testid="p-status-select"]')),
            invitation: [...row.querySelectorAll('.chip-sm[data-invitation]')].some(seen),
            checkIn: seen(row.querySelector('[data-testid="p-checkin"]')),
            menu: seen(row.querySelector('[data-testid="p-menu"]')),
          };
        });
        assert(Object.values(shown).every(Boolean), `at ${width} px every column is visible: ${JSON.stringify(shown)}`);
        await browser.saveScreenshot(join(shots, `participants-${width}.png`));
      }
    } finally {
      await setViewport(1280);
    }
  });

  await test('open the participants from the event row and export the list for Excel', async () => {
    await (await $id('nav-events')).click();
    const search = await $id('search');
    await search.waitForDisplayed({ timeout: 5000 });
    await setValue(search, `cocktail partenaires ${stamp}`);
    await browser.waitUntil(async () => {
      const rows = await texts('event-row');
      return rows.length === 1 && rows[0].includes(title);
    }, { timeout: 10000, timeoutMsg: 'the event is found' });
    await (await $id('row-participants')).click();
    await browser.waitUntil(async () => (await texts('p-row')).length === 3, { timeout: 10000, timeoutMsg: 'the event\'s participants are shown' });
    const chosen = await browser.execute(() => document.querySelector('[data-testid="p-event"]').value);
    assert(chosen === ev._id, 'the event is selected');

    await (await $id('p-count-accepted')).click();
    await browser.waitUntil(async () => (await texts('p-row')).length === 1, { timeout: 10000, timeoutMsg: 'the accepted filter' });
    await (await $id('p-export')).click();
    const out = join(env.EVENTHUB_E2E_SAVE_DIR, `participants-cocktail-partenaires-${stamp}.csv`);
    await browser.waitUntil(() => existsSync(out), { timeout: 10000, timeoutMsg: `the export is written: ${out}` });
    const bytes = readFileSync(out);
    assert(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, 'UTF-8 BOM for Excel');
    const text = bytes.subarray(3).toString('utf8');
    assert(text.startsWith('Nom;E-mail;Société'), `French header and separator: ${text.slice(0, 40)}`);
    assert(text.trim().split('\r\n').length === 2 && text.includes('Léa Moreau;lea.moreau@exemple.fr'), `only the filtered row: ${text}`);
    await (await $id('p-count-accepted')).click();
    // Leave no toast over the next tests' buttons.
    await browser.execute(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
  });
  await test('door mode: find a person, check in with Enter, counters and latest arrivals', async () => {
    await (await $id('p-door')).click();
    const search = await $id('door-search');
    await search.waitForDisplayed({ timeout: 5000 });
    const arrived = async () => Number(((await texts('door-arrived'))[0] || '').replace(/\D+/g, '') || -1);
    await browser.waitUntil(async () => (await arrived()) === 1, { timeout: 10000, timeoutMsg: 'one arrival counted (Hugo)' });
    await setValue(search, 'léa');
    await browser.waitUntil(async () => (await texts('door-row')).length === 1, { timeout: 10000, timeoutMsg: 'the door search finds Léa' });
    await browser.keys('Enter');
    await browser.waitUntil(async () => (await arrived()) === 2, { timeout: 10000, timeoutMsg: 'Léa is counted as arrived' });
    assert((await texts('door-recent-item')).some((x) => x.includes('Léa Moreau')), 'Léa is among the latest arrivals');
    await browser.saveScreenshot(join(shots, 'participants-door.png'));
    await (await $id('door-exit')).click();
    await browser.waitUntil(async () => (await count('checked_in')) === 2, { timeout: 10000, timeoutMsg: 'the list shows two present' });
    const stored = cliJson('participants', 'list', ev._id).items.find((p) => p.name === 'Léa Moreau');
    assert(stored.status === 'checked_in', `Léa stored as checked in: ${stored.status}`);
  });
}
