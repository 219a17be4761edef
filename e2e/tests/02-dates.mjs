// Dates in the app's language, whatever the system's locale: the editor's date and time
// fields and the events list's date filters are controls drawn by the app (day first, 24 h,
// `21/12/2029 14:30` in French and in the app's British English), typed with the keyboard or
// picked in a calendar popup; an impossible date is refused with a sentence in the
// interface's language. Checked in French and in English: what is shown, what is stored
// (read back through the app, and in the database through the CLI).
import { join } from 'node:path';

export default async function ({ browser, test, assert, $id, texts, cliJson, shots }) {
  const lang = async (l) => {
    await browser.execute((x) => document.querySelector(`.topbar button.seg[lang="${x}"]`)?.click(), l);
    await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.lang)) === l, { timeout: 5000, timeoutMsg: `the interface is in ${l}` });
  };
  const valueOf = (id) => browser.execute((sel) => document.querySelector(sel)?.value ?? null, `[data-testid="${id}"]`);
  /** Types into a date control's text field with the keyboard, then Enter. */
  const typeDate = async (id, text) => {
    const entry = await $id(`${id}-text`);
    await entry.waitForDisplayed({ timeout: 10000 });
    await entry.click();
    await browser.execute((sel) => { document.querySelector(sel).select(); }, `[data-testid="${id}-text"]`);
    // Element Send Keys types the whole text (key by key actions lost repeated keys here).
    if (text) await entry.addValue(text);
    else await browser.keys(['Backspace']);
    await browser.waitUntil(async () => (await valueOf(`${id}-text`)) === text, { timeout: 3000, timeoutMsg: `typed ${text}: ${await valueOf(`${id}-text`)}` });
    await browser.keys('Enter');
  };
  const openCalendar = async (id) => {
    await (await $id(`${id}-open`)).click();
    await browser.waitUntil(async () => browser.execute((sel) => !!document.querySelector(`${sel}.open`), `[data-testid="${id}-calendar"]`), { timeout: 5000, timeoutMsg: `the calendar of ${id} opens` });
  };
  /** Month shown and first weekday of the open calendar of `id`. */
  const calendarWords = (id) => browser.execute((sel) => {
    const cal = document.querySelector(`${sel}.open`);
    const month = cal?.querySelector('.flatpickr-monthDropdown-months');
    return {
      month: month ? month.selectedOptions[0]?.textContent?.trim() : cal?.querySelector('.cur-month')?.textContent?.trim(),
      year: cal?.querySelector('.cur-year')?.value,
      weekday: cal?.querySelector('.flatpickr-weekday')?.textContent?.trim(),
    };
  }, `[data-testid="${id}-calendar"]`);
  /** Clicks day `day` of the month shown in the open calendar of `id`. */
  const pickDay = async (id, day) => {
    const found = await browser.execute((sel, d) => {
      const cal = document.querySelector(`${sel}.open`);
      const el = [...(cal?.querySelectorAll('.flatpickr-day:not(.prevMonthDay):not(.nextMonthDay)') ?? [])].find((e) => e.textContent.trim() === String(d));
      if (!el) return false;
      document.querySelectorAll('[data-e2e-day]').forEach((e) => e.removeAttribute('data-e2e-day'));
      el.setAttribute('data-e2e-day', '1');
      return true;
    }, `[data-testid="${id}-calendar"]`, day);
    assert(found, `day ${day} is in the calendar`);
    await (await browser.$('[data-e2e-day]')).click();
  };
  const fieldError = async (path) => browser.execute((p) => document.querySelector(`[data-testid="field-error"][data-for="${p}"]`)?.textContent?.trim() ?? null, path);
  const newEvent = async (title) => {
    await (await $id('nav-events')).click();
    await (await $id('new-event')).click();
    const t = await $id('f-title');
    await t.waitForDisplayed({ timeout: 10000 });
    await t.setValue(title);
  };
  const leaveEditor = async () => {
    await (await $id('nav-events')).click();
    const ok = await $id('confirm-ok');
    if (await ok.waitForClickable({ timeout: 3000 }).then(() => true, () => false)) await ok.click();
    await (await $id('new-event')).waitForClickable({ timeout: 10000 });
  };

  const stamp = Date.now().toString(36).slice(-5);
  const title = `Gala des dates ${stamp}`;

  await test('French: a date typed, one picked in the calendar, shown day first in 24 h and stored as typed', async () => {
    await newEvent(title);
    const ph = await (await $id('f-starts-text')).getAttribute('placeholder');
    assert(ph === 'JJ/MM/AAAA HH:MM', `French placeholder: ${ph}`);
    await typeDate('f-starts', '21/12/2029 14:30');
    assert((await valueOf('f-starts-text')) === '21/12/2029 14:30', `shown as typed: ${await valueOf('f-starts-text')}`);
    assert((await valueOf('f-starts')) === '2029-12-21T14:30', `the wall-clock value: ${await valueOf('f-starts')}`);
    const words = (await texts('f-starts-words'))[0];
    assert(words === 'vendredi 21 décembre 2029 à 14:30 (heure de Paris)', `the start in French words: ${words}`);

    await openCalendar('f-ends');
    const cw = await calendarWords('f-ends');
    assert(cw.month === 'décembre' && cw.year === '2029', `the calendar opens on the end's month, in French: ${JSON.stringify(cw)}`);
    assert(/^lun/i.test(cw.weekday || ''), `weeks start on Monday, in French: ${cw.weekday}`);
    await browser.saveScreenshot(join(shots, 'date-calendar-fr.png'));
    await pickDay('f-ends', 22);
    await browser.keys('Escape');
    const endText = await valueOf('f-ends-text');
    assert(/^22\/12\/2029 \d{2}:\d{2}$/.test(endText), `the picked end shown day first: ${endText}`);
    const endValue = await valueOf('f-ends');
    assert(endValue === `2029-12-22T${endText.slice(11)}`, `the picked end's value: ${endValue} (${endText})`);

    await (await $id('save-event')).click();
    await (await $id('toast')).waitForDisplayed({ timeout: 10000 });
    const page = cliJson('events', 'list', '--search', `gala des dates ${stamp}`);
    assert(page.total === 1, `saved once: ${page.total}`);
    const ev = cliJson('events', 'show', page.items[0]._id);
    assert(ev.starts_at === '2029-12-21T13:30:00.000Z', `14:30 Paris stored as 13:30 UTC: ${ev.starts_at}`);
    const [h, m] = endText.slice(11).split(':').map(Number);
    assert(ev.ends_at === new Date(Date.UTC(2029, 11, 22, h - 1, m)).toISOString(), `the picked end stored in UTC: ${ev.ends_at}`);

    // Read back through the app: the list, then the editor, open the saved event.
    await (await $id('nav-events')).click();
    const search = await $id('search');
    await search.waitForDisplayed({ timeout: 5000 });
    await search.setValue(`gala des dates ${stamp}`);
    await browser.waitUntil(async () => {
      const rows = await texts('event-row');
      return rows.length === 1 && rows[0].includes(title);
    }, { timeout: 10000, timeoutMsg: 'the event is listed alone' });
    await (await $id('row-open')).click();
    await browser.waitUntil(async () => (await valueOf('f-starts-text')) === '21/12/2029 14:30', { timeout: 10000, timeoutMsg: `the saved start reads 21/12/2029 14:30 (${await valueOf('f-starts-text')})` });
    assert((await valueOf('f-ends-text')) === endText, `the saved end reads ${endText}`);
  });

  await test('French: an impossible date is refused in French and nothing is written', async () => {
    await typeDate('f-starts', '31/02/2027 10:00');
    await browser.waitUntil(async () => (await fieldError('starts_at')) !== null, { timeout: 5000, timeoutMsg: 'an error beside the start' });
    const msg = await fieldError('starts_at');
    assert(msg === "Le 31/02/2027 n'existe pas : vérifiez le jour et le mois.", `the French sentence: ${msg}`);
    assert((await valueOf('f-starts-text')) === '31/02/2027 10:00', 'what was typed stays to be corrected');
    await browser.pause(200);
    await browser.saveScreenshot(join(shots, 'date-impossible-fr.png'));
    await (await $id('save-event')).click();
    await browser.pause(800);
    const id = cliJson('events', 'list', '--search', `gala des dates ${stamp}`).items[0]._id;
    assert(cliJson('events', 'show', id).starts_at === '2029-12-21T13:30:00.000Z', 'the stored start is unchanged');
    await typeDate('f-starts', '99/99/2027');
    const unreadable = await fieldError('starts_at');
    assert(/^Le 99\/99\/2027 n'existe pas/.test(unreadable || ''), `an impossible day and month: ${unreadable}`);
    await typeDate('f-starts', 'demain');
    const bad = await fieldError('starts_at');
    assert(bad === 'Date illisible : écrivez-la JJ/MM/AAAA HH:MM, par exemple 21/12/2026 14:30.', `an unreadable entry: ${bad}`);
    await typeDate('f-starts', '21/12/2029 14h30');
    await browser.waitUntil(async () => (await fieldError('starts_at')) === null, { timeout: 5000, timeoutMsg: 'the error goes once the date is right' });
    assert((await valueOf('f-starts-text')) === '21/12/2029 14:30', '14h30 is read and shown as 14:30');
    await leaveEditor();
  });

  await test('French: the list date filters take a typed day, refuse an impossible one, and keep the filter', async () => {
    await leaveEditor();
    await typeDate('filter-from', '30/02/2027');
    await (await $id('filter-from-error')).waitForDisplayed({ timeout: 5000 });
    const msg = (await texts('filter-from-error'))[0];
    assert(msg === "Le 30/02/2027 n'existe pas : vérifiez le jour et le mois.", `the filter's French error: ${msg}`);
    await typeDate('filter-from', '01/12/2029');
    await browser.waitUntil(async () => (await valueOf('filter-from')) === '2029-12-01', { timeout: 5000, timeoutMsg: 'the filter value' });
    assert(!(await (await $id('filter-from-error')).isDisplayed()), 'the error is gone');
    await openCalendar('filter-to');
    const cw = await calendarWords('filter-to');
    assert(/^lun/i.test(cw.weekday || ''), `the filter's calendar in French: ${JSON.stringify(cw)}`);
    await pickDay('filter-to', 28);
    await browser.keys('Escape');
    const to = await valueOf('filter-to');
    assert(/^\d{4}-\d{2}-28$/.test(to), `the picked day is the filter's end: ${to}`);
    // The filter is kept across screens and read back as typed.
    await (await $id('nav-participants')).click();
    await (await $id('nav-events')).click();
    await browser.waitUntil(async () => (await valueOf('filter-from-text')) === '01/12/2029', { timeout: 5000, timeoutMsg: 'the filter is kept' });
    assert((await valueOf('filter-to-text')) === `28/${to.slice(5, 7)}/${to.slice(0, 4)}`, `the end filter reads day first: ${await valueOf('filter-to-text')}`);
    await (await $id('reset-filters')).click();
    await browser.waitUntil(async () => (await valueOf('filter-from-text')) === '', { timeout: 5000, timeoutMsg: 'filters reset' });
  });

  await test('English: the same controls in the app\'s English (day first, 24 h), with English errors', async () => {
    await leaveEditor();
    await lang('en');
    try {
      await newEvent(`Dates in English ${stamp}`);
      const ph = await (await $id('f-starts-text')).getAttribute('placeholder');
      assert(ph === 'DD/MM/YYYY HH:MM', `English placeholder: ${ph}`);
      await typeDate('f-starts', '05/01/2030 08:15');
      assert((await valueOf('f-starts')) === '2030-01-05T08:15', `5 January, not 1 May: ${await valueOf('f-starts')}`);
      assert((await valueOf('f-starts-text')) === '05/01/2030 08:15', `shown day first: ${await valueOf('f-starts-text')}`);
      const words = (await texts('f-starts-words'))[0];
      assert(/5 January 2030 at 08:15 \(Paris time\)$/.test(words), `the start in English words: ${words}`);
      await openCalendar('f-ends');
      const cw = await calendarWords('f-ends');
      assert(cw.month === 'January' && /^Mon/.test(cw.weekday || ''), `the calendar in English, weeks from Monday: ${JSON.stringify(cw)}`);
      await browser.saveScreenshot(join(shots, 'date-calendar-en.png'));
      await pickDay('f-ends', 6);
      await browser.keys('Escape');
      assert(/^06\/01\/2030 \d{2}:\d{2}$/.test(await valueOf('f-ends-text')), `picked: ${await valueOf('f-ends-text')}`);
      await typeDate('f-ends', '29/02/2027 18:00');
      await browser.waitUntil(async () => (await fieldError('ends_at')) !== null, { timeout: 5000, timeoutMsg: 'an error beside the end' });
      const msg = await fieldError('ends_at');
      assert(msg === '29/02/2027 does not exist: check the day and the month.', `the English sentence: ${msg}`);
      await typeDate('f-ends', '06/01/2030 24:00');
      const late = await fieldError('ends_at');
      assert(late === 'The time 24:00 does not exist: 00:00 to 23:59.', `an impossible time: ${late}`);
      await typeDate('f-ends', '06/01/2030 18:00');
      await browser.waitUntil(async () => (await fieldError('ends_at')) === null, { timeout: 5000, timeoutMsg: 'the error goes' });
      await (await $id('save-event')).click();
      await (await $id('toast')).waitForDisplayed({ timeout: 10000 });
      const page = cliJson('events', 'list', '--search', `dates in english ${stamp}`);
      assert(page.total === 1, `saved once: ${page.total}`);
      const ev = cliJson('events', 'show', page.items[0]._id);
      assert(ev.starts_at === '2030-01-05T07:15:00.000Z' && ev.ends_at === '2030-01-06T17:00:00.000Z', `stored in UTC: ${ev.starts_at} – ${ev.ends_at}`);
      await (await $id('nav-events')).click();
      await typeDate('filter-to', '31/04/2027');
      await (await $id('filter-to-error')).waitForDisplayed({ timeout: 5000 });
      const fmsg = (await texts('filter-to-error'))[0];
      assert(fmsg === '31/04/2027 does not exist: check the day and the month.', `the filter's English error: ${fmsg}`);
      await typeDate('filter-to', '');
    } finally {
      await lang('fr');
    }
  });
}
