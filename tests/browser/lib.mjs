// lib.mjs: what the browser tests of the dashboard share. Launches Debian's Chromium through
// playwright-core with a fresh profile, opens pages that record every console error, page
// error and dialog (a test fails on any), waits for a view to be ready, checks that a canvas
// holds a drawing, and saves screenshots at a desktop and a phone width.
//
// Environment (set by tests/integration/test_dashboard.sh): BG_URL (the server), BG_ADMIN_TOKEN,
// BG_SCREENSHOTS (the directory for screenshots), BG_CHROMIUM (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const BASE = process.env.BG_URL;
export const ADMIN_TOKEN = process.env.BG_ADMIN_TOKEN;
const SHOTS = process.env.BG_SCREENSHOTS;
assert.ok(BASE, 'BG_URL names the server (tests/integration/test_dashboard.sh sets it)');

export const WIDTHS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

// The flags keep Chromium from talking to anything but the server under test.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// launch(): a browser context on a new, empty profile; close() removes the profile.
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'bg-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.BG_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport: { width: WIDTHS[0].width, height: WIDTHS[0].height },
  });
  // Well under the test's own limit: a missing element fails with its locator named.
  context.setDefaultTimeout(10000);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// open(context, route): a new page on BASE/#ROUTE (route without the '#'), with
// page.problems: the console errors, page errors and dialogs seen on it. A dialog is
// dismissed, so that a page that opens one cannot hang the test.
export async function open(context, route) {
  const page = await context.newPage();
  page.problems = [];
  page.on('console', msg => {
    if (msg.type() === 'error') page.problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', err => page.problems.push(`page error: ${err.message}`));
  page.on('dialog', dialog => {
    page.problems.push(`dialog (${dialog.type()}): ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  await page.goto(`${BASE}/#${route}`);
  return page;
}

// clean(page): fails when the page logged an error, threw, or opened a dialog.
export function clean(page) {
  assert.deepEqual(page.problems, [], `no console errors, page errors or dialogs on ${page.url()}`);
}

// ready(page, view): waits until main#view shows VIEW with data-state "ready"; fails at once
// with the page's message when it shows "error".
export async function ready(page, view) {
  const main = page.locator('main#view');
  await page.waitForFunction(v => {
    const m = document.querySelector('main#view');
    return m && m.dataset.view === v && (m.dataset.state === 'ready' || m.dataset.state === 'error');
  }, view, { timeout: 15000 }).catch(async e => {
    const state = await main.evaluate(m => `${m.dataset.view}/${m.dataset.state}`).catch(() => '?');
    const seen = page.problems && page.problems.length ? `; the page logged: ${page.problems.join(' | ')}` : '';
    throw new Error(`view ${view} not ready (main#view is ${state})${seen}: ${e.message}`);
  });
  const state = await main.getAttribute('data-state');
  if (state === 'error') {
    const msg = await page.locator('p.error').first().textContent().catch(() => '');
    assert.fail(`view ${view} shows an error: ${msg}`);
  }
}

// go(page, route, view): moves the page to another route (a hash change) and waits for the
// view. The wait starts once the page's own hashchange listeners have run, so that the old
// view's "ready" cannot satisfy it.
export async function go(page, route, view) {
  await page.evaluate(r => new Promise(resolve => {
    addEventListener('hashchange', () => setTimeout(resolve, 0), { once: true });
    location.hash = r;
  }), route);
  await ready(page, view);
}

// canvasDrawn(locator): fails unless the canvas holds a drawing: more than a handful of
// pixels that are not transparent, in more than one colour. Returns the pixel counts.
export async function canvasDrawn(locator, what = 'canvas') {
  const stats = await locator.evaluate(c => {
    const ctx = c.getContext('2d');
    if (!ctx || c.width === 0 || c.height === 0) return { width: c.width, height: c.height, drawn: 0, colours: 0 };
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    let drawn = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3] === 0) continue;
      drawn++;
      if (colours.size < 64) colours.add((px[i] << 24 | px[i + 1] << 16 | px[i + 2] << 8 | px[i + 3]) >>> 0);
    }
    return { width: c.width, height: c.height, drawn, colours: colours.size };
  });
  assert.ok(stats.drawn > 8 && stats.colours > 1,
    `${what} is drawn (${stats.width}x${stats.height}: ${stats.drawn} pixels not transparent, ${stats.colours} colours)`);
  return stats;
}

// screenshots(page, name, view): saves NAME-desktop.png (1280x800) and NAME-phone.png
// (390x844) of the whole page under BG_SCREENSHOTS, each after the view is ready at that
// size; the page is left at the desktop size.
export async function screenshots(page, name, view) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  for (const w of WIDTHS) {
    await page.setViewportSize({ width: w.width, height: w.height });
    await settle(page);
    await ready(page, view);
    await page.screenshot({ path: join(SHOTS, `${name}-${w.name}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: WIDTHS[0].width, height: WIDTHS[0].height });
  await settle(page);
}

// settle(page): two animation frames, so that a resize or a redraw has reached the screen.
export async function settle(page) {
  await page.evaluate(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))));
}

// api(path, options): the server's JSON answer to /api/v1PATH (fails on a status not 2xx).
export async function api(path, options = {}) {
  const r = await fetch(`${BASE}/api/v1${path}`, options);
  const body = await r.json();
  assert.ok(r.ok, `GET ${path}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

// hashParams(page): the query of the page's hash route as URLSearchParams.
export function hashParams(page) {
  const hash = new URL(page.url()).hash;
  const q = hash.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : hash.slice(q + 1));
}

// sha(n): the seeded commit n's sha, %040x of n.
export const sha = n => n.toString(16).padStart(40, '0');

// cssString(s): s as a quoted CSS string, for attribute selectors of hostile names.
export const cssString = s => JSON.stringify(s);
