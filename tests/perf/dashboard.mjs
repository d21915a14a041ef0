// dashboard.mjs: how fast the dashboard's views become ready and answer a click, in headless
// Chromium driven by playwright-core, against a seeded benchgated (tests/perf/dashboard.sh).
// A benchmark, not a test: it prints a table and fails only when it cannot run.
//
// Each run of a view is cold: a new browser on a new user-data-dir (no HTTP cache, no code
// cache), one navigation to the view's URL. An init script records, in the page's clock
// (performance.now(), 0 = navigation start):
//   ready    when main#view gets data-state="ready" (a MutationObserver on the attribute);
//   paint    the first frame after that (requestAnimationFrame, then a task);
//   interactive  the later of paint and the end of the last long task that starts before
//            the settle time is over (then the main thread is free to answer input);
//   long     the longest task (PerformanceObserver "longtask", > 50 ms) from navigation to the
//            end of a settle time after ready, and the longest one after ready;
//   api      the /api/ requests before ready (Resource Timing): their count, when the last
//            answer ended, the sum of the server's own time (Server-Timing app;dur) and bytes;
//   click    the view's interaction (commit: a sort click; trend: the log scale; project:
//            the next history page): from the click event until the frame after the last DOM
//            mutation it caused (or after its handler, when it mutates nothing).
// The baseline row is a trivial static file of the same server loaded the same way (its load
// event), so the machine's speed shows next to the views.
//
// usage: node dashboard.mjs --url URL --wide-sha SHA --long-benchmark B --long-measure M
//          [--runs 7] [--chromium /usr/bin/chromium] [--timeout-ms 30000] [--json FILE]
//          [--only baseline,project,commit,trend] [--trace 1|0]
//   BG_NODE_MODULES: the node_modules holding playwright-core (default tests/browser/node_modules)
import { createRequire } from "node:module";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = process.env.BG_NODE_MODULES || join(here, "..", "browser", "node_modules");
const { chromium } = createRequire(join(modules, "noop.js"))("playwright-core");

const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const SETTLE_MS = 1000; // long tasks are counted until this long after ready
const QUIET_MS = 400; // an interaction is over when the DOM has not changed for this long

function parseArgs(argv) {
  const a = { runs: 7, chromium: "/usr/bin/chromium", timeoutMs: 30000, json: "", trace: 1,
    only: "baseline,project,commit,trend" };
  const names = {
    "--url": "url", "--wide-sha": "wideSha", "--long-benchmark": "longBenchmark",
    "--long-measure": "longMeasure", "--runs": "runs", "--chromium": "chromium",
    "--timeout-ms": "timeoutMs", "--json": "json", "--only": "only", "--trace": "trace",
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || i + 1 >= argv.length) throw new Error(`usage: unknown or incomplete ${argv[i]}`);
    a[key] = ["runs", "timeoutMs", "trace"].includes(key) ? Number(argv[i + 1]) : argv[i + 1];
  }
  for (const k of ["url", "wideSha", "longBenchmark", "longMeasure"]) {
    if (!a[k]) throw new Error(`usage: --${k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())} is required`);
  }
  if (!(a.runs >= 1)) throw new Error("usage: --runs must be a positive number");
  return a;
}

// The instrumentation, run in every document before its own scripts.
function instrument() {
  const bg = { ready: null, paint: null, error: null, longtasks: [], lastMut: 0, lastPaint: 0 };
  window.__bg = bg;
  const afterFrame = (cb) => requestAnimationFrame(() => setTimeout(() => cb(performance.now()), 0));
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bg.longtasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
  const check = () => {
    const view = document.getElementById("view");
    const state = view && view.getAttribute("data-state");
    if (state === "ready" && bg.ready === null) {
      bg.ready = performance.now();
      afterFrame((t) => { bg.paint = t; });
    } else if (state === "error" && bg.error === null) {
      bg.error = { at: performance.now(), text: (view.querySelector(".error") || view).textContent };
    }
  };
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"],
  });
  // An interaction: the click's time (its event timestamp: when the input arrived) and the
  // frame after the last mutation of the page that followed it.
  bg.watch = () => {
    bg.click = null;
    bg.clickFrame = null;
    bg.lastMut = 0;
    new MutationObserver(() => {
      bg.lastMut = performance.now();
      afterFrame((t) => { bg.lastPaint = t; });
    }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    window.addEventListener("click", (e) => {
      if (bg.click === null) {
        bg.click = e.timeStamp;
        afterFrame((t) => { bg.clickFrame = t; });
      }
    }, true);
  };
}

// What the page measured, read after the settle time.
function collect(settleMs) {
  const bg = window.__bg;
  const end = (bg.ready ?? performance.now()) + settleMs;
  const tasks = bg.longtasks.filter(([s]) => s < end);
  const longest = (list) => list.reduce((m, [, d]) => Math.max(m, d), 0);
  const api = performance.getEntriesByType("resource")
    .filter((e) => e.name.includes("/api/") && (bg.ready === null || e.startTime < bg.ready));
  const server = (e) => (e.serverTiming || []).filter((s) => s.name === "app")
    .reduce((m, s) => m + s.duration, 0);
  const nav = performance.getEntriesByType("navigation")[0];
  return {
    ready: bg.ready, paint: bg.paint, error: bg.error,
    interactive: bg.paint === null ? null
      : tasks.reduce((m, [st, d]) => Math.max(m, st + d), bg.paint),
    longest: longest(tasks), longestAfter: longest(tasks.filter(([s]) => s >= (bg.ready ?? 0))),
    apiCount: api.length,
    apiStart: api.reduce((m, e) => Math.min(m, e.startTime), Infinity),
    apiEnd: api.reduce((m, e) => Math.max(m, e.responseEnd), 0),
    apiServer: api.reduce((m, e) => m + server(e), 0),
    apiBytes: api.reduce((m, e) => m + (e.encodedBodySize || 0), 0),
    apiSlowest: api.reduce((m, e) => (m && m.duration >= e.duration ? m : {
      name: e.name.replace(location.origin, ""), duration: e.duration, server: server(e),
    }), null),
    resources: performance.getEntriesByType("resource").map((e) => ({
      name: e.name.replace(location.origin, ""), start: Math.round(e.startTime),
      end: Math.round(e.responseEnd), server: server(e), bytes: e.encodedBodySize,
    })),
    longtasks: bg.longtasks.map(([st, d]) => [Math.round(st), Math.round(d)]),
    docEnd: nav ? nav.responseEnd : null,
    load: nav ? nav.loadEventEnd : null,
  };
}

async function cold(args, fn) {
  const dir = mkdtempSync(join(tmpdir(), "bg-perf-chromium-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: args.chromium, headless: true, args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    await page.addInitScript(instrument);
    return await fn(page);
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// interact(page, view): the click's time until the page has settled, or null.
async function interact(page, view, timeoutMs) {
  if (!view.click) return null;
  const target = page.locator(view.click).first();
  if ((await target.count()) === 0) return { missing: view.click };
  await page.evaluate(() => window.__bg.watch());
  await target.click();
  await page.waitForFunction((quiet) => {
    const bg = window.__bg;
    const state = document.getElementById("view")?.getAttribute("data-state");
    return bg.clickFrame !== null && state !== "loading" &&
      performance.now() - Math.max(bg.lastMut, bg.clickFrame) > quiet;
  }, QUIET_MS, { timeout: timeoutMs, polling: 50 });
  return page.evaluate(() => {
    const bg = window.__bg;
    return { ms: Math.max(bg.clickFrame, bg.lastMut ? bg.lastPaint : 0) - bg.click,
      url: location.hash };
  });
}

async function measureView(args, view) {
  return cold(args, async (page) => {
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(args.url + view.path, { waitUntil: "commit" });
    let timedOut = false;
    try {
      await page.waitForFunction(() => window.__bg && (window.__bg.paint !== null || window.__bg.error),
        null, { timeout: args.timeoutMs, polling: 50 });
    } catch {
      timedOut = true;
    }
    await page.waitForTimeout(SETTLE_MS);
    const m = await page.evaluate(collect, SETTLE_MS);
    m.timedOut = timedOut;
    m.pageErrors = errors;
    if (m.ready !== null) m.click = await interact(page, view, args.timeoutMs).catch((e) => ({ failed: String(e).split("\n")[0] }));
    return m;
  });
}

async function measureBaseline(args, path) {
  return cold(args, async (page) => {
    await page.goto(args.url + path, { waitUntil: "load" });
    return page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      return { load: nav.loadEventEnd, docEnd: nav.responseEnd, ready: nav.loadEventEnd };
    });
  });
}

const stats = (xs) => {
  const v = xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((p, q) => p - q);
  if (v.length === 0) return null;
  return { median: v[Math.floor((v.length - 1) / 2)] / 2 + v[Math.ceil((v.length - 1) / 2)] / 2,
    min: v[0], max: v[v.length - 1], n: v.length };
};
const fmt = (s) => (s ? `${s.median.toFixed(0)} [${s.min.toFixed(0)}-${s.max.toFixed(0)}]` : "–");

// The renderer main thread's time by kind, from a Chromium trace of one more cold load (not
// one of the counted runs: tracing slows the page): each event's self time (its duration
// less its children's) goes to the kind its name belongs to; what no kind names (task
// overhead, tasks without finer events) is "other".
const KINDS = [
  ["gc", /(GC|Sweep|Oilpan|Heap)/],
  ["style", /(recalcStyle|rebuildLayoutTree|UpdateLayoutTree|RecalculateStyles|StyleEngine|StyleResolver|ParseAuthorStyleSheet|CSSParser)/],
  ["layout", /(performLayout|^Layout|UpdateLayout|InlineNode|LayoutBlock|LayoutText|Shape|Layout::)/],
  ["paint", /(Paint|Layerize|Composit|Commit|Raster|DrawFrame|BeginMainThreadFrame|UpdateLifecycle|Lifecycle|Canvas)/],
  ["parse", /(ParseHTML|HTMLDocumentParser)/],
  ["loading", /(mojo|Resource|URLLoader|Network|ModuleMap|ModuleScript|ScriptLoader)/],
  ["script", /(FunctionCall|EvaluateScript|v8\.|V8\.|RunMicrotasks|TimerFire|EventDispatch|FireAnimationFrame|Script)/],
];
const kindOf = (name) => (KINDS.find(([, re]) => re.test(name)) || ["other"])[0];

function breakdown(events, untilUs) {
  const threads = new Map();
  for (const e of events) {
    if (e.ph === "M" && e.name === "thread_name" && e.args?.name === "CrRendererMain") threads.set(`${e.pid}:${e.tid}`, 0);
  }
  const spans = events.filter((e) => e.ph === "X" && typeof e.dur === "number" && threads.has(`${e.pid}:${e.tid}`));
  for (const e of spans) threads.set(`${e.pid}:${e.tid}`, threads.get(`${e.pid}:${e.tid}`) + e.dur);
  const main = [...threads.entries()].sort((p, q) => q[1] - p[1])[0]?.[0];
  const own = spans.filter((e) => `${e.pid}:${e.tid}` === main && e.ts < untilUs)
    .sort((p, q) => p.ts - q.ts || q.dur - p.dur);
  const out = { busy: 0, script: 0, style: 0, layout: 0, paint: 0, gc: 0, parse: 0, loading: 0,
    other: 0 };
  const stack = [];
  const names = new Map();
  const close = (e) => {
    out[e.kind] += Math.max(0, e.self) / 1000;
    names.set(e.name, (names.get(e.name) || 0) + Math.max(0, e.self) / 1000);
  };
  for (const e of own) {
    while (stack.length && stack[stack.length - 1].end <= e.ts) close(stack.pop());
    const node = { end: e.ts + e.dur, self: e.dur, kind: kindOf(e.name), name: e.name };
    if (stack.length) stack[stack.length - 1].self -= e.dur;
    else out.busy += e.dur / 1000;
    stack.push(node);
  }
  while (stack.length) close(stack.pop());
  out.top = [...names.entries()].sort((p, q) => q[1] - p[1]).slice(0, 12)
    .map(([n, ms]) => `${n} ${ms.toFixed(0)}`);
  return out;
}

async function traced(args, view) {
  return cold(args, async (page) => {
    const cdp = await page.context().newCDPSession(page);
    const events = [];
    cdp.on("Tracing.dataCollected", (m) => events.push(...m.value));
    const done = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
    await cdp.send("Tracing.start", { transferMode: "ReportEvents",
      traceConfig: { includedCategories: ["devtools.timeline", "disabled-by-default-devtools.timeline",
        "v8.execute", "v8", "blink", "blink.user_timing", "toplevel", "disabled-by-default-v8.gc"] } });
    await page.goto(args.url + view.path, { waitUntil: "commit" });
    await page.waitForFunction(() => window.__bg && (window.__bg.paint !== null || window.__bg.error),
      null, { timeout: args.timeoutMs, polling: 50 }).catch(() => null);
    const t = await page.evaluate(() => ({ paint: window.__bg.paint, origin: performance.timeOrigin }));
    await cdp.send("Tracing.end");
    await done;
    // trace timestamps are the monotonic clock in µs; navigationStart marks the page's 0
    const nav = events.filter((e) => e.name === "navigationStart").map((e) => e.ts).sort((p, q) => q - p)[0];
    const out = breakdown(events, nav !== undefined && t.paint !== null ? nav + t.paint * 1000 : Infinity);
    out.frame = nav !== undefined ? t.paint : null; // null: not cut at the frame (no navigationStart)
    return out;
  });
}

function summarize(name, runs) {
  const col = (f) => stats(runs.map(f));
  return {
    view: name, runs: runs.length,
    ready: col((r) => r.ready), paint: col((r) => r.paint),
    interactive: col((r) => r.interactive),
    longest: col((r) => r.longest), longestAfter: col((r) => r.longestAfter),
    click: col((r) => r.click?.ms), apiStart: col((r) => r.apiStart),
    apiEnd: col((r) => r.apiEnd || null),
    apiServer: col((r) => (r.apiCount ? r.apiServer : null)),
    apiCount: col((r) => r.apiCount), apiKB: col((r) => (r.apiBytes ?? 0) / 1024),
    docEnd: col((r) => r.docEnd),
    notReady: runs.filter((r) => r.ready === null).length,
    notes: [...new Set(runs.flatMap((r) => [
      r.timedOut ? "not ready in time" : null, r.error ? `error: ${r.error.text}` : null,
      ...(r.pageErrors || []).map((e) => `page error: ${e}`),
      r.click?.missing ? `no ${r.click.missing}` : null, r.click?.failed ? `click: ${r.click.failed}` : null,
    ].filter(Boolean)))],
    slowestApi: runs.map((r) => r.apiSlowest).filter(Boolean)
      .sort((p, q) => p.duration - q.duration)[Math.floor(runs.length / 2)] || null,
  };
}

function printTable(rows, args) {
  const head = ["view", "ready", "paint", "interactive", "longest task", "after ready", "click", "api start", "api end",
    "server", "api req", "api KiB"];
  const lines = rows.map((r) => [r.view, fmt(r.ready), fmt(r.paint), fmt(r.interactive), fmt(r.longest),
    fmt(r.longestAfter), fmt(r.click), fmt(r.apiStart), fmt(r.apiEnd), fmt(r.apiServer),
    r.apiCount ? r.apiCount.median.toFixed(0) : "–", r.apiKB ? r.apiKB.median.toFixed(0) : "–"]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
  console.log(`dashboard in headless Chromium, ${args.runs} cold runs each, ms: median [min-max]`);
  console.log(line(head));
  for (const l of lines) console.log(line(l));
  for (const r of rows) {
    if (r.slowestApi) {
      console.log(`${r.view}: slowest request ${r.slowestApi.name} ${r.slowestApi.duration.toFixed(1)} ms` +
        ` (server ${r.slowestApi.server.toFixed(1)} ms)`);
    }
    for (const n of r.notes) console.log(`${r.view}: ${n}`);
  }
}

function printBreakdown(rows) {
  const kinds = ["frame", "busy", "script", "style", "layout", "paint", "gc", "parse", "loading", "other"];
  const traced = rows.filter((r) => r.breakdown);
  if (traced.length === 0) return;
  console.log("renderer main thread from navigation to the first frame after ready, in one more " +
    "(traced, so slower) load: ms of each kind of work; frame = that load's first frame after ready");
  const lines = traced.map((r) => [r.view, ...kinds.map((k) => (r.breakdown[k] ?? NaN).toFixed(0))]);
  const head = ["view", ...kinds];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  for (const l of [head, ...lines]) console.log(l.map((c, i) => c.padEnd(widths[i])).join("  "));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const q = (o) => new URLSearchParams(o).toString();
  const views = [
    { key: "project", name: "project #/p/perf", path: "/#/p/perf", click: "a#older" },
    { key: "commit", name: "commit #/p/wide/c/…", path: `/#/p/wide/c/${args.wideSha}`,
      click: 'section.verdict th[data-sort="benchmark"]' },
    { key: "trend", name: "trend #/p/long/t",
      path: `/#/p/long/t?${q({ benchmark: args.longBenchmark, measure: args.longMeasure })}`,
      click: "input#log" },
  ];
  const only = args.only.split(",");
  const baselinePath = (await fetch(args.url + "/package.json")).ok ? "/package.json" : "/";
  const rows = [];
  const raw = {};
  if (only.includes("baseline")) {
    const base = [];
    for (let i = 0; i < args.runs; i++) base.push(await measureBaseline(args, baselinePath));
    rows.push(summarize(`static ${baselinePath}`, base));
    raw.baseline = base;
  }
  for (const view of views.filter((v) => only.includes(v.key))) {
    const runs = [];
    for (let i = 0; i < args.runs; i++) runs.push(await measureView(args, view));
    const row = summarize(view.name, runs);
    if (args.trace) row.breakdown = await traced(args, view).catch((e) => { console.error(`trace of ${view.key}: ${e}`); return null; });
    rows.push(row);
    raw[view.name] = runs;
  }
  printTable(rows, args);
  printBreakdown(rows);
  if (args.json) writeFileSync(args.json, JSON.stringify({ rows, raw }, null, 1));
}

main().catch((e) => {
  console.error(`dashboard.mjs: ${e.message || e}`);
  process.exit(1);
});
