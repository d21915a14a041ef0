// trendchart.js: a benchmark's trend drawn by uPlot. One point per commit on a time axis with
// its 95 % interval as a band; what the gate reasons with is drawn over it in a draw hook:
// the baseline window shaded, change points as dashed lines, regressions as red dots and
// acknowledged ones as purple rings. A pull request's head is a second line on the same axis.
// Drag zooms (the caller keeps the range in the URL), log or linear y.
import uPlot from '../node_modules/uplot/dist/uPlot.esm.js';

const C = {
  line: '#4a6fa5',
  band: 'rgba(74,111,165,0.18)',
  regressed: '#c62828',
  acknowledged: '#8e24aa',
  changepoint: '#e65100',
  window: 'rgba(46,125,50,0.10)',
  pr: '#ef6c00',
};

// Merges the main points and the pull request's points onto one ascending x axis (commit
// times; equal times nudged apart, as uPlot needs x to grow). Returns the uPlot data and, per
// x index, which point of which series sits there.
export function align(main, pr) {
  const all = main.map((p, i) => ({ t: p.time, s: 0, i })).concat((pr || []).map((p, i) => ({ t: p.time, s: 1, i })));
  all.sort((a, b) => a.t - b.t || a.s - b.s || a.i - b.i);
  const x = [];
  const cols = [[], [], [], []];
  let last = -Infinity;
  for (const a of all) {
    const t = a.t > last ? a.t : last + 1e-3;
    last = t;
    x.push(t);
    const p = a.s ? pr[a.i] : main[a.i];
    cols[0].push(a.s ? null : p.mean);
    cols[1].push(a.s ? null : p.lower);
    cols[2].push(a.s ? null : p.upper);
    cols[3].push(a.s ? p.mean : null);
  }
  return { data: [x, ...cols], at: all };
}

function dot(ctx, x, y, r, fill, stroke) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  if (fill) {
    ctx.fillStyle = fill;
    ctx.fill();
  }
  if (stroke) {
    ctx.lineWidth = 2;
    ctx.strokeStyle = stroke;
    ctx.stroke();
  }
}

// marks: {window: [x0, x1] | null, changes: [x], regressed: [[x, y]], acknowledged: [[x, y]]}
function overlay(marks) {
  return (u) => {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const px = (x) => u.valToPos(x, 'x', true);
    const py = (y) => u.valToPos(y, 'y', true);
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    if (marks.window) {
      const a = px(marks.window[0]);
      const b = px(marks.window[1]);
      ctx.fillStyle = C.window;
      ctx.fillRect(Math.min(a, b) - 2, top, Math.abs(b - a) + 4, height);
    }
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = C.changepoint;
    for (const x of marks.changes) {
      ctx.beginPath();
      ctx.moveTo(px(x), top);
      ctx.lineTo(px(x), top + height);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    const dpr = window.devicePixelRatio || 1;
    for (const [x, y] of marks.regressed) dot(ctx, px(x), py(y), 4.5 * dpr, C.regressed);
    for (const [x, y] of marks.acknowledged) dot(ctx, px(x), py(y), 5 * dpr, null, C.acknowledged);
    ctx.restore();
  };
}

// opts: {el, data, marks, unitFmt, log, range: [from, to] | null, width, height,
//        onZoom(range | null), onHover(index | null), onReady()}
export function trendChart(opts) {
  const n = opts.data[0].length;
  const full = [opts.data[0][0], opts.data[0][n - 1]];
  const few = n <= 300;
  let ready = false;
  const u = new uPlot({
    width: opts.width,
    height: opts.height,
    legend: { show: false },
    cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 7 } },
    scales: { x: { time: true }, y: opts.log ? { distr: 3 } : { auto: true } },
    axes: [{}, { values: (_, ticks) => ticks.map((v) => opts.unitFmt(v)), size: 70 }],
    series: [
      {},
      { label: 'mean', stroke: C.line, width: 1.5, spanGaps: true, points: { show: few, size: 4 } },
      { label: 'lower', stroke: 'transparent', spanGaps: true, points: { show: false } },
      { label: 'upper', stroke: 'transparent', spanGaps: true, points: { show: false } },
      { label: 'pull request', stroke: C.pr, width: 2, spanGaps: true, points: { show: true, size: 6, stroke: C.pr } },
    ],
    bands: [{ series: [3, 2], fill: C.band }],
    hooks: {
      draw: [
        overlay(opts.marks),
        () => {
          if (!ready) {
            ready = true;
            opts.onReady();
          }
        },
      ],
      setCursor: [(uu) => opts.onHover(uu.cursor.idx ?? null)],
      setScale: [
        (uu, key) => {
          if (key !== 'x' || !ready) return;
          const { min, max } = uu.scales.x;
          const zoomed = min > full[0] + 1e-6 || max < full[1] - 1e-6;
          opts.onZoom(zoomed ? [min, max] : null);
        },
      ],
    },
  }, opts.data, opts.el);
  if (opts.range) u.setScale('x', { min: opts.range[0], max: opts.range[1] });
  return {
    reset: () => u.setScale('x', { min: full[0], max: full[1] }),
    resize: (width) => u.setSize({ width, height: opts.height }),
    destroy: () => u.destroy(),
  };
}
