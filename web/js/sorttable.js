// sorttable.js: a table of many rows that sorts and filters in place. Rows are built once;
// sorting moves the existing row elements and filtering hides them, so a table of 1 000
// results answers a click without building anything again.
import { el } from './dom.js';

// columns: [{key, label, sortable}], rows: [{tr, values: {key: comparable}}].
// state: {sort, dir}; a header click calls onSort(key, dir), which sorts (apply) the tables
// that should follow it.
export function sortTable(cls, columns, rows, state, onSort) {
  const tbody = el('tbody', {}, rows.map((r) => r.tr));
  const ths = columns.map((c) => {
    const th = el('th', c.key ? { 'data-sort': c.key, tabindex: 0, class: 'sortable' } : {}, c.label);
    if (c.key) {
      const toggle = () => {
        const dir = state.sort === c.key && state.dir === 'asc' ? 'desc' : 'asc';
        onSort(c.key, dir);
      };
      th.addEventListener('click', toggle);
      th.addEventListener('keydown', (e) => e.key === 'Enter' && toggle());
    }
    return th;
  });
  const tableEl = el('table', { class: cls }, el('thead', {}, el('tr', {}, ths)), tbody);

  function apply(key, dir, tie) {
    state.sort = key;
    state.dir = dir;
    const sign = dir === 'desc' ? -1 : 1;
    const order = (a, b) => {
      const x = a.values[key];
      const y = b.values[key];
      const nx = missing(x);
      const ny = missing(y);
      if (nx || ny) return nx && ny ? 0 : nx ? 1 : -1;
      return sign * compare(x, y);
    };
    const sorted = rows.slice().sort((a, b) => order(a, b) || (tie ? tie(a, b) : 0));
    for (const th of ths) {
      if (th.dataset.sort === key) th.setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
    tbody.append(...sorted.map((r) => r.tr));
  }

  function filter(keep) {
    let shown = 0;
    for (const r of rows) {
      r.tr.hidden = !keep(r);
      if (!r.tr.hidden) shown++;
    }
    return shown;
  }

  return { element: el('div', { class: 'scroll' }, tableEl), apply, filter };
}

// Values without a number (no p for a new benchmark) sort last whichever the direction.
const missing = (v) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

function compare(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}
