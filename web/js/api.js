// api.js: the REST API of benchgated, read with fetch. Errors carry the server's message and
// the field it names, so a view can say what went wrong.

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.field = err.field || null;
  }
}

const enc = encodeURIComponent;

// path: below /api/v1; params: an object whose null/undefined/'' values are left out.
export async function api(path, params = {}, init = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const url = '/api/v1' + path + (q.size ? '?' + q : '');
  const r = await fetch(url, { ...init, headers: { Accept: 'application/json', ...(init.headers || {}) } });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, body);
  return body;
}

export const projectPath = (slug) => `/projects/${enc(slug)}`;
