// dashboard.test.mjs: the dashboard's views (docs/dashboard.md) in Chromium against a
// real benchgated holding the data seeded by tests/integration/test_dashboard.sh: main
// commits 1..20 of project `web` on tb1 (render regressed at 10 and stays there; a change
// point at 10), parse on tb2 for 1..6, a pull-request run of branch feature, and project
// `other` with one run. The tests run in order; the alerts test acknowledges the regression.
// Each view is photographed as soon as it is ready, before its assertions, so that a failing
// view still leaves its screenshots.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ADMIN_TOKEN, api, canvasDrawn, clean, cssString, go, hashParams, launch, open, ready,
  screenshots, settle, sha,
} from './lib.mjs';

const EVIL = '<img src=x onerror=alert(1)>';
const MAIN_COMMITS = 20;
const COMMIT10 = `/p/web/c/${sha(10)}?testbed=tb1`;
const TREND = '/p/web/t?benchmark=render&measure=instructions&testbed=tb1';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// view(route, name): a new page on ROUTE, ready as view NAME.
async function view(route, name) {
  const page = await open(browser.context, route);
  await ready(page, name);
  return page;
}

const texts = locator => locator.evaluateAll(els => els.map(e => e.textContent.trim()));
const visibleRows = table => table.locator('tbody tr:not([hidden])');
const rowOf = (table, benchmark, measure) =>
  table.locator(`tr[data-benchmark=${cssString(benchmark)}][data-measure=${cssString(measure)}]`);

// noEvilImage(page): the hostile benchmark name never became an element.
async function noEvilImage(page) {
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no img with src=x exists');
  assert.equal(await page.locator('[onerror]').count(), 0, 'no element has an onerror attribute');
}

test('projects: a row per project with its latest verdict', async () => {
  const page = await view('/', 'projects');
  await screenshots(page, 'projects', 'projects');
  const { projects } = await api('/projects');
  assert.deepEqual((await page.locator('table#projects tr[data-project]').evaluateAll(
    rows => rows.map(r => r.dataset.project))).sort(), ['other', 'web', 'wide']);
  for (const p of projects) {
    const row = page.locator(`table#projects tr[data-project=${cssString(p.slug)}]`);
    await assert.doesNotReject(row.locator(`a[href="#/p/${p.slug}"]`).waitFor(), `${p.slug} links to its project`);
    assert.ok(p.latest && p.latest.verdict, `GET /projects gives ${p.slug} its latest verdict`);
    const badge = row.locator('.badge[data-state]');
    assert.equal(await badge.getAttribute('data-state'), p.latest.verdict.state, `${p.slug}: badge state`);
    assert.equal((await badge.textContent()).trim(), p.latest.verdict.state.replaceAll('_', ' '));
    assert.ok((await row.textContent()).includes(p.default_branch), `${p.slug}: default branch shown`);
  }
  const other = page.locator('tr[data-project="other"]');
  assert.equal(await other.locator('.badge').getAttribute('data-state'), 'no_baseline');
  assert.equal((await other.locator('.badge').textContent()).trim(), 'no baseline');
  assert.ok((await other.textContent()).includes('commit 1'), 'other: the latest subject');
  assert.ok((await page.locator('tr[data-project="web"]').textContent()).includes(`commit ${MAIN_COMMITS}`),
    'web: the latest subject is the newest main commit');
  clean(page);
  await page.close();
});

test('project: without a testbed in the URL, the first testbed is shown', async () => {
  const page = await view('/p/web', 'project');
  assert.equal(await page.locator('select#testbed').inputValue(), 'tb1');
  assert.equal(await page.locator('table#history tr[data-sha]').count(), MAIN_COMMITS);
  assert.equal(await page.locator('table#benchmarks tr[data-benchmark]').count(), 4);
  clean(page);
  await page.close();
});

test('project: history, counts, badges and the benchmarks with drawn sparklines', async () => {
  const page = await view('/p/web?testbed=tb1', 'project');
  await screenshots(page, 'project', 'project');
  const hist = page.locator('table#history');
  const shas = await hist.locator('tr[data-sha]').evaluateAll(rows => rows.map(r => r.dataset.sha));
  assert.deepEqual(shas, Array.from({ length: MAIN_COMMITS }, (_, i) => sha(MAIN_COMMITS - i)),
    'the main commits, newest first, and not the pull request');
  assert.equal(await page.locator('a#older').count(), 0, 'one page: no link to older commits');
  const { commits } = await api('/projects/web/commits?branch=main&testbed=tb1&limit=50');
  for (const c of commits) {
    const row = hist.locator(`tr[data-sha="${c.sha}"]`);
    const state = c.verdict ? c.verdict.state : null;
    assert.equal(await row.locator('.badge').getAttribute('data-state'), state, `commit ${c.sha}: badge`);
    const want = Object.entries(c.verdict.counts).filter(([, v]) => v > 0).map(([k, v]) => `${v} ${k}`).sort();
    const got = (await row.locator('.counts').textContent()).split('·').map(s => s.trim()).filter(Boolean).sort();
    assert.deepEqual(got, want, `commit ${c.sha}: counts`);
  }
  const row10 = hist.locator(`tr[data-sha="${sha(10)}"]`);
  assert.equal(await row10.locator('.badge').getAttribute('data-state'), 'fail', 'commit 10 fails');
  assert.match(await row10.locator('.counts').textContent(), /1 regressed/);
  const text10 = await row10.textContent();
  assert.ok(text10.includes('commit 10') && text10.includes('Dev'), 'subject and author shown');
  await assert.doesNotReject(row10.locator(`a[href^="#/p/web/c/${sha(10)}"]`).waitFor(), 'sha links to the commit');

  const benches = page.locator('table#benchmarks');
  const keys = await benches.locator('tr[data-benchmark]').evaluateAll(
    rows => rows.map(r => `${r.dataset.benchmark}|${r.dataset.measure}`));
  assert.deepEqual(keys.sort(), ['<img src=x onerror=alert(1)>|instructions', 'io|cpu_time',
    'parse|wall_time', 'render|instructions'].sort(), 'tb1 (the first testbed) has four series');
  for (const canvas of await benches.locator('canvas.spark').all()) await canvasDrawn(canvas, 'a sparkline');
  const render = rowOf(benches, 'render', 'instructions');
  assert.match((await render.locator('.change').textContent()).trim(), /^\+10\.00? %$/, 'render: its change point');
  const { benchmarks } = await api('/projects/web/benchmarks?testbed=tb1');
  const apiRender = benchmarks.find(b => b.benchmark === 'render');
  assert.ok(apiRender.open_alerts > 0, 'render has open alerts');
  assert.equal((await render.locator('.alerts').textContent()).trim(), String(apiRender.open_alerts));
  assert.equal((await rowOf(benches, 'parse', 'wall_time').locator('.change').textContent()).trim(), '–',
    'parse: no change point');
  assert.equal((await rowOf(benches, 'parse', 'wall_time').locator('.alerts').textContent()).trim(), '');
  assert.match(await rowOf(benches, 'io', 'cpu_time').textContent(), /\d(\.\d+)? µs/, 'io: the latest value with unit');
  await assert.doesNotReject(render.locator('a[href^="#/p/web/t?"]').waitFor(), 'benchmark links to its trend');

  const evil = rowOf(benches, EVIL, 'instructions');
  assert.equal((await evil.locator('td').first().textContent()).trim(), EVIL, 'the hostile name shows as text');
  await noEvilImage(page);

  // Another testbed: the select follows the URL and shows tb2's one series.
  await page.locator('select#testbed').selectOption('tb2');
  await page.waitForFunction(() => location.hash.includes('testbed=tb2'));
  await ready(page, 'project');
  const tb2 = await page.locator('table#benchmarks tr[data-benchmark]').evaluateAll(
    rows => rows.map(r => `${r.dataset.benchmark}|${r.dataset.measure}`));
  assert.deepEqual(tb2, ['parse|wall_time'], 'tb2 has only parse');
  assert.equal(await page.locator('table#history tr[data-sha]').count(), 6, 'tb2 has commits 1..6');
  for (const canvas of await page.locator('table#benchmarks canvas.spark').all()) await canvasDrawn(canvas, 'a tb2 sparkline');
  clean(page);
  await page.close();
});

test('commit: the verdict table, its default order, the baseline and the report', async () => {
  const page = await view(COMMIT10, 'commit');
  await screenshots(page, 'commit', 'commit');
  assert.equal((await page.locator('main h2').first().textContent()).trim(), 'commit 10');
  await assert.doesNotReject(page.locator('nav#crumbs a[href^="#/p/web"]').first().waitFor(), 'crumbs link back');
  const section = page.locator('section.verdict[data-testbed="tb1"]');
  assert.equal(await section.locator('.badge').first().getAttribute('data-state'), 'fail');
  const base = await section.locator('.base').textContent();
  assert.match(base, /main/, 'the baseline names its branch');
  assert.match(base, /9 runs/, 'the baseline: the runs of commits 1..9');
  assert.equal(await section.locator(`.base a[href*="${sha(1)}"]`).count(), 1, 'first baseline sha linked');
  assert.equal(await section.locator(`.base a[href*="${sha(9)}"]`).count(), 1, 'last baseline sha linked');
  const table = section.locator('table.compare');
  const classes = await table.locator('tbody tr').evaluateAll(rows => rows.map(r => r.dataset.class));
  assert.deepEqual(classes, ['regressed', 'unchanged', 'unchanged', 'unchanged'], 'regressed first');
  const first = table.locator('tbody tr').first();
  assert.equal(await first.getAttribute('data-benchmark'), 'render');
  assert.equal(await first.locator('.bar').count(), 1, 'the change cell holds the interval bar');
  assert.equal(await first.locator('.bar').evaluate(e => e.namespaceURI), 'http://www.w3.org/2000/svg');
  assert.match(await first.textContent(), /\+10\.00? %/);
  assert.match(await first.locator('a').first().getAttribute('href'), /^#\/p\/web\/t\?benchmark=render&measure=instructions/);
  const report = await section.locator('details.report > pre').textContent();
  assert.match(report, /render/, 'the Markdown report names the regression');
  const evil = rowOf(table, EVIL, 'instructions');
  assert.equal((await evil.locator('td').first().textContent()).trim(), EVIL, 'the hostile name shows as text');
  await noEvilImage(page);
  clean(page);
  await page.close();

  // A commit with runs on both testbeds shows a section for each.
  const both = await view(`/p/web/c/${sha(3)}`, 'commit');
  assert.deepEqual(await both.locator('section.verdict').evaluateAll(s => s.map(e => e.dataset.testbed)).then(a => a.sort()),
    ['tb1', 'tb2']);
  clean(both);
  await both.close();
});

// changes(table): the change column's numbers (percent) of the visible rows, in order.
async function changes(table) {
  const col = await table.locator('th').evaluateAll(ths => ths.findIndex(th => th.dataset.sort === 'change'));
  const cells = await visibleRows(table).locator(`td:nth-child(${col + 1})`).evaluateAll(
    tds => tds.map(td => td.textContent));
  return cells.map(t => {
    const m = /([+\-−±]?)(\d+(?:\.\d+)?) %/.exec(t);
    assert.ok(m, `a change in "${t}"`);
    return (m[1] === '-' || m[1] === '−' ? -1 : 1) * Number(m[2]);
  });
}

test('commit: sorting by change, the URL follows; class and text filters; a deep link', async () => {
  const page = await view(COMMIT10, 'commit');
  const table = page.locator('section.verdict[data-testbed="tb1"] table.compare');
  await table.locator('th[data-sort="change"]').click();
  await page.waitForFunction(() => location.hash.includes('sort=change'));
  const dir1 = hashParams(page).get('dir');
  const c1 = await changes(table);
  const asc = [...c1].sort((a, b) => a - b);
  assert.deepEqual(c1, dir1 === 'desc' ? [...asc].reverse() : asc, `sorted by change (${dir1 || 'asc'})`);
  await table.locator('th[data-sort="change"]').click();
  await page.waitForFunction(d => !location.hash.includes(`dir=${d}`), dir1 || 'asc');
  const dir2 = hashParams(page).get('dir');
  assert.notEqual(dir2, dir1, 'a second click toggles the direction');
  assert.deepEqual(await changes(table), [...c1].reverse(), 'the order reversed');
  await table.locator('th[data-sort="benchmark"]').click();
  await page.waitForFunction(() => location.hash.includes('sort=benchmark'));
  const names = await visibleRows(table).evaluateAll(rows => rows.map(r => r.dataset.benchmark));
  const sorted = [...names].sort((a, b) => a.localeCompare(b));
  assert.deepEqual(names, hashParams(page).get('dir') === 'desc' ? sorted.reverse() : sorted, 'sorted by name');

  await page.locator('select#class-filter').selectOption('regressed');
  await page.waitForFunction(() => location.hash.includes('class=regressed'));
  assert.deepEqual(await visibleRows(table).evaluateAll(rows => rows.map(r => r.dataset.class)), ['regressed']);
  await page.locator('select#class-filter').selectOption('');
  await page.waitForFunction(() => !location.hash.includes('class='));
  assert.equal(await visibleRows(table).count(), 4, 'all classes: all four rows');
  await page.locator('input#text-filter').fill('pars');
  await page.waitForFunction(() => location.hash.includes('q=pars'));
  assert.deepEqual(await visibleRows(table).evaluateAll(rows => rows.map(r => r.dataset.benchmark)), ['parse']);
  await page.locator('input#text-filter').fill('wall_time');
  await page.waitForFunction(() => location.hash.includes('q=wall_time'));
  assert.deepEqual(await visibleRows(table).evaluateAll(rows => rows.map(r => r.dataset.benchmark)), ['parse'],
    'the text filter matches the measure too');
  clean(page);
  await page.close();

  const deep = await view(`${COMMIT10}&class=regressed&sort=benchmark&dir=desc`, 'commit');
  const deepTable = deep.locator('section.verdict[data-testbed="tb1"] table.compare');
  assert.deepEqual(await visibleRows(deepTable).evaluateAll(rows => rows.map(r => r.dataset.class)), ['regressed'],
    'a deep link with class=regressed shows only the regressed row');
  assert.equal(await deep.locator('select#class-filter').inputValue(), 'regressed');
  assert.equal(await deepTable.locator('th[data-sort="benchmark"]').getAttribute('aria-sort'), 'descending');
  clean(deep);
  await deep.close();

  const q = await view(`${COMMIT10}&q=cpu`, 'commit');
  assert.equal(await q.locator('input#text-filter').inputValue(), 'cpu');
  assert.deepEqual(await visibleRows(q.locator('table.compare')).evaluateAll(rows => rows.map(r => r.dataset.benchmark)), ['io']);
  clean(q);
  await q.close();
});

// drag(page, fromShare, toShare): a mouse drag across the chart's .u-over from one share of its
// width to another, at half its height.
async function drag(page, fromShare, toShare) {
  const box = await page.locator('#chart .u-over').boundingBox();
  assert.ok(box && box.width > 100, 'the chart has a plot area');
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * fromShare, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * ((fromShare + toShare) / 2), y, { steps: 5 });
  await page.mouse.move(box.x + box.width * toShare, y, { steps: 5 });
  await page.mouse.up();
}

test('commit: a table of 250 results draws 200, regressions first, and the rest on request', async () => {
  const page = await view(`/p/wide/c/${sha(2)}`, 'commit');
  const table = page.locator('table.compare');
  const more = page.locator('button.more');
  assert.equal(await visibleRows(table).count(), 200, '200 of 250 rows drawn');
  assert.equal((await more.textContent()).trim(), 'show all 250 (200 shown)');
  const classes = await table.locator('tbody tr').evaluateAll(rows => rows.map(r => r.dataset.class));
  assert.deepEqual(classes.slice(0, 10), Array(10).fill('regressed'), 'the ten regressions first');
  assert.ok(classes.slice(10).every(c => c !== 'regressed'), 'no regression further down');
  // Sorting reorders all 250, not only the rows drawn: w249 comes first by name descending.
  await page.click('th[data-sort=benchmark]');
  await page.click('th[data-sort=benchmark]');
  assert.equal(await table.locator('tbody tr').first().getAttribute('data-benchmark'), 'w249');
  assert.equal(await visibleRows(table).count(), 200, 'still 200 drawn after the sort');
  await more.click();
  assert.equal(await visibleRows(table).count(), 250, 'all 250 after "show all"');
  assert.ok(await more.isHidden(), 'the button goes once everything is drawn');
  await page.fill('#text-filter', 'w24');
  await page.waitForFunction(() => document.querySelectorAll('table.compare tbody tr').length === 10);
  assert.deepEqual(await texts(table.locator('tbody tr td.name')),
    Array.from({ length: 10 }, (_, i) => `w${249 - i}`), 'the filter keeps w240..w249, sorted');
  clean(page);
  await page.close();
});

test('trend: the chart is drawn, hover names the point, change points listed', async () => {
  const page = await view(TREND, 'trend');
  await screenshots(page, 'trend', 'trend');
  assert.equal((await page.locator('main h2').first().textContent()).trim(), 'render · instructions');
  const canvas = page.locator('div#chart canvas').first();
  await canvasDrawn(canvas, 'the trend chart');
  const cps = await page.locator('table#changes tbody tr').count();
  assert.equal(cps, 1, 'one change point');
  await assert.doesNotReject(page.locator(`table#changes a[href*="${sha(10)}"]`).waitFor(), 'it links to commit 10');
  assert.match(await page.locator('table#changes tbody tr').textContent(), /\+10\.00? %/);
  assert.deepEqual(await page.locator('select#pr option').evaluateAll(o => o.map(e => e.value)), ['', 'feature'],
    'the pull-request select: none first, then feature');
  assert.equal(await page.locator('select#testbed').inputValue(), 'tb1');

  // Hover at the right end: the newest commit.
  const box = await page.locator('#chart .u-over').boundingBox();
  await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
  await page.waitForFunction(() => {
    const h = document.querySelector('#hover');
    return h && !h.hidden && h.querySelector('.sha').textContent.trim() !== '';
  });
  const shaText = (await page.locator('#hover .sha').textContent()).trim();
  assert.ok(sha(MAIN_COMMITS).startsWith(shaText) && shaText.length >= 7, `hover sha ${shaText}`);
  assert.equal((await page.locator('#hover .subject').textContent()).trim(), `commit ${MAIN_COMMITS}`);
  assert.match(await page.locator('#hover .value').textContent(), /5\.50 M/);
  // Hover over the middle: another commit, another subject.
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.waitForFunction(s => document.querySelector('#hover .subject').textContent.trim() !== s, `commit ${MAIN_COMMITS}`);
  assert.match(await page.locator('#hover .subject').textContent(), /^commit \d+$/);
  clean(page);
  await page.close();

  // The hostile name in the trend's title stays text.
  const evil = await view(`/p/web/t?benchmark=${encodeURIComponent(EVIL)}&measure=instructions&testbed=tb1`, 'trend');
  assert.equal((await evil.locator('main h2').first().textContent()).trim(), `${EVIL} · instructions`);
  await canvasDrawn(evil.locator('div#chart canvas').first(), 'the hostile series chart');
  await noEvilImage(evil);
  clean(evil);
  await evil.close();
});

test('trend: drag zooms (URL from/to), reset clears; log scale; a pull request', async () => {
  const page = await view(TREND, 'trend');
  await drag(page, 0.25, 0.75);
  await page.waitForFunction(() => /[?&]from=\d+/.test(location.hash) && /[?&]to=\d+/.test(location.hash));
  const from = Number(hashParams(page).get('from'));
  const to = Number(hashParams(page).get('to'));
  const t1 = 1795190400 + 3600;
  const tn = 1795190400 + MAIN_COMMITS * 3600;
  assert.ok(from > t1 && to < tn && from < to, `the zoom lies inside the commits' times: ${from}..${to}`);
  await canvasDrawn(page.locator('div#chart canvas').first(), 'the zoomed chart');
  clean(page);
  const zoomed = page.url();
  await page.locator('button#reset-zoom').click();
  await page.waitForFunction(() => !location.hash.includes('from=') && !location.hash.includes('to='));

  // A zoomed deep link opens zoomed, the reset clears it.
  const deep = await open(browser.context, new URL(zoomed).hash.slice(1));
  await ready(deep, 'trend');
  await canvasDrawn(deep.locator('div#chart canvas').first(), 'the chart opened zoomed');
  await deep.locator('button#reset-zoom').click();
  await deep.waitForFunction(() => !location.hash.includes('from='));
  clean(deep);
  await deep.close();

  await page.locator('input#log').check();
  await page.waitForFunction(() => location.hash.includes('log=1'));
  await ready(page, 'trend');
  assert.equal(await page.locator('input#log').isChecked(), true);
  await canvasDrawn(page.locator('div#chart canvas').first(), 'the log-scale chart');

  await page.locator('select#pr').selectOption('feature');
  await page.waitForFunction(() => location.hash.includes('pr=feature'));
  await ready(page, 'trend');
  await canvasDrawn(page.locator('div#chart canvas').first(), 'the chart with the pull request');
  await settle(page);
  assert.equal(await page.locator('select#pr').inputValue(), 'feature');
  clean(page);
  await page.close();
});

test('commit of a pull request: its rows open the trend with the branch against main', async () => {
  const page = await view(`/p/web/c/${sha(255)}`, 'commit');
  const link = rowOf(page.locator('table.compare'), 'render', 'instructions').locator('td.name a');
  assert.match(await link.getAttribute('href'), /[?&]pr=feature(&|$)/, 'the link names the branch');
  await link.click();
  await ready(page, 'trend');
  assert.equal(await page.locator('select#pr').inputValue(), 'feature');
  await canvasDrawn(page.locator('#chart canvas').first(), 'the trend with the pull request');
  clean(page);
  await page.close();
});

test('alerts: the open alerts; acknowledging one from the page turns commit 10 to pass', async () => {
  const { alerts: open0 } = await api('/projects/web/alerts?state=open');
  const reg = open0.find(a => a.kind === 'regression' && a.commit === sha(10) && a.benchmark === 'render');
  assert.ok(reg, 'the seed gave an open regression alert at commit 10');
  const page = await view('/p/web/alerts', 'alerts');
  await screenshots(page, 'alerts', 'alerts');
  const ids = await page.locator('table#alerts tr[data-alert]').evaluateAll(rows => rows.map(r => Number(r.dataset.alert)));
  assert.deepEqual(ids.sort(), open0.map(a => a.id).sort(), 'every open alert, none other');
  const row = page.locator(`table#alerts tr[data-alert="${reg.id}"]`);
  assert.equal(await row.getAttribute('data-state'), 'open');
  assert.match(await row.textContent(), /render/);
  assert.equal(await page.locator('input#admin-token').getAttribute('type'), 'password');
  assert.equal(await page.locator('input#ack-note').inputValue(), 'accepted from the dashboard');

  // Without a token: an error near the button, nothing acknowledged.
  await row.locator('button.ack').click();
  await page.locator('p.error, .error').first().waitFor();
  assert.equal((await api('/projects/web/alerts?state=open')).alerts.length, open0.length);

  await page.locator('input#admin-token').fill(ADMIN_TOKEN);
  await row.locator('button.ack').click();
  await page.waitForFunction(id => {
    const r = document.querySelector(`table#alerts tr[data-alert="${id}"]`);
    return !r || r.dataset.state === 'acknowledged';
  }, reg.id);
  const { alerts: all } = await api('/projects/web/alerts?state=all');
  assert.equal(all.find(a => a.id === reg.id).state, 'acknowledged', 'the API has it acknowledged');
  const verdict = await api(`/projects/web/commits/${sha(10)}/verdict?testbed=tb1`);
  assert.equal(verdict.state, 'pass', "commit 10's verdict on tb1 turned to pass");
  assert.equal(await page.evaluate(() => sessionStorage.getItem('benchgate.admin_token')), ADMIN_TOKEN,
    'the token is kept in sessionStorage');
  assert.equal(await page.evaluate(() => JSON.stringify(localStorage)), '{}', 'nothing in localStorage');
  assert.ok(!page.url().includes(ADMIN_TOKEN), 'the token is not in the URL');

  await page.locator('select#alert-state').selectOption('acknowledged');
  await page.waitForFunction(() => location.hash.includes('state=acknowledged'));
  await ready(page, 'alerts');
  assert.equal(await page.locator(`table#alerts tr[data-alert="${reg.id}"][data-state="acknowledged"]`).count(), 1);
  clean(page);
  await page.close();

  // The pages follow: commit 10 passes in the history.
  const project = await view('/p/web?testbed=tb1', 'project');
  assert.equal(await project.locator(`table#history tr[data-sha="${sha(10)}"] .badge`).getAttribute('data-state'), 'pass');
  clean(project);
  await project.close();
  const trend = await view(TREND, 'trend');
  await canvasDrawn(trend.locator('div#chart canvas').first(), 'the chart with an acknowledged regression');
  clean(trend);
  await trend.close();
});

test('errors: an unknown project shows p.error and data-state=error', async () => {
  const page = await open(browser.context, '/p/nope');
  await page.waitForFunction(() => document.querySelector('main#view').dataset.state === 'error');
  assert.match(await page.locator('p.error').textContent(), /\S/);
  // The failed fetch's 404 is the one console error this view may log.
  page.problems = page.problems.filter(p => !/404/.test(p));
  clean(page);
  await page.close();
});

test('go: moving between views by hash keeps each ready', async () => {
  const page = await view('/', 'projects');
  await go(page, '/p/other', 'project');
  assert.equal(await page.locator('table#history tr[data-sha]').count(), 1);
  await go(page, TREND, 'trend');
  await canvasDrawn(page.locator('div#chart canvas').first(), 'the chart after navigation');
  clean(page);
  await page.close();
});
