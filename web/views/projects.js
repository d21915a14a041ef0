// projects.js: every project with its default branch's latest verdict.
import { api } from '../js/api.js';
import { badge } from '../js/badge.js';
import { el, table, td } from '../js/dom.js';
import { shortSha, time } from '../js/format.js';
import { href } from '../js/url.js';

function row(p) {
  const latest = p.latest || null;
  const state = latest && latest.verdict ? latest.verdict.state : latest ? 'none' : 'no_runs';
  return el('tr', { 'data-project': p.slug },
    td(el('a', { href: href(['p', p.slug]) }, p.slug)),
    td(p.github_repo || ''),
    td(p.default_branch),
    td(badge(state)),
    td(latest ? el('a', { href: href(['p', p.slug, 'c', latest.sha]) }, el('code', {}, shortSha(latest.sha))) : ''),
    td(latest ? latest.subject || '' : '', 'subject'),
    td(latest ? time(latest.time) : '', 'nowrap'),
  );
}

export async function render(ctx) {
  ctx.setCrumbs([]);
  const data = await api('/projects');
  const list = data.projects || [];
  ctx.mount(
    el('h2', {}, 'Projects'),
    list.length
      ? table('projects', ['project', 'repository', 'default branch', 'latest verdict', 'commit', 'subject', 'time'], list.map(row))
      : el('p', { class: 'muted' }, 'No projects yet. Create one with POST /api/v1/projects (see README).'),
  );
}
