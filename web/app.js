// app.js: the dashboard's router. The location hash names the view and its whole state
// (url.js); each view module renders into <main id="view"> and resolves once everything it
// shows is drawn, when data-state turns "ready" (what the browser tests and people wait for).
import { el } from './js/dom.js';
import { route } from './js/url.js';

// Each view's module is loaded when it is first shown: a project page does not compile the
// chart library the trend view needs.
const VIEWS = {
  projects: () => import('./views/projects.js'),
  project: () => import('./views/project.js'),
  commit: () => import('./views/commit.js'),
  trend: () => import('./views/trend.js'),
  alerts: () => import('./views/alerts.js'),
};

const main = document.getElementById('view');
const crumbs = document.getElementById('crumbs');
let generation = 0;
let cleanup = null;

function pick(parts) {
  if (parts[0] !== 'p' || !parts[1]) return 'projects';
  if (parts[2] === 'c' && parts[3]) return 'commit';
  // 'series' is the form in links benchgate has already posted to pull requests.
  if (parts[2] === 't' || parts[2] === 'series') return 'trend';
  if (parts[2] === 'alerts') return 'alerts';
  return 'project';
}

// The breadcrumbs: [text, href] pairs after the home link.
function setCrumbs(items) {
  crumbs.replaceChildren(
    el('a', { href: '#/', class: 'brand' }, 'benchgate'),
    ...items.flatMap(([text, href]) => [' / ', href ? el('a', { href }, text) : el('span', {}, text)]),
  );
}

// Resolves after the next frame has been drawn (the second callback runs once the first
// frame's layout and paint are done).
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));

async function show() {
  const gen = ++generation;
  if (cleanup) cleanup();
  cleanup = null;
  const { parts, query } = route();
  const name = pick(parts);
  main.dataset.view = name;
  main.dataset.state = 'loading';
  const ctx = {
    parts,
    query,
    slug: parts[1],
    // A view whose data arrives after the user moved on must not draw over the new view.
    alive: () => gen === generation,
    mount: (...nodes) => {
      if (gen === generation) main.replaceChildren(...nodes);
    },
    setCrumbs: (items) => gen === generation && setCrumbs(items),
    onLeave: (fn) => {
      cleanup = fn;
    },
  };
  try {
    const mod = await VIEWS[name]();
    await mod.render(ctx);
    // Ready once the view has reached the screen, not merely the DOM: a table of 1 000 rows
    // still has its style and layout to go when render() returns.
    await nextFrame();
    if (ctx.alive()) main.dataset.state = 'ready';
  } catch (e) {
    if (!ctx.alive()) return;
    main.replaceChildren(el('p', { class: 'error' }, `Could not load: ${e.message}`));
    main.dataset.state = 'error';
  }
}

window.addEventListener('hashchange', show);
show();
