// project.js: a project's default-branch history (50 commits a page) and its benchmarks, each
// with a sparkline of its latest commits and its latest change point. The project, its
// history and its benchmarks (sparklines included: one request) load in parallel.
import { api, projectPath } from '../js/api.js';
import { badge } from '../js/badge.js';
import { el, table, td } from '../js/dom.js';
import { counts, pct, shortSha, subject, time, value } from '../js/format.js';
import { sparkline } from '../js/sparkline.js';
import { href, setQuery } from '../js/url.js';

const SPARK_COMMITS = 50;

// A column a phone leaves out (style.css hides .wide below 600 px).
const wide = (label) => el('th', { class: 'wide' }, label);
const num = (label) => el('th', { class: 'num' }, label);

function historyRow(slug, testbed, c) {
  const v = c.verdict || null;
  return el('tr', { 'data-sha': c.sha },
    td(el('a', { href: href(['p', slug, 'c', c.sha], { testbed }) }, el('code', {}, shortSha(c.sha)))),
    td(badge(v ? v.state : 'none')),
    td(v ? counts(v.counts) : '', 'counts'),
    td(subject(c.message), 'subject'),
    td(String(c.author || '').replace(/\s*<[^>]*>$/, ''), 'nowrap wide'),
    td(time(c.time || c.timestamp), 'nowrap wide'),
  );
}

function benchmarkRow(slug, testbed, branch, b) {
  const canvas = el('canvas', { class: 'spark', 'aria-label': `trend of ${b.benchmark}` });
  const trend = href(['p', slug, 't'], { benchmark: b.benchmark, measure: b.measure, testbed, branch });
  const tr = el('tr', { 'data-benchmark': b.benchmark, 'data-measure': b.measure },
    td(el('a', { href: trend }, b.benchmark), 'name'),
    td(b.measure),
    td(canvas),
    td(b.latest ? value(b.latest.mean, b.unit) : '–', 'num'),
    td(b.change ? pct(b.change.change) : '–', 'num change'),
    td(b.open_alerts ? String(b.open_alerts) : '', 'num alerts'),
  );
  return { tr, draw: () => sparkline(canvas, b.spark || [], { alert: b.open_alerts > 0 }) };
}

function testbedSelect(p, current) {
  const names = p.testbeds || [];
  if (names.length < 2) return null;
  const sel = el('select', { id: 'testbed', 'aria-label': 'testbed' },
    names.map((n) => el('option', { value: n, selected: n === current }, n)));
  sel.addEventListener('change', () => setQuery({ testbed: sel.value, before: null }));
  return el('label', { class: 'control' }, 'testbed ', sel);
}

export async function render(ctx) {
  const { slug, query } = ctx;
  const testbed = query.get('testbed') || '';
  const branch = query.get('branch') || '';
  const before = query.get('before') || '';
  ctx.setCrumbs([[slug, null]]);
  // The project first: its default branch and testbeds name what the other two ask for.
  const p = await api(projectPath(slug));
  const br = branch || p.default_branch;
  const tbDefault = testbed || (p.testbeds || [])[0] || '';
  const [hist, bench] = await Promise.all([
    api(`${projectPath(slug)}/commits`, { limit: 50, branch: br, testbed, before }),
    api(`${projectPath(slug)}/benchmarks`, { testbed: tbDefault, branch: br, spark: SPARK_COMMITS }),
  ]);
  const tb = testbed || bench.testbed || '';
  const commits = hist.commits || [];
  const rows = (bench.benchmarks || []).map((b) => benchmarkRow(slug, tb, branch, b));
  const older = hist.next
    ? el('a', { id: 'older', href: href(['p', slug], { testbed, branch, before: hist.next }) }, 'older commits →')
    : null;
  ctx.mount(
    el('div', { class: 'toolbar' },
      el('h2', {}, slug),
      el('span', { class: 'muted' }, `${p.github_repo || ''} · branch ${br}`),
      testbedSelect(p, tb),
      el('a', { href: href(['p', slug, 'alerts']), id: 'alerts-link' }, 'alerts')),
    el('h3', {}, 'History'),
    commits.length
      ? table('history', ['commit', 'verdict', 'results', 'subject', wide('author'), wide('time')], commits.map((c) => historyRow(slug, testbed, c)))
      : el('p', { class: 'muted' }, 'No runs on this branch yet.'),
    el('p', { class: 'pager' }, before ? el('a', { href: href(['p', slug], { testbed, branch }) }, '← newest') : null, ' ', older),
    el('h3', {}, `Benchmarks on ${tb || 'the testbed'}`),
    rows.length
      ? table('benchmarks', ['benchmark', 'measure', `last ${bench.spark_commits || SPARK_COMMITS} commits`, num('latest'), num('latest change'), num('open alerts')], rows.map((r) => r.tr))
      : el('p', { class: 'muted' }, 'No benchmarks yet.'),
  );
  for (const r of rows) r.draw();
}
