// badge.js: a verdict state as a coloured label.
import { el } from './dom.js';
import { stateLabel } from './format.js';

export function badge(state) {
  const s = state || 'none';
  return el('span', { class: `badge s-${s}`, 'data-state': s }, stateLabel(s));
}
