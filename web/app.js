// benchgate dashboard: a small hash-routed view over the REST API.
// Every value from the API is inserted with textContent, never as HTML.

const view = document.getElementById('view');
const crumbs = document.getElementById('crumbs');

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}

async function api(path) {
  const r = await fetch('/api/v1' + path, { headers: { Accept: 'application/json' } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error ? body.error.message : `HTTP ${r.status}`);
  return body;
}

function table(headers, rows) {
  const t = el('table', {}, el('thead', {}, el('tr', {}, ...headers.map(h => el('th', {}, h)))));
  const tb = el('tbody');
  for (const r of rows) tb.append(el('tr', {}, ...r.map(c => (c instanceof Node && c.tagName === 'TD') ? c : el('td', {}, c))));
  t.append(tb);
  return t;
}

const num = v => el('td', { class: 'num' }, typeof v === 'number' ? v.toPrecision(6) : (v ?? ''));
const link = (href, text) => el('a', { href }, text);
const short = sha => (sha || '').slice(0, 10);
const when = t => (t ? String(t).replace('T', ' ').replace('Z', ' UTC') : '');
const enc = encodeURIComponent;

async function projects() {
  crumbs.textContent = '';
  const data = await api('/projects');
  const list = data.projects || data;
  view.replaceChildren(el('h2', {}, 'Projects'),
    table(['project', 'repository', 'default branch'],
      list.map(p => [link(`#/p/${enc(p.slug)}`, p.slug), p.github_repo || '', p.default_branch])));
}

async function project(slug) {
  crumbs.textContent = `/ ${slug}`;
  const [hist, benches] = await Promise.all([
    api(`/projects/${enc(slug)}/commits?limit=50`),
    api(`/projects/${enc(slug)}/benchmarks`),
  ]);
  const commits = hist.commits || [];
  const bl = benches.benchmarks || [];
  view.replaceChildren(
    el('h2', {}, 'History'),
    table(['commit', 'message', 'branch', 'time', 'runs', 'verdict'], commits.map(c => [
      link(`#/p/${enc(slug)}/c/${enc(c.sha)}`, el('code', {}, short(c.sha))),
      (c.message || '').split('\n')[0], c.branch || (c.branches || []).join(', '), when(c.timestamp),
      c.runs ?? '', el('span', { class: `badge ${c.verdict?.state || c.state || ''}` }, c.verdict?.state || c.state || '–')])),
    el('h2', {}, 'Benchmarks'),
    table(['benchmark', 'measure', 'unit', 'latest'], bl.map(b => [
      link(`#/p/${enc(slug)}/s?benchmark=${enc(b.benchmark)}&measure=${enc(b.measure)}&testbed=${enc(benches.testbed || b.testbed || '')}`, b.benchmark),
      b.measure, b.unit, num(b.latest?.mean ?? b.latest?.value)])));
}

async function commit(slug, sha) {
  crumbs.textContent = `/ ${slug} / ${short(sha)}`;
  const data = await api(`/projects/${enc(slug)}/commits/${enc(sha)}`);
  const c = data.commit || {};
  const parts = [el('h2', {}, (c.message || '').split('\n')[0] || short(sha)),
    el('p', { class: 'muted' }, `${c.sha} · ${c.author || ''} · ${when(c.timestamp)}`)];
  for (const run of data.runs || []) {
    const detail = await api(`/projects/${enc(slug)}/runs/${enc(run.run_id)}`);
    parts.push(el('h3', {}, `run ${run.run_id} on ${run.testbed}`),
      table(['benchmark', 'measure', 'n', 'mean', 'stddev', 'unit'], (detail.results || []).map(r => [
        r.benchmark, r.measure, num(r.n ?? (r.samples || []).length), num(r.mean), num(r.stddev), r.unit])));
  }
  view.replaceChildren(...parts);
}

async function series(slug, params) {
  crumbs.textContent = `/ ${slug} / ${params.get('benchmark')}`;
  const q = new URLSearchParams(params);
  const data = await api(`/projects/${enc(slug)}/series?${q}`);
  view.replaceChildren(el('h2', {}, `${params.get('benchmark')} · ${params.get('measure')}`),
    table(['commit', 'time', 'mean', 'lower', 'upper', 'n'], (data.points || []).map(p => [
      link(`#/p/${enc(slug)}/c/${enc(p.sha)}`, el('code', {}, short(p.sha))), when(p.time),
      num(p.mean), num(p.lower), num(p.upper), num(p.n)])));
}

async function route() {
  const [path, query] = location.hash.slice(1).split('?');
  const parts = (path || '/').split('/').filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === 'p' && parts[2] === 'c') await commit(parts[1], parts[3]);
    else if (parts[0] === 'p' && parts[2] === 's') await series(parts[1], new URLSearchParams(query));
    else if (parts[0] === 'p') await project(parts[1]);
    else await projects();
  } catch (e) {
    view.replaceChildren(el('p', { class: 'error' }, `Could not load: ${e.message}`));
  }
}

window.addEventListener('hashchange', route);
route();
