// alerts.js: a project's regression and change-point alerts, and acknowledging one. The admin
// token is typed into the page and kept in this tab's session storage only, never in the URL
// or local storage.
import { api, projectPath } from '../js/api.js';
import { el, table, td } from '../js/dom.js';
import { pct, shortSha, time } from '../js/format.js';
import { href, setQuery } from '../js/url.js';

const TOKEN_KEY = 'benchgate.admin_token';

function tokenInput() {
  const input = el('input', { id: 'admin-token', type: 'password', autocomplete: 'off', placeholder: 'admin token', value: sessionStorage.getItem(TOKEN_KEY) || '', 'aria-label': 'admin token' });
  input.addEventListener('change', () => {
    if (input.value) sessionStorage.setItem(TOKEN_KEY, input.value);
    else sessionStorage.removeItem(TOKEN_KEY);
  });
  return input;
}

async function acknowledge(slug, alert, note, token) {
  return api(`${projectPath(slug)}/alerts/${alert.id}/ack`, {}, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ note }),
  });
}

function row(slug, a, onAck) {
  const trend = href(['p', slug, 't'], { benchmark: a.benchmark, measure: a.measure, testbed: a.testbed });
  const ack = a.state === 'open' ? el('button', { type: 'button', class: 'ack' }, 'acknowledge') : null;
  if (ack) ack.addEventListener('click', () => onAck(a, ack));
  const who = a.state === 'acknowledged' ? `by ${a.acknowledged_by || '?'} ${time(a.acknowledged_at)}: ${a.note || ''}` : '';
  return el('tr', { 'data-alert': a.id, 'data-state': a.state },
    td(a.kind),
    td(el('a', { href: trend }, a.benchmark), 'name'),
    td(a.measure),
    td(a.testbed),
    td(el('a', { href: href(['p', slug, 'c', a.commit], { testbed: a.testbed }) }, el('code', {}, shortSha(a.commit)))),
    td(pct(a.change), 'num'),
    td(time(a.created_at), 'nowrap'),
    td(el('span', { class: `alert-state a-${a.state}` }, a.state), 'state'),
    td(ack || who, 'who'),
  );
}

export async function render(ctx) {
  const { slug, query } = ctx;
  const state = query.get('state') || 'open';
  ctx.setCrumbs([[slug, href(['p', slug])], ['alerts', null]]);
  const token = tokenInput();
  const note = el('input', { id: 'ack-note', type: 'text', size: 32, value: 'accepted from the dashboard', maxlength: 2000, 'aria-label': 'note' });
  const status = el('p', { class: 'status', role: 'status' });
  const body = el('div');
  const pick = el('select', { id: 'alert-state', 'aria-label': 'state' },
    ['open', 'acknowledged', 'all'].map((s) => el('option', { value: s, selected: s === state }, s)));
  pick.addEventListener('change', () => setQuery({ state: pick.value === 'open' ? null : pick.value }));

  const load = async () => {
    const data = await api(`${projectPath(slug)}/alerts`, { state });
    const list = data.alerts || [];
    body.replaceChildren(list.length
      ? table('alerts', ['kind', 'benchmark', 'measure', 'testbed', 'commit', 'change', 'raised', 'state', ''], list.map((a) => row(slug, a, onAck)))
      : el('p', { class: 'muted' }, `No ${state === 'all' ? '' : state + ' '}alerts.`));
  };
  const onAck = async (a, button) => {
    status.className = 'status';
    if (!token.value) {
      status.className = 'status error';
      status.textContent = 'Enter an admin token to acknowledge.';
      token.focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token.value);
    button.disabled = true;
    try {
      const r = await acknowledge(slug, a, note.value || 'accepted from the dashboard', token.value);
      status.textContent = `Acknowledged ${a.benchmark} ${a.measure}` + (r.verdict ? `: the verdict on ${a.testbed} is now ${r.verdict.state}.` : '.');
      await load();
    } catch (e) {
      button.disabled = false;
      status.className = 'status error';
      status.textContent = `Could not acknowledge: ${e.message}`;
    }
  };
  ctx.mount(el('h2', {}, `Alerts of ${slug}`),
    el('div', { class: 'toolbar' }, el('label', { class: 'control' }, 'show ', pick),
      el('label', { class: 'control' }, 'admin token ', token), el('label', { class: 'control' }, 'note ', note)),
    status, body);
  await load();
}
