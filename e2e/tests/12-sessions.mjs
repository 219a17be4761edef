// Sessions from the desktop: an event with a one-seat session, two accepted participants
// (made with the CLI, same database); the organiser seats the first, the second goes on the
// session's waitlist, and when the first leaves, the seat goes to the one waiting.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default async function ({ browser, test, assert, $id, texts, setValue, cliJson, shots }) {
  await test('sessions from the participants list: seat, waitlist when full, promotion when a seat frees', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventhub-sess-'));
    const evFile = join(dir, 'event.json');
    writeFileSync(evFile, JSON.stringify({
      title: 'Journée Ateliers',
      starts_at: '2027-09-20T07:00:00Z',
      ends_at: '2027-09-20T16:00:00Z',
      sessions: [{ id: 'ia', title: 'Atelier IA', starts_at: '2027-09-20T09:00:00Z', ends_at: '2027-09-20T10:00:00Z', room: 'Salle 1', capacity: 1 }],
    }));
    const ev = cliJson('events', 'create', '--from-json', evFile);
    const csv = join(dir, 'people.csv');
    writeFileSync(csv, 'Nom;E-mail\nClara Dupuis;clara@exemple.fr\nDavid Morel;david@exemple.fr\n');
    cliJson('participants', 'import', ev._id, csv);
    const people = cliJson('participants', 'list', ev._id).items;
    for (const p of people) cliJson('participants', 'status', p._id, 'accepted');
    const clara = people.find((p) => p.email === 'clara@exemple.fr')._id;
    const david = people.find((p) => p.email === 'david@exemple.fr')._id;

    await (await $id('nav-events')).click();
    await (await $id('nav-participants')).click();
    const sel = await $id('p-event');
    await sel.waitForDisplayed({ timeout: 10000 });
    await browser.waitUntil(async () => browser.execute((id) => !!document.querySelector(`[data-testid="p-event"] option[value="${id}"]`), ev._id), { timeout: 10000, timeoutMsg: 'the event is offered' });
    await setValue(sel, ev._id);
    const open = async (id) => {
      const menu = await browser.$(`tr[data-id="${id}"] [data-testid="p-menu"]`);
      await menu.waitForClickable({ timeout: 10000 });
      await menu.click();
      const b = await browser.$(`tr[data-id="${id}"] [data-testid="p-sessions"]`);
      await b.waitForClickable({ timeout: 10000 });
      await b.click();
      await (await $id('p-sessions-list')).waitForDisplayed({ timeout: 10000 });
    };
    const state = async () => browser.execute(() => document.querySelector('[data-testid="p-sess-row"]')?.getAttribute('data-state'));
    const close = async () => {
      await (await $id('p-sessions-close')).click();
      await browser.waitUntil(async () => (await texts('p-sessions-list')).length === 0, { timeout: 5000, timeoutMsg: 'dialog closed' });
    };

    await open(clara);
    await (await $id('p-sess-join')).click();
    await browser.waitUntil(async () => (await state()) === 'joined', { timeout: 10000, timeoutMsg: 'Clara has the seat' });
    await close();

    await open(david);
    await (await $id('p-sess-join')).click();
    await browser.waitUntil(async () => (await state()) === 'waiting', { timeout: 10000, timeoutMsg: 'David waits: the session is full' });
    await browser.saveScreenshot(join(shots, 'participants-session-waitlist.png'));
    await close();

    await open(clara);
    await (await $id('p-sess-leave')).click();
    await browser.waitUntil(async () => (await state()) === 'none', { timeout: 10000, timeoutMsg: 'Clara left' });
    await close();
    const after = cliJson('participants', 'list', ev._id).items.find((p) => p._id === david);
    assert(JSON.stringify(after.sessions) === '["ia"]', `the seat went to David: ${JSON.stringify(after.sessions)}`);
    assert((after.session_waitlist || []).length === 0, 'David no longer waits');
  });
}
