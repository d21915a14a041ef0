// sorttable.js: a table of many rows that sorts and filters without rebuilding them, and
// draws only the first `limit` rows that match until asked for all. A commit of 1 000 results
// reads regressions first; laying out all 1 000 rows would cost the browser most of a second
// before anything shows, and so would each sort. A row's element is built the first time it
// is shown and kept.
import { el } from './dom.js';

// columns: [{key, label}] (key null: not sortable); rows: [{values: {key: comparable},
// make(): tr}]; state: {sort, dir}. A header click calls onSort(key, dir), which sorts (apply)
// the tables that should follow it.
export function sortTable(cls, columns, rows, state, onSort, limit = 200) {
  const tbody = el('tbody');
  let order = rows.slice();
  let keep = () => true;
  let max = limit;
  const more = el('button', { type: 'button', class: 'more' });
  more.hidden = true;
  more.addEventListener('click', () => {
    max = Infinity;
    draw();
  });
  const ths = columns.map((c) => {
    const th = el('th', c.key ? { 'data-sort': c.key, tabindex: 0, class: 'sortable' } : {}, c.label);
    if (c.key) {
      const toggle = () => onSort(c.key, state.sort === c.key && state.dir === 'asc' ? 'desc' : 'asc');
      th.addEventListener('click', toggle);
      th.addEventListener('keydown', (e) => e.key === 'Enter' && toggle());
    }
    return th;
  });
  const tableEl = el('table', { class: cls }, el('thead', {}, el('tr', {}, ths)), tbody);

  function draw() {
    const shown = order.filter(keep);
    tbody.replaceChildren(...shown.slice(0, max).map((r) => (r.tr ||= r.make())));
    more.hidden = shown.length <= max;
    more.textContent = `show all ${shown.length} (${Math.min(max, shown.length)} shown)`;
    return shown.length;
  }

  // Sorts by `key` (ties broken by `tie`, then by the rows' own order) and redraws.
  function apply(key, dir, tie) {
    state.sort = key;
    state.dir = dir;
    const sign = dir === 'desc' ? -1 : 1;
    const by = (a, b) => {
      const x = a.values[key];
      const y = b.values[key];
      const nx = missing(x);
      const ny = missing(y);
      if (nx || ny) return nx && ny ? 0 : nx ? 1 : -1;
      return sign * compare(x, y);
    };
    order = rows.slice().sort((a, b) => by(a, b) || (tie ? tie(a, b) : 0));
    for (const th of ths) {
      if (th.dataset.sort === key) th.setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
    draw();
  }

  // Shows the rows `pred` keeps; returns how many match.
  function filter(pred) {
    keep = pred;
    return draw();
  }

  return { element: el('div', { class: 'scroll' }, tableEl, more), apply, filter };
}

// Values without a number (no p for a new benchmark) sort last whichever the direction.
const missing = (v) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

function compare(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}
