// trend.js: a benchmark's trend with what the gate saw in it: the interval band, change
// points, regressions (red) and acknowledged ones, the baseline window, and a pull request's
// head against the main trend. The server decimates a long series to about what the chart's
// width can show, keeping every change point and regression.
import { api, projectPath } from '../js/api.js';
import { el, table, td } from '../js/dom.js';
import { pct, shortSha, value } from '../js/format.js';
import { align, trendChart } from '../js/trendchart.js';
import { href, replaceQuery, setQuery } from '../js/url.js';

const HEIGHT = 340;

function seriesReq(slug, q, branch, width) {
  return api(`${projectPath(slug)}/series`, {
    benchmark: q.get('benchmark'),
    measure: q.get('measure'),
    testbed: q.get('testbed'),
    branch,
    max_points: Math.min(10000, Math.max(200, Math.round(width * 1.5))),
    subjects: 1,
  });
}

function select(id, label, options, current, onChange) {
  const s = el('select', { id, 'aria-label': label },
    options.map(([v, text]) => el('option', { value: v, selected: v === current }, text)));
  s.addEventListener('change', () => onChange(s.value));
  return el('label', { class: 'control' }, `${label} `, s);
}

function controls(p, q, s, logOk) {
  const def = p.default_branch;
  const branches = (p.branches || []).map((b) => b.name);
  const others = branches.filter((b) => b !== (s.branch || def));
  const log = el('input', { id: 'log', type: 'checkbox', checked: q.get('log') === '1', disabled: !logOk });
  log.addEventListener('change', () => setQuery({ log: log.checked ? '1' : null }));
  return el('div', { class: 'toolbar' },
    select('testbed', 'testbed', (p.testbeds || [s.testbed]).filter(Boolean).map((t) => [t, t]), s.testbed || '', (v) => setQuery({ testbed: v, pr: null })),
    select('branch', 'branch', (branches.length ? branches : [def]).map((b) => [b, b]), s.branch || def, (v) => setQuery({ branch: v === def ? null : v, pr: null })),
    select('pr', 'against', [['', 'none'], ...others.map((b) => [b, b])], q.get('pr') || '', (v) => setQuery({ pr: v || null })),
    el('label', { class: 'control', title: logOk ? '' : 'log scale needs positive values' }, log, ' log scale'),
    el('button', { id: 'reset-zoom', type: 'button' }, 'reset zoom'),
  );
}

// The gate's baseline window: the newest gate_window points of the default branch, starting
// no earlier than the newest change point (where baselines restart). With a decimated series
// the window's start is placed by its share of the full series.
function baselineWindow(s, p, x, at) {
  const pts = s.points;
  if (!pts.length || s.branch !== p.default_branch) return null;
  const gw = p.gate_window || 30;
  const total = s.total_points || pts.length;
  let first = Math.max(0, Math.floor(pts.length * Math.max(0, total - gw) / total));
  const cps = (s.change_points || []).filter((c) => c.index !== null && c.index !== undefined);
  if (cps.length) first = Math.max(first, cps[cps.length - 1].index);
  const xi = (i) => x[at.findIndex((a) => a.s === 0 && a.i === i)];
  return [xi(first), xi(pts.length - 1)];
}

function marks(s, p, x, at) {
  const pos = new Map();
  at.forEach((a, k) => a.s === 0 && pos.set(s.points[a.i].sha, k));
  const atSha = (sha) => (pos.has(sha) ? [x[pos.get(sha)], s.points[at[pos.get(sha)].i].mean] : null);
  const reg = (state) => (s.alerts || []).filter((a) => a.kind === 'regression' && a.state === state).map((a) => atSha(a.commit)).filter(Boolean);
  return {
    window: baselineWindow(s, p, x, at),
    changes: (s.change_points || []).map((c) => atSha(c.sha)).filter(Boolean).map(([t]) => t),
    regressed: reg('open'),
    acknowledged: reg('acknowledged'),
  };
}

function hoverBox() {
  const parts = { sha: el('code', { class: 'sha' }), subject: el('span', { class: 'subject' }), value: el('span', { class: 'value' }), change: el('span', { class: 'change' }) };
  const box = el('div', { id: 'hover', class: 'hover' }, parts.sha, ' ', parts.subject, ' ', parts.value, ' ', parts.change);
  box.hidden = true;
  return { box, parts };
}

function changesTable(slug, s) {
  const cps = s.change_points || [];
  if (!cps.length) return el('p', { class: 'muted' }, 'No change points found in this series.');
  return table('changes', ['first commit of the new level', 'before', 'after', 'change'], cps.map((c) => el('tr', { 'data-sha': c.sha },
    td(el('a', { href: href(['p', slug, 'c', c.sha], { testbed: s.testbed }) }, el('code', {}, shortSha(c.sha)))),
    td(value(c.before, s.unit), 'num'), td(value(c.after, s.unit), 'num'), td(pct(c.change), 'num'))));
}

export async function render(ctx) {
  const { slug, query: q } = ctx;
  const bench = q.get('benchmark');
  const measure = q.get('measure');
  if (!bench || !measure) throw new Error('the link names no benchmark and measure');
  ctx.setCrumbs([[slug, href(['p', slug], { testbed: q.get('testbed') })], [`${bench} · ${measure}`, null]]);
  const chartBox = el('div', { id: 'chart', class: 'chart' });
  ctx.mount(el('h2', {}, `${bench} · ${measure}`), chartBox);
  const width = Math.max(300, chartBox.clientWidth || 800);
  const pr = q.get('pr');
  const [p, s, prs] = await Promise.all([
    api(projectPath(slug)),
    seriesReq(slug, q, q.get('branch'), width),
    pr ? seriesReq(slug, q, pr, width) : null,
  ]);
  const { data, at } = align(s.points, prs ? prs.points : null);
  const logOk = data.slice(1).every((col) => col.every((v) => v === null || v > 0));
  const hover = hoverBox();
  const info = el('p', { class: 'muted' },
    `${s.total_points ?? s.points.length} commits on ${s.branch} · ${s.testbed || ''} · ${s.unit}, ${s.direction} is better`,
    s.decimated ? ` · drawn from ${s.points.length} points (change points and regressions kept)` : '',
    prs ? ` · ${prs.points.length} commits of ${pr}` : '');
  ctx.mount(el('h2', {}, `${bench} · ${measure}`), controls(p, q, s, logOk), info, hover.box, chartBox,
    el('p', { class: 'legend' }, el('span', { class: 'k k-line' }), ' mean with 95 % interval ', el('span', { class: 'k k-reg' }), ' regression ',
      el('span', { class: 'k k-ack' }), ' acknowledged ', el('span', { class: 'k k-cp' }), ' change point ', el('span', { class: 'k k-win' }), ' baseline window',
      prs ? [' ', el('span', { class: 'k k-pr' }), ` ${pr}`] : ''),
    el('h3', {}, 'Change points'), changesTable(slug, s));
  if (!data[0].length) {
    chartBox.append(el('p', { class: 'muted' }, 'No points on this branch.'));
    return;
  }
  const from = Number(q.get('from'));
  const to = Number(q.get('to'));
  let hovered = null;
  const showHover = (k) => {
    hovered = k === undefined || k >= at.length ? null : k;
    if (hovered === null) return;
    const a = at[k];
    const pts = a.s ? prs.points : s.points;
    const pt = pts[a.i];
    const prev = a.i > 0 ? pts[a.i - 1] : null;
    hover.box.hidden = false;
    hover.parts.sha.textContent = shortSha(pt.sha);
    hover.parts.subject.textContent = pt.subject || '';
    hover.parts.value.textContent = `${value(pt.mean, s.unit)} (${value(pt.lower, s.unit)} … ${value(pt.upper, s.unit)})`;
    hover.parts.change.textContent = prev ? `${pct(pt.mean / prev.mean - 1)} vs previous` : '';
  };
  await new Promise((resolve) => {
    const chart = trendChart({
      el: chartBox,
      data,
      marks: marks(s, p, data[0], at),
      unitFmt: (v) => value(v, s.unit),
      log: q.get('log') === '1' && logOk,
      range: from && to && to > from ? [from, to] : null,
      width: chartBox.clientWidth || width,
      height: HEIGHT,
      onZoom: (r) => replaceQuery(r ? { from: Math.floor(r[0]), to: Math.ceil(r[1]) } : { from: null, to: null }),
      onHover: showHover,
      onReady: resolve,
    });
    document.getElementById('reset-zoom').addEventListener('click', () => chart.reset());
    const onResize = () => chart.resize(chartBox.clientWidth);
    window.addEventListener('resize', onResize);
    ctx.onLeave(() => {
      window.removeEventListener('resize', onResize);
      chart.destroy();
    });
  });
  openOnClick(chartBox, slug, s, prs, at, () => hovered);
}

// A click on the chart (not the end of a drag) opens the hovered point's commit.
function openOnClick(box, slug, s, prs, at, current) {
  let downX = 0;
  box.addEventListener('mousedown', (e) => (downX = e.clientX));
  box.addEventListener('click', (e) => {
    const k = current();
    if (Math.abs(e.clientX - downX) > 3 || k === null || !e.target.closest('.u-over')) return;
    const a = at[k];
    const pt = (a.s ? prs.points : s.points)[a.i];
    location.hash = href(['p', slug, 'c', pt.sha], { testbed: s.testbed }).slice(1);
  });
}
