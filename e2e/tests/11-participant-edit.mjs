// Editing and deleting participants in the real window: two participants made with the CLI
// (same database); the organiser fixes a name, is told which participant already has an
// address, then deletes one (confirmed) and its seat goes to the waitlist; the database is
// checked through the CLI.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default async function ({ browser, test, assert, $id, texts, setValue, cliJson, shots }) {
  const dir = mkdtempSync(join(tmpdir(), 'eventhub-edit-'));
  const evFile = join(dir, 'event.json');
  writeFileSync(evFile, JSON.stringify({
    title: `Séminaire Corrections ${Date.now().toString(36).slice(-5)}`,
    starts_at: '2027-10-05T07:00:00Z',
    ends_at: '2027-10-05T16:00:00Z',
    capacity: 1,
  }));
  const ev = cliJson('events', 'create', '--from-json', evFile);
  const csv = join(dir, 'people.csv');
  writeFileSync(csv, 'Nom;E-mail\nElodie Fontain;elodie@exemple.fr\nFabien Roux;fabien@exemple.fr\n');
  cliJson('participants', 'import', ev._id, csv);
  const people = cliJson('participants', 'list', ev._id).items;
  const elodie = people.find((p) => p.email === 'elodie@exemple.fr')._id;
  const fabien = people.find((p) => p.email === 'fabien@exemple.fr')._id;
  cliJson('participants', 'status', elodie, 'accepted');
  cliJson('participants', 'status', fabien, 'accepted'); // full: waitlisted

  const openEdit = async (id) => {
    const menu = await browser.$(`tr[data-id="${id}"] [data-testid="p-menu"]`);
    await menu.waitForClickable({ timeout: 10000 });
    await menu.click();
    const b = await browser.$(`tr[data-id="${id}"] [data-testid="p-edit"]`);
    await b.waitForClickable({ timeout: 10000 });
    await b.click();
    await (await $id('pe-name')).waitForDisplayed({ timeout: 10000 });
  };

  await test('edit a name in the dialog; an address already taken names its owner', async () => {
    await (await $id('nav-events')).click();
    await (await $id('nav-participants')).click();
    const sel = await $id('p-event');
    await sel.waitForDisplayed({ timeout: 10000 });
    await browser.waitUntil(async () => browser.execute((id) => !!document.querySelector(`[data-testid="p-event"] option[value="${id}"]`), ev._id), { timeout: 10000, timeoutMsg: 'the event is offered' });
    await setValue(sel, ev._id);
    await browser.waitUntil(async () => (await texts('p-row')).length === 2, { timeout: 10000, timeoutMsg: 'two rows' });

    await openEdit(elodie);
    await setValue(await $id('pe-email'), 'FABIEN@exemple.fr');
    await (await $id('pe-save')).click();
    const err = await $id('pe-email-error');
    await err.waitForDisplayed({ timeout: 10000 });
    const msg = (await texts('pe-email-error'))[0];
    assert(msg.includes('Fabien Roux') && msg.includes('fabien@exemple.fr'), `the error names who has the address: ${msg}`);
    await browser.saveScreenshot(join(shots, 'participant-edit-duplicate.png'));

    await setValue(await $id('pe-email'), 'elodie@exemple.fr');
    await setValue(await $id('pe-name'), 'Élodie Fontaine');
    await setValue(await $id('pe-company'), 'Mairie de Lyon');
    await (await $id('pe-save')).click();
    await browser.waitUntil(async () => (await texts('p-name')).includes('Élodie Fontaine'), { timeout: 10000, timeoutMsg: 'the new name is listed' });
    const stored = cliJson('participants', 'list', ev._id).items.find((p) => p._id === elodie);
    assert(stored.name === 'Élodie Fontaine' && stored.company === 'Mairie de Lyon', `stored: ${JSON.stringify(stored)}`);
    assert(stored.version > 1, 'a new version for sync');
  });

  await test('delete a participant after confirming; the seat goes to the waitlist', async () => {
    await openEdit(elodie);
    // The button sits at the foot of a dialog that scrolls; WebKit's driver does not scroll
    // inside a dialog, so it is clicked the way a user's click lands: on the element.
    await browser.execute(() => document.querySelector('[data-testid="pe-delete"]').click());
    const ok = await $id('confirm-ok');
    await ok.waitForDisplayed({ timeout: 10000 });
    await browser.saveScreenshot(join(shots, 'participant-delete-confirm.png'));
    await ok.click();
    await browser.waitUntil(async () => (await texts('p-row')).length === 1, { timeout: 10000, timeoutMsg: 'one row left' });
    const left = cliJson('participants', 'list', ev._id);
    assert(left.total === 1 && left.items[0]._id === fabien, `only Fabien is left: ${JSON.stringify(left.items.map((p) => p.name))}`);
    assert(left.items[0].status === 'accepted', `Fabien got the freed seat: ${left.items[0].status}`);
    const status = await browser.execute((id) => document.querySelector(`tr[data-id="${id}"]`)?.getAttribute('data-status'), fabien);
    assert(status === 'accepted', `the list shows Fabien accepted: ${status}`);
  });
}
