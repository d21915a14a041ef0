// dom.js: building elements. Every value from the API enters the page through text nodes and
// attributes set here, never as markup, so a benchmark named like HTML stays text.

const SVG_NS = 'http://www.w3.org/2000/svg';

function fill(e, attrs, children) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.setAttribute('class', v);
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// el('a', {href, class}, ...children): an HTML element; strings become text nodes.
export function el(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

// svg('rect', {x, y}): an SVG element, for the small drawings of the tables.
export function svg(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

// A table whose body rows the caller builds: headers are strings or th elements.
export function table(id, headers, rows, cls) {
  const head = el('tr', {}, headers.map((h) => (h instanceof Node ? h : el('th', {}, h))));
  return el('div', { class: 'scroll' },
    el('table', { id, class: cls }, el('thead', {}, head), el('tbody', {}, rows)));
}

export function td(content, cls) {
  return el('td', { class: cls }, content);
}
