// format.js: how numbers, times, commits and verdicts read on the page.

const SI = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];
const TIME_NS = [
  [1e9, 's'],
  [1e6, 'ms'],
  [1e3, 'µs'],
  [1, 'ns'],
];

function sig(v) {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

// A value in its unit, scaled for reading: 62453300 ns → "62.5 ms", 1.2e8 count → "120 M".
export function value(v, unit) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const u = unit || '';
  if (u === 'ns' || u === 's' || u === 'ms' || u === 'us') {
    const ns = v * ({ s: 1e9, ms: 1e6, us: 1e3 }[u] || 1);
    for (const [f, name] of TIME_NS) if (Math.abs(ns) >= f || f === 1) return `${sig(ns / f)} ${name}`;
  }
  if (u === 'bytes' || u === 'B') {
    const k = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let x = v;
    while (Math.abs(x) >= 1024 && i < k.length - 1) {
      x /= 1024;
      i++;
    }
    return `${sig(x)} ${k[i]}`;
  }
  for (const [f, name] of SI) if (Math.abs(v) >= f) return `${sig(v / f)} ${name}${u && u !== 'count' ? u : ''}`.trim();
  return `${sig(v)}${u && u !== 'count' ? ' ' + u : ''}`;
}

// A relative change: 0.1349 → "+13.5 %".
export function pct(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const p = x * 100;
  // Three significant digits, decided after rounding: 9.9999 reads "+10.0 %", not "+10.00 %".
  const a = Math.abs(p);
  const s = a >= 99.95 ? p.toFixed(0) : a >= 9.995 ? p.toFixed(1) : p.toFixed(2);
  return `${p > 0 ? '+' : p < 0 ? '' : '±'}${s} %`;
}

export function prob(p) {
  if (p === null || p === undefined || !Number.isFinite(p)) return '–';
  return p < 1e-3 ? p.toExponential(1) : p.toFixed(3);
}

export const shortSha = (sha) => String(sha || '').slice(0, 8);

export function subject(message) {
  return String(message || '').split('\n')[0];
}

// Seconds since the epoch or an ISO string → "2026-11-20 16:00".
export function time(t) {
  if (t === null || t === undefined || t === '') return '';
  const d = typeof t === 'number' ? new Date(t * 1000) : new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return d.toISOString().slice(0, 16).replace('T', ' ');
}

export const stateLabel = (state) => String(state || 'none').replaceAll('_', ' ');

const COUNT_ORDER = ['regressed', 'inconclusive', 'improved', 'unchanged', 'new', 'missing', 'ignored'];

// {regressed: 1, ignored: 2, unchanged: 0} → "1 regressed · 2 ignored".
export function counts(c) {
  if (!c) return '';
  return COUNT_ORDER.filter((k) => c[k]).map((k) => `${c[k]} ${k}`).join(' · ');
}

export const CLASSES = COUNT_ORDER;
