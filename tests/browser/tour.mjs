// tour.mjs: every view of the dashboard on whatever data a server holds, at a desktop and a
// phone width: the projects, each project's page, its newest commit and its newest failing
// one, the trend of each benchmark with an alert (or its first benchmark), and its alerts.
// Each view must become ready with no console error, page error or dialog, with its tables
// filled and its canvases drawn. test_demo.sh runs it on the data `make run` creates;
// scripts/screenshots.sh runs it to take the screenshots of docs/.
//
// Environment: BG_URL (the server), BG_SCREENSHOTS (a directory: NAME-desktop.png and
// NAME-phone.png of each view), BG_TOUR_VIEWPORT=1 (screenshots of the viewport, not the
// whole page: small images for docs/).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { api, canvasDrawn, clean, launch, open, ready, settle, WIDTHS } from './lib.mjs';

const SHOTS = process.env.BG_SCREENSHOTS;
const VIEWPORT_ONLY = process.env.BG_TOUR_VIEWPORT === '1';
const enc = encodeURIComponent;

// The routes to visit, found through the API: [name, route, view, check(page)].
async function routes() {
  const out = [['projects', '/', 'projects', async (page) => {
    assert.ok(await page.locator('table#projects tbody tr').count() > 0, 'projects listed');
  }]];
  const { projects } = await api('/projects');
  for (const p of projects) {
    const slug = enc(p.slug);
    out.push([`project-${p.slug}`, `/p/${slug}`, 'project', async (page) => {
      assert.ok(await page.locator('table#history tbody tr').count() > 0, `${p.slug}: history rows`);
      const sparks = page.locator('table#benchmarks canvas.spark');
      for (let i = 0; i < await sparks.count(); i++) await canvasDrawn(sparks.nth(i), `${p.slug}: sparkline ${i}`);
    }]);
    const { commits } = await api(`/projects/${slug}/commits?limit=100&branch=${enc(p.default_branch)}`);
    const failing = commits.find((c) => c.verdict && c.verdict.state === 'fail');
    for (const [name, c] of [['commit', commits[0]], ['commit-fail', failing]]) {
      if (!c) continue;
      out.push([`${name}-${p.slug}`, `/p/${slug}/c/${c.sha}`, 'commit', async (page) => {
        assert.ok(await page.locator('section.verdict').count() > 0, `${p.slug} ${c.sha}: a verdict section`);
        assert.ok(await page.locator('table.compare tbody tr').count() > 0, `${p.slug} ${c.sha}: result rows`);
      }]);
    }
    const pj = await api(`/projects/${slug}`);
    const testbed = (pj.testbeds || [])[0];
    const { alerts } = await api(`/projects/${slug}/alerts?state=all`);
    const { benchmarks } = await api(`/projects/${slug}/benchmarks?testbed=${enc(testbed || '')}`);
    const b = alerts.find((a) => a.testbed === testbed) || benchmarks[0];
    if (b) {
      const q = `benchmark=${enc(b.benchmark)}&measure=${enc(b.measure)}&testbed=${enc(testbed)}`;
      out.push([`trend-${p.slug}`, `/p/${slug}/t?${q}`, 'trend', async (page) => {
        await canvasDrawn(page.locator('#chart canvas').first(), `${p.slug}: the trend chart`);
      }]);
    }
    out.push([`alerts-${p.slug}`, `/p/${slug}/alerts?state=all`, 'alerts', async (page) => {
      const rows = await page.locator('table#alerts tbody tr').count();
      assert.equal(rows, alerts.length, `${p.slug}: one row per alert`);
    }]);
  }
  return out;
}

async function shoot(page, name, view) {
  mkdirSync(SHOTS, { recursive: true });
  for (const w of WIDTHS) {
    await page.setViewportSize({ width: w.width, height: w.height });
    await settle(page);
    await ready(page, view);
    await page.screenshot({ path: join(SHOTS, `${name}-${w.name}.png`), fullPage: !VIEWPORT_ONLY });
  }
}

const browser = await launch();
let visited = 0;
try {
  for (const [name, route, view, check] of await routes()) {
    const page = await open(browser.context, route);
    await ready(page, view);
    await check(page);
    await page.setViewportSize({ width: WIDTHS[1].width, height: WIDTHS[1].height });
    await settle(page);
    await ready(page, view);
    if (SHOTS) await shoot(page, name, view);
    clean(page);
    await page.close();
    visited++;
    console.log(`ok   ${name}: ${route}`);
  }
} finally {
  await browser.close();
}
console.log(`tour: ${visited} views, each at ${WIDTHS.map((w) => `${w.width}x${w.height}`).join(' and ')}`);
