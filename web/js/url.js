// url.js: the views' state lives in the location hash (#/p/demo/c/SHA?class=regressed), so
// every view is a deep link. A view reads its state with route() and writes changes that need
// no reload with replaceQuery(), which keeps the history clean while filters are typed.

const enc = encodeURIComponent;

export function route() {
  const hash = location.hash.slice(1) || '/';
  const at = hash.indexOf('?');
  const path = at < 0 ? hash : hash.slice(0, at);
  const query = new URLSearchParams(at < 0 ? '' : hash.slice(at + 1));
  const parts = path.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { parts, query };
}

// href(['p', slug, 'c', sha], {testbed}) → '#/p/slug/c/sha?testbed=…' (empty values left out).
export function href(parts, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return '#/' + parts.map((p) => enc(p)).join('/') + (s ? '?' + s : '');
}

// Sets or clears query keys of the current hash without a new history entry or a re-render.
export function replaceQuery(changes) {
  const { parts, query } = route();
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === '' || v === false) query.delete(k);
    else query.set(k, v);
  }
  history.replaceState(null, '', href(parts, Object.fromEntries(query)));
}

// Navigates to a new state of the current view (a reload of it, with a history entry).
export function setQuery(changes) {
  const { parts, query } = route();
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === '' || v === false) query.delete(k);
    else query.set(k, v);
  }
  location.hash = href(parts, Object.fromEntries(query)).slice(1);
}
