// The screen tour: every screen in French and English at 1024 and 1280 px, saved to
// docs/screens/<lang>-<width>-<screen>.png (looked at by a person, kept in the repository),
// and the participants list checked for overlapping or clipped elements (element boxes).
// Runs last: it uses what the earlier files created (events, participants, a dashboard).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'docs', 'screens');

export default async function ({ browser, test, assert, $id, texts, layoutProblems, setViewport }) {
  mkdirSync(out, { recursive: true });
  // TOUR_SCREENS=events,editor saves only those screens (the others are still visited).
  const only = (process.env.TOUR_SCREENS || '').split(',').filter(Boolean);
  const lang = async (l) => {
    await browser.execute((x) => document.querySelector(`.topbar button.seg[lang="${x}"]`)?.click(), l);
    await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.lang)) === l, { timeout: 5000, timeoutMsg: `the interface is in ${l}` });
  };
  const settle = async (id) => {
    await (await $id(id)).waitForDisplayed({ timeout: 15000 });
    // Let lists and charts load.
    await browser.waitUntil(async () => browser.execute(() => !document.querySelector('.is-loading, .loading-card, [data-testid="dash-loading"]')), { timeout: 15000, interval: 250 }).catch(() => {});
    await browser.pause(400);
    await browser.execute(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
  };
  const screens = [
    ['events', async () => { await (await $id('nav-events')).click(); await settle('new-event'); }],
    ['editor', async () => {
      await (await $id('nav-events')).click();
      await settle('new-event');
      await (await $id('row-open')).click();
      await settle('f-title');
    }],
    ['editor-calendar', async () => {
      // The date control's calendar, open on the event's start (in the interface's language).
      await (await $id('f-starts-open')).click();
      await browser.waitUntil(async () => browser.execute(() => !!document.querySelector('.flatpickr-calendar.open')), { timeout: 5000, timeoutMsg: 'the calendar opens' });
      await browser.pause(300);
    }],
    ['editor-sessions', async () => {
      await (await $id('tab-sessions')).click();
      await settle('add-session');
      // A session's date controls (the event may have none: one is added, not saved).
      if (!(await texts('session-card')).length) {
        await (await $id('add-session')).click();
        await settle('session-starts-text');
      }
    }],
    ['participants', async () => { await (await $id('nav-participants')).click(); await settle('p-event'); }],
    ['door', async () => {
      await (await $id('p-door')).click();
      await settle('door-search');
    }],
    ['dashboard', async () => { await (await $id('nav-dashboard')).click(); await settle('dash-event'); }],
    ['dashboard-questions', async () => { await (await $id('dash-tab-questions')).click(); await settle('q-list'); }],
    ['social', async () => { await (await $id('nav-social')).click(); await settle('nav-social'); }],
    ['sync', async () => { await (await $id('nav-sync')).click(); await settle('nav-sync'); }],
    ['settings', async () => { await (await $id('nav-settings')).click(); await settle('nav-settings'); }],
    ['advanced', async () => { await (await $id('nav-advanced')).click(); await settle('advanced-page'); }],
  ];

  for (const l of ['fr', 'en']) {
    for (const width of [1024, 1280]) {
      await test(`screen tour ${l} ${width} px: every screen saved, participants list without overlap`, async () => {
        await setViewport(width);
        await lang(l);
        const missing = [];
        for (const [name, go] of screens) {
          try {
            await go();
          } catch (e) {
            if (!only.length || only.includes(name)) missing.push(`${name}: ${String(e).split('\n')[0]}`);
          }
          if (!only.length || only.includes(name)) await browser.saveScreenshot(join(out, `${l}-${width}-${name}.png`));
          if (name === 'editor-calendar') await browser.keys('Escape');
          if (name === 'editor-sessions') {
            // Leave the editor without saving the added session.
            await (await $id('nav-events')).click();
            const ok = await $id('confirm-ok');
            if (await ok.waitForClickable({ timeout: 3000 }).then(() => true, () => false)) await ok.click();
          }
          if (name === 'participants' && (!only.length || only.includes(name))) {
            await browser.waitUntil(async () => (await texts('p-row')).length > 0, { timeout: 10000, timeoutMsg: 'participants listed' });
            const problems = await layoutProblems('[data-testid="p-row"]');
            assert(problems.length === 0, `${l} ${width} px participants: ${problems.join('; ')}`);
          }
          if (name === 'door') await (await $id('door-exit')).click().catch(() => browser.keys('Escape'));
        }
        assert(missing.length === 0, `screens not reached: ${missing.join(' | ')}`);
      });
    }
  }
  await setViewport(1280);
  await lang('fr');
}
