// commit.js: one commit's verdict per testbed as a comparison table (change with its
// interval bar, class, p and q, baseline runs), sortable by every column and filterable by
// class and text, with the Markdown report and the base it compared with. One request: the
// commit answer carries every verdict with its results.
import { api, projectPath } from '../js/api.js';
import { badge } from '../js/badge.js';
import { el, svg } from '../js/dom.js';
import { CLASSES, counts, pct, prob, shortSha, subject, time, value } from '../js/format.js';
import { sortTable } from '../js/sorttable.js';
import { href, replaceQuery } from '../js/url.js';

// Regressions first: the order people read a verdict in.
const CLASS_RANK = { regressed: 0, inconclusive: 1, improved: 2, new: 3, missing: 4, unchanged: 5, ignored: 6 };
const COLUMNS = [
  { key: 'benchmark', label: 'benchmark' },
  { key: 'measure', label: 'measure' },
  { key: 'change', label: 'change (95 % CI)' },
  { key: 'class', label: 'class' },
  { key: 'p', label: 'p' },
  { key: 'q', label: 'q' },
  { key: 'baseline', label: 'baseline' },
  { key: null, label: 'candidate' },
];
const BAR_W = 120;
const BAR_H = 14;

// The interval bar: the 95 % interval of the change as a band, the estimate as a tick, zero as
// a line; `range` is the largest |change| of the table, so bars compare across rows.
function bar(r, range) {
  const x = (v) => BAR_W / 2 + (Math.max(-range, Math.min(range, v)) / range) * (BAR_W / 2 - 2);
  const parts = [svg('line', { x1: BAR_W / 2, x2: BAR_W / 2, y1: 1, y2: BAR_H - 1, class: 'zero' })];
  const ci = r.change_ci;
  if (ci && Number.isFinite(ci[0]) && Number.isFinite(ci[1]))
    parts.push(svg('rect', { x: x(ci[0]), y: 4, width: Math.max(1, x(ci[1]) - x(ci[0])), height: BAR_H - 8, class: 'ci' }));
  if (Number.isFinite(r.change)) parts.push(svg('rect', { x: x(r.change) - 1, y: 2, width: 2, height: BAR_H - 4, class: 'est' }));
  return svg('svg', { class: `bar c-${r.class}`, width: BAR_W, height: BAR_H, viewBox: `0 0 ${BAR_W} ${BAR_H}`, preserveAspectRatio: 'none', 'aria-hidden': 'true' }, parts);
}

function range(results) {
  let m = 0.02;
  for (const r of results) {
    for (const v of [r.change, ...(r.change_ci || [])]) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  }
  return Math.min(m, 2);
}

function resultRow(slug, v, r, scale, prBranch) {
  const b = r.baseline || {};
  const c = r.candidate || {};
  const values = {
    benchmark: r.benchmark,
    measure: r.measure,
    change: Number.isFinite(r.change) ? r.change : null,
    class: CLASS_RANK[r.class] ?? 9,
    p: r.p,
    q: r.q,
    baseline: b.runs ?? null,
  };
  const make = () => {
    const trend = href(['p', slug, 't'], { benchmark: r.benchmark, measure: r.measure, testbed: v.testbed, pr: prBranch });
    const tr = el('tr', { 'data-benchmark': r.benchmark, 'data-measure': r.measure, 'data-class': r.class },
      el('td', { class: 'name' }, el('a', { href: trend }, r.benchmark)),
      el('td', {}, r.measure),
      el('td', { class: 'change nowrap' }, el('span', { class: 'pct' }, pct(r.change)), ' ', bar(r, scale)),
      el('td', {}, el('span', { class: `cls c-${r.class}` }, r.class)),
      el('td', { class: 'num' }, prob(r.p)),
      el('td', { class: 'num' }, prob(r.q)),
      el('td', { class: 'num nowrap' }, b.center !== undefined ? `${value(b.center, r.unit)} (${b.runs} runs)` : '–'),
      el('td', { class: 'num nowrap' }, c.center !== undefined ? value(c.center, r.unit) : '–'),
    );
    tr.title = r.change_ci ? `95 % CI ${pct(r.change_ci[0])} … ${pct(r.change_ci[1])}` : '';
    return tr;
  };
  return { make, values, text: `${r.benchmark} ${r.measure}`.toLowerCase(), cls: r.class };
}

function baseLine(slug, v) {
  const b = v.baseline || {};
  if (!b.runs) return el('p', { class: 'base muted' }, 'No baseline: nothing to compare with yet.');
  const link = (sha) => el('a', { href: href(['p', slug, 'c', sha], { testbed: v.testbed }) }, el('code', {}, shortSha(sha)));
  return el('p', { class: 'base' }, `Compared with ${b.runs} runs of ${b.branch || 'the default branch'}`,
    b.first ? [' (', link(b.first), ' … ', link(b.last), ')'] : '', '.');
}

function section(slug, v, state, onSort, prBranch) {
  const results = v.results || [];
  const scale = range(results);
  const rows = results.map((r) => resultRow(slug, v, r, scale, prBranch));
  const t = sortTable('compare', COLUMNS, rows, state, onSort);
  const byClassThenSize = (a, b) => a.values.class - b.values.class || Math.abs(b.values.change ?? 0) - Math.abs(a.values.change ?? 0);
  const shown = el('span', { class: 'muted shown' });
  const node = el('section', { class: 'verdict', 'data-testbed': v.testbed },
    el('h3', {}, `testbed ${v.testbed} `, badge(v.state), el('span', { class: 'muted' }, ` ${counts(v.counts)}`)),
    el('p', { class: 'summary' }, v.summary || ''),
    baseLine(slug, v),
    shown,
    t.element,
    v.markdown ? el('details', { class: 'report' }, el('summary', {}, 'Markdown report'), el('pre', {}, v.markdown)) : null,
  );
  return {
    node,
    sort: (key, dir) => (key ? t.apply(key, dir) : t.apply('class', 'asc', byClassThenSize)),
    filter: (cls, text) => {
      const n = t.filter((r) => (!cls || r.cls === cls) && (!text || r.text.includes(text)));
      shown.textContent = `${n} of ${rows.length} results match`;
    },
  };
}

function controls(query, apply) {
  const cls = el('select', { id: 'class-filter', 'aria-label': 'class' },
    el('option', { value: '' }, 'all classes'), CLASSES.map((c) => el('option', { value: c, selected: query.get('class') === c }, c)));
  const text = el('input', { id: 'text-filter', type: 'search', placeholder: 'filter benchmarks', value: query.get('q') || '', 'aria-label': 'filter' });
  let timer = 0;
  const update = () => {
    replaceQuery({ class: cls.value, q: text.value });
    apply(cls.value, text.value.trim().toLowerCase());
  };
  cls.addEventListener('change', update);
  text.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(update, 120);
  });
  return el('div', { class: 'toolbar' }, el('label', { class: 'control' }, 'class ', cls), el('label', { class: 'control' }, text));
}

export async function render(ctx) {
  const { slug, query } = ctx;
  const sha = ctx.parts[3];
  ctx.setCrumbs([[slug, href(['p', slug])], [shortSha(sha), null]]);
  const data = await api(`${projectPath(slug)}/commits/${encodeURIComponent(sha)}`);
  const c = data.commit || {};
  const only = query.get('testbed');
  const verdicts = (data.verdicts || []).filter((v) => !only || v.testbed === only);
  const state = { sort: query.get('sort'), dir: query.get('dir') === 'desc' ? 'desc' : 'asc' };
  // A header click sorts every testbed's table the same way.
  const onSort = (sort, dir) => {
    replaceQuery({ sort, dir });
    for (const s of sections) s.sort(sort, dir);
  };
  const runs = data.runs || [];
  const pr = runs.find((r) => r.pull_request);
  // A pull request's rows open the trend with its branch drawn against the main trend.
  const sections = verdicts.map((v) => section(slug, v, state, onSort, pr ? pr.branch : null));
  ctx.mount(
    el('h2', {}, subject(c.message) || shortSha(c.sha)),
    el('p', { class: 'muted' }, el('code', {}, c.sha), ` · ${c.author || ''} · ${time(c.time || c.timestamp)}`,
      pr ? ` · pull request #${pr.pull_request} on ${pr.branch}` : '',
      only ? [' · ', el('a', { href: href(['p', slug, 'c', sha]) }, 'all testbeds')] : ''),
    sections.length ? controls(query, (cls, text) => sections.forEach((s) => s.filter(cls, text))) : el('p', { class: 'muted' }, 'No verdict for this commit yet.'),
    ...sections.map((s) => s.node),
  );
  const cls = query.get('class') || '';
  const text = (query.get('q') || '').trim().toLowerCase();
  for (const s of sections) {
    s.sort(state.sort, state.dir);
    s.filter(cls, text);
  }
}
