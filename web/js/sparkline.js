// sparkline.js: a small trend drawn on a canvas, one per benchmark row. Plain 2D canvas
// rather than a chart per row: a project page draws hundreds of them in one frame.

const W = 120;
const H = 26;

// values: oldest first, null where a commit has no value. The last point is marked, red when
// the series has an open alert.
export function sparkline(canvas, values, { alert = false } = {}) {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = W * dpr;
  canvas.height = H * dpr;
  canvas.style.width = `${W}px`;
  canvas.style.height = `${H}px`;
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  const pts = [];
  values.forEach((v, i) => {
    if (v !== null && Number.isFinite(v)) pts.push([i, v]);
  });
  if (!pts.length) return;
  let lo = Infinity;
  let hi = -Infinity;
  for (const [, v] of pts) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi - lo || Math.abs(hi) || 1;
  const x = (i) => 2 + (i / Math.max(values.length - 1, 1)) * (W - 6);
  const y = (v) => H - 3 - ((v - lo) / span) * (H - 6);
  ctx.lineWidth = 1.25;
  ctx.strokeStyle = '#4a6fa5';
  ctx.beginPath();
  pts.forEach(([i, v], k) => (k ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
  if (pts.length === 1) ctx.lineTo(x(pts[0][0]) + 1, y(pts[0][1]));
  ctx.stroke();
  const [li, lv] = pts[pts.length - 1];
  ctx.fillStyle = alert ? '#c62828' : '#1d2330';
  ctx.beginPath();
  ctx.arc(x(li), y(lv), 2.2, 0, 2 * Math.PI);
  ctx.fill();
}
