// The social page end to end: import a CSV of mentions through the import button (the open
// dialog is replaced by EVENTHUB_E2E_SOCIAL_FILE, see e2e/run.mjs) and read the per-line
// report, the analysis (top hashtag, sentiment) and the wall; share a moment by copy and on
// X (the address goes to EVENTHUB_E2E_OPEN_LOG instead of a browser) and see both in the
// list; fetch a hashtag from a tiny Mastodon-shaped server on loopback; export the CSV.
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A Mastodon instance serving one page of statuses for any hashtag timeline. */
async function mastodonServer(statuses) {
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    requests.push(url.pathname + url.search);
    if (!url.pathname.startsWith('/api/v1/timelines/tag/')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
      return;
    }
    // Older or newer than what was served: the timeline has nothing more.
    const page = url.searchParams.has('max_id') || url.searchParams.has('min_id') || url.searchParams.has('since_id') ? [] : statuses;
    res.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining': '299' });
    res.end(JSON.stringify(page));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${server.address().port}`, requests, stop: () => server.close() };
}

function status(id, acct, html, at, tags) {
  return {
    id,
    created_at: at,
    spoiler_text: '',
    visibility: 'public',
    url: `https://masto.test/@${acct}/${id}`,
    replies_count: 1,
    reblogs_count: 2,
    favourites_count: 3,
    content: html,
    account: { id: `a${id}`, username: acct, acct, display_name: acct },
    mentions: [],
    tags: tags.map((name) => ({ name, url: `https://masto.test/tags/${name}` })),
  };
}

export default async function ({ browser, test, assert, $id, texts, chartSum, setValue, cliJson, shots, env }) {
  const stamp = Date.now().toString(36).slice(-5);
  const ev = cliJson('events', 'create', '--title', `Rencontres Sociales ${stamp}`, '--starts', '2024-11-14T08:00:00Z', '--ends', '2024-11-14T18:00:00Z');
  const num = async (id) => Number(((await texts(id))[0] || '').replace(/\D/g, '') || -1);

  await test('social: import mentions through the button, per-line report, analysis and wall', async () => {
    await (await $id('nav-social')).click();
    const sel = await $id('social-event');
    await sel.waitForDisplayed({ timeout: 10000 });
    await browser.waitUntil(async () => browser.execute((id) => !!document.querySelector(`[data-testid="social-event"] option[value="${id}"]`), ev._id), { timeout: 10000, timeoutMsg: 'the event is offered' });
    await setValue(sel, ev._id);
    await (await $id('social-no-posts')).waitForDisplayed({ timeout: 10000 });
    await (await $id('social-wall-empty')).waitForDisplayed({ timeout: 10000 });

    await (await $id('social-import')).click();
    await (await $id('social-import-report')).waitForDisplayed({ timeout: 20000 });
    assert(await num('social-imp-records') === 6, `6 records: ${await texts('social-imp-records')}`);
    assert(await num('social-imp-imported') === 2, `2 imported: ${await texts('social-imp-imported')}`);
    assert(await num('social-imp-rejected') === 4, `4 rejected: ${await texts('social-imp-rejected')}`);
    const errs = await browser.execute(() => [...document.querySelectorAll('[data-testid="social-imp-error"]')].map((e) => [e.getAttribute('data-record'), e.textContent]));
    assert(JSON.stringify(errs.map((e) => e[0])) === JSON.stringify(['4', '5', '6', '7']), `lines 4 to 7 reported: ${JSON.stringify(errs)}`);
    assert(errs[0][1].includes('missing author') && errs[3][1].includes('line 2'), `reasons shown: ${JSON.stringify(errs)}`);

    await (await $id('social-kpi-posts')).waitForDisplayed({ timeout: 15000 });
    assert(await num('social-kpi-posts-value') === 2, 'two posts analysed');
    const tags = await texts('social-hashtag-row');
    assert(tags[0] && tags[0].startsWith('#devfest') && tags[0].endsWith('2'), `top hashtag: ${tags}`);
    assert(await num('social-sentiment-positive') === 1, 'one positive');
    assert(await num('social-sentiment-negative') === 1, 'one negative');
    assert(await num('social-sentiment-neutral') === 0, 'no neutral');
    await browser.waitUntil(async () => (await texts('social-wall-post')).length === 2, { timeout: 15000, timeoutMsg: 'the wall shows the two posts' });
    const wall = (await texts('social-wall-post')).join(' | ');
    assert(wall.includes('@alice') && wall.includes('Pas bon du tout; trop long'), `wall: ${wall}`);
    await browser.saveScreenshot(join(shots, 'social-import.png'));
  });

  await test('social: share a moment by copy and on X, both listed', async () => {
    await setValue(await $id('social-text'), 'Quelle ouverture !');
    await setValue(await $id('social-hashtags'), '#DevFest, Rust');
    await setValue(await $id('social-link'), 'https://example.org/devfest');
    await (await $id('social-share-copy')).click();
    await browser.waitUntil(async () => (await texts('social-moment')).length === 1, { timeout: 10000, timeoutMsg: 'the copied moment is listed' });
    const copied = (await browser.execute(() => document.querySelector('[data-testid="social-copied-text"]')?.value)) || '';
    assert(copied.includes('Quelle ouverture !') && copied.includes('#DevFest') && copied.includes('https://example.org/devfest'), `copied text: ${copied}`);
    const row = (await texts('social-moment'))[0];
    assert(row.includes('Quelle ouverture') && row.includes('#Rust'), `moment row: ${row}`);

    await (await $id('social-share-x')).click();
    await browser.waitUntil(async () => (await texts('social-moment')).length === 2, { timeout: 10000, timeoutMsg: 'the X share is listed' });
    const platforms = await browser.execute(() => [...document.querySelectorAll('[data-testid="social-moment"]')].map((e) => e.getAttribute('data-platform')));
    assert(JSON.stringify(platforms.sort()) === '["copy","x"]', `platforms: ${platforms}`);
    const opened = readFileSync(env.EVENTHUB_E2E_OPEN_LOG, 'utf8').trim().split('\n');
    assert(opened.length === 1 && opened[0].startsWith('https://x.com/intent/post?text=') && opened[0].includes('devfest'), `opened: ${opened}`);
  });

  await test('social: fetch a Mastodon hashtag from a local server, the analysis and wall follow', async () => {
    const masto = await mastodonServer([
      status('113000000000000003', 'camille', '<p>Journée géniale au <a href="https://masto.test/tags/DevFest">#<span>DevFest</span></a> !</p>', '2024-11-14T15:10:00.000Z', ['devfest']),
      status('113000000000000002', 'dev@fosstodon.org', '<p>Super atelier <a href="https://masto.test/tags/DevFest">#DevFest</a> <a href="https://masto.test/tags/Rust">#Rust</a></p>', '2024-11-14T14:05:00.000Z', ['devfest', 'rust']),
      status('113000000000000001', 'lea', '<p>Bravo pour le <a href="https://masto.test/tags/DevFest">#DevFest</a></p>', '2024-11-14T13:00:00.000Z', ['devfest']),
    ]);
    try {
      await setValue(await $id('social-instance'), 'masto.test');
      await setValue(await $id('social-tag'), '#DevFest');
      await setValue(await $id('social-pages'), '3');
      await (await $id('social-advanced')).click();
      await setValue(await $id('social-base-url'), masto.base);
      await (await $id('social-fetch')).click();
      await (await $id('social-fetch-report')).waitForDisplayed({ timeout: 30000 });
      assert(await num('social-fetch-imported') === 3, `3 fetched: ${await texts('social-fetch-imported')}`);
      assert((await texts('social-fetch-error')).length === 0, `no error: ${await texts('social-fetch-error')}`);
      assert(masto.requests.length >= 1 && masto.requests[0].startsWith('/api/v1/timelines/tag/DevFest?limit=40'), `requests: ${masto.requests}`);

      await browser.waitUntil(async () => (await num('social-kpi-posts-value')) === 5, { timeout: 15000, timeoutMsg: 'five posts analysed' });
      const tags = await texts('social-hashtag-row');
      assert(tags[0].startsWith('#devfest') && tags[0].endsWith('5'), `top hashtag after the fetch: ${tags}`);
      await browser.waitUntil(async () => (await texts('social-wall-post')).length === 5, { timeout: 15000, timeoutMsg: 'the wall shows five posts' });
      assert((await texts('social-wall-post'))[0].includes('@camille'), 'the newest post comes first');

      // A second fetch resumes: nothing new.
      await (await $id('social-fetch')).click();
      await browser.waitUntil(async () => (await texts('social-fetch-report')).length === 1 && (await num('social-fetch-imported')) === 0, { timeout: 30000, timeoutMsg: 'a second fetch adds nothing' });

      await (await $id('social-export-csv')).click();
      const file = join(env.EVENTHUB_E2E_SAVE_DIR, `social-rencontres-sociales-${stamp}.csv`);
      await browser.waitUntil(async () => existsSync(file), { timeout: 10000, timeoutMsg: `the CSV is written: ${file}` });
      const csv = readFileSync(file, 'utf8');
      assert(csv.includes('hashtag') && csv.includes('devfest'), 'the CSV has the hashtags');
      const shot = async (sel, name) => {
        await browser.execute((q) => { const m = document.getElementById('main'); m.scrollTop = q ? document.querySelector(q).closest('section').offsetTop - 16 : 0; }, sel);
        await browser.pause(400);
        await browser.saveScreenshot(join(shots, name));
      };
      await shot(null, 'social.png');
      await shot('[data-testid="social-import-report"]', 'social-import-fetch.png');
      await shot('[data-testid="social-analysis"]', 'social-analysis.png');
      await shot('[data-testid="social-sentiment"]', 'social-analysis-2.png');
      const remembered = cliJson('social', 'stats', ev._id);
      assert(remembered.engagement.posts === 5, `the CLI sees five posts: ${JSON.stringify(remembered.engagement)}`);
    } finally {
      masto.stop();
    }
  });

  await test('dashboard: mentions imported elsewhere reach the open dashboard live', async () => {
    await (await $id('nav-dashboard')).click();
    await browser.waitUntil(async () => browser.execute((id) => !!document.querySelector(`[data-testid="dash-event"] option[value="${id}"]`), ev._id), { timeout: 15000, timeoutMsg: 'the event is in the dashboard list' });
    await setValue(await $id('dash-event'), ev._id);
    // The mentions series of the interactions chart (its fourth).
    const charted = () => chartSum('timeline-chart', 3);
    await browser.waitUntil(async () => (await charted()) === 5, { timeout: 15000, timeoutMsg: 'the chart counts the five posts' });
    await browser.waitUntil(async () => (await texts('dash-live')).join('').match(/direct|live/i), { timeout: 10000, timeoutMsg: 'the dashboard is live' });
    // Another organiser's import (the CLI, same database): the timeline is only redrawn by
    // a live notification, so seeing 7 proves the change stream on the posts.
    const file = join(mkdtempSync(join(tmpdir(), 'eh-social-')), 'more.csv');
    writeFileSync(file, 'author,text,date\nnina,Top #DevFest,2024-11-14 16:20\nomar,Merci #DevFest,2024-11-14 16:45\n');
    const r = cliJson('social', 'import', ev._id, file);
    assert(r.imported === 2, `two posts imported: ${JSON.stringify(r)}`);
    const sent = Date.now();
    await browser.waitUntil(async () => (await charted()) === 7, { timeout: 15000, timeoutMsg: 'the new posts reach the open dashboard' });
    console.log(`     (the open dashboard showed the new posts ${Date.now() - sent} ms after the import)`);
    await browser.waitUntil(async () => (await num('kpi-so-posts-value')) === 7, { timeout: 15000, timeoutMsg: 'the social card follows' });
  });
}
