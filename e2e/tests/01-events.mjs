// The events flow: connect, create with a speaker and a session, search, field errors.
import { join } from 'node:path';

export default async function ({ browser, test, assert, $id, texts, setValue, englishIn, cliJson, shots }) {
  await test('the app connects to the database and shows the events list', async () => {
    const btn = await $id('new-event');
    await btn.waitForClickable({ timeout: 30000 });
    // The badge says it in words; the engine and its version are in its tooltip.
    await browser.waitUntil(async () => /\d+\.\d+/.test(await (await $id('server-badge')).getAttribute('title')), {
      timeout: 15000,
      timeoutMsg: 'the server badge carries the server version in its tooltip',
    });
    const words = (await texts('server-badge')).join('');
    assert(/Données sur cet ordinateur|Connecté au serveur partagé/.test(words) && !/\d+\.\d+/.test(words), `the badge speaks plainly: ${words}`);
  });

  const stamp = Date.now().toString(36).slice(-5);
  const title = `Journée Écoresponsable ${stamp}`;
  await test('create an event with a speaker and a session, find it by search, check it in the database', async () => {
    await (await $id('new-event')).click();
    const t = await $id('f-title');
    await t.waitForDisplayed({ timeout: 10000 });
    await t.setValue(title);
    await setValue(await $id('f-starts'), '2027-04-15T09:00');
    await setValue(await $id('f-ends'), '2027-04-15T18:00');
    // The native input follows the system's locale; the words beside it follow the app's.
    const words = (await texts('f-starts-words'))[0];
    assert(words === 'jeudi 15 avril 2027 à 09:00 (heure de Paris)', `the start in French words: ${words}`);
    await (await $id('f-venue-name')).setValue('Halle Tony Garnier');

    await (await $id('tab-speakers')).click();
    await (await $id('add-speaker')).click();
    const name = await $id('speaker-name');
    await name.waitForDisplayed({ timeout: 5000 });
    await name.setValue('Zoé Dupont');
    await (await $id('speaker-title')).setValue('Directrice RSE');

    await (await $id('tab-sessions')).click();
    await (await $id('add-session')).click();
    const st = await $id('session-title');
    await st.waitForDisplayed({ timeout: 5000 });
    await st.setValue("Keynote d'ouverture");
    await setValue(await $id('session-starts'), '2027-04-15T09:30');
    await setValue(await $id('session-ends'), '2027-04-15T10:30');
    const sw = (await texts('session-ends-words'))[0];
    assert(sw === 'jeudi 15 avril 2027 à 10:30 (heure de Paris)', `the session's end in French words: ${sw}`);
    await (await $id('session-room')).setValue('Grande Halle');
    const spk = await $id('session-speaker');
    if (!(await spk.isSelected())) await spk.click();

    await (await $id('save-event')).click();
    await (await $id('toast')).waitForDisplayed({ timeout: 10000 });
    await browser.saveScreenshot(join(shots, 'editor-saved.png'));

    await (await $id('nav-events')).click();
    const search = await $id('search');
    await search.waitForDisplayed({ timeout: 5000 });
    await search.setValue(`ecoresponsable ${stamp}`); // no accents, lower case
    await browser.waitUntil(async () => {
      const rows = await texts('event-row');
      return rows.length === 1 && rows[0].includes(title);
    }, { timeout: 10000, timeoutMsg: 'the search did not show exactly the new event' });
    await browser.saveScreenshot(join(shots, 'list-search.png'));
    // One match: the page itself says how many (no count asked), in French.
    const sub = await browser.execute(() => document.getElementById('list-sub')?.textContent ?? '');
    assert(sub === '1 événement', `the subtitle counts the match: ${sub}`);

    const page = cliJson('events', 'list', '--search', 'ecoresponsable');
    assert(page.total === 1, `one event in the database, got ${page.total}`);
    const ev = cliJson('events', 'show', page.items[0]._id);
    assert(ev.title === title, `title stored: ${ev.title}`);
    assert(ev.starts_at === '2027-04-15T07:00:00.000Z', `09:00 Paris stored as 07:00 UTC: ${ev.starts_at}`);
    assert(ev.venue.name === 'Halle Tony Garnier', 'venue stored');
    assert(ev.speakers.length === 1 && ev.speakers[0].name === 'Zoé Dupont', 'speaker stored');
    assert(ev.sessions.length === 1 && ev.sessions[0].title === "Keynote d'ouverture", 'session stored');
    assert(ev.sessions[0].room === 'Grande Halle', 'session room stored');
    assert(JSON.stringify(ev.sessions[0].speaker_ids) === JSON.stringify([ev.speakers[0].id]),
      `the session names its speaker: ${JSON.stringify(ev.sessions[0].speaker_ids)}`);
    assert(ev.updated_by === 'e2e@test', 'who wrote it is recorded');
  });

  await test('a search with more matches than a page shows the page, then the count, and pages on', async () => {
    const word = `zephyr${stamp}`;
    for (let i = 1; i <= 23; i++) {
      const day = String(i).padStart(2, '0');
      cliJson('events', 'create', '--title', `Colloque Zéphyr${stamp} ${i}`, '--starts', `2027-06-${day}T09:00:00+02:00`, '--ends', `2027-06-${day}T17:00:00+02:00`);
    }
    const search = await $id('search');
    await search.setValue(word);
    const state = () => browser.execute(() => [document.getElementById('list-sub')?.textContent ?? '', document.querySelector('[data-testid="page-range"]')?.textContent ?? '', document.querySelectorAll('[data-testid="event-row"]').length]);
    await browser.waitUntil(async () => (await state())[0] === '23 événements', { timeout: 10000, timeoutMsg: `the count arrives after the page: ${JSON.stringify(await state())}` });
    const [, range, rows] = await state();
    assert(range === '1–20 sur 23' && rows === 20, `first page: ${range}, ${rows} rows`);
    const next = await $id('page-next');
    assert(await next.isEnabled(), 'a next page exists');
    await next.click();
    await browser.waitUntil(async () => (await state())[1] === '21–23 sur 23', { timeout: 10000, timeoutMsg: `second page: ${JSON.stringify(await state())}` });
    assert(!(await (await $id('page-next')).isEnabled()), 'the last page has no next page');
    const db = cliJson('events', 'list', '--search', word);
    assert(db.total === 23 && db.capped === false, `the database holds the 23: ${db.total}`);
    await search.clearValue();
  });

  await test('a field error is shown next to the field and nothing is written', async () => {
    await (await $id('new-event')).click();
    const t = await $id('f-title');
    await t.waitForDisplayed({ timeout: 10000 });
    await t.setValue('Dates à l’envers');
    await setValue(await $id('f-starts'), '2027-05-02T18:00');
    await setValue(await $id('f-ends'), '2027-05-02T09:00');
    await (await $id('save-event')).click();
    const err = await $id('field-error');
    await err.waitForDisplayed({ timeout: 10000 });
    await browser.saveScreenshot(join(shots, 'field-error.png'));
    const page = cliJson('events', 'list', '--search', 'envers');
    assert(page.total === 0, 'nothing written');
  });

  await test('the server reports every faulty field at once, in French', async () => {
    // Dates in order (the editor checks those itself), no title, a capacity of 0: the core
    // refuses both fields in one answer, each shown next to its control.
    await setValue(await $id('f-ends'), '2027-05-02T20:00');
    await setValue(await $id('f-title'), '');
    await setValue(await $id('f-capacity'), '0');
    await (await $id('save-event')).click();
    await browser.waitUntil(async () => (await texts('field-error')).length === 2, { timeout: 10000, timeoutMsg: 'two field errors' });
    const errs = await browser.execute(() => [...document.querySelectorAll('[data-testid="field-error"]')].map((e) => [e.getAttribute('data-for'), e.textContent]));
    const byField = Object.fromEntries(errs);
    assert(byField.title === 'obligatoire', `title: ${byField.title}`);
    assert(/entre 1 et 1\s000\s000/.test(byField.capacity || ''), `capacity: ${byField.capacity}`);
    const toasts = await browser.execute(() => [...document.querySelectorAll('.toast-error')].map((e) => e.textContent || ''));
    assert(toasts.length === 1 && toasts[0].includes('2 champs à corriger'), `one error toast names both: ${toasts}`);
    const english = englishIn([...errs.map((e) => e[1]), ...toasts]);
    assert(english.length === 0, `no English on this French error path: ${english}`);
    await browser.saveScreenshot(join(shots, 'field-errors-fr.png'));
    assert(cliJson('events', 'list', '--search', 'envers').total === 0, 'still nothing written');
    // Leave the unsaved editor: the app asks first, and we confirm.
    await (await $id('nav-events')).click();
    const ok = await $id('confirm-ok');
    await ok.waitForClickable({ timeout: 5000 });
    await ok.click();
    await (await $id('new-event')).waitForClickable({ timeout: 10000 });
  });
}
