/* svg.h: the SVG images benchgated serves for embedding (a README badge, a trend chart).
 *
 * Pure drawing: the caller gives what to draw and gets SVG text appended to a buffer. Every
 * text that came from outside (benchmark names, units) is XML-escaped; the images carry no
 * script and reference nothing outside themselves.
 */
#ifndef BG_SVG_H
#define BG_SVG_H

#include "buf.h"

#include <stddef.h>

/* Appends s XML-escaped (&, <, >, ", ' as entities; control characters as '?'), usable in
 * text and in attribute values. */
void bg_svg_escape(struct bg_buf *out, const char *s);

/* The badge's words and colour for a verdict state ("pass", "fail", "no_baseline",
 * "pending"); any other state, or NULL, is "unknown". Returns the words; *color is a
 * "#rrggbb" colour. */
const char *bg_svg_badge_text(const char *state, const char **color);

/* Appends a shields-style badge, 20 px high: `label` on grey, `value` on `color`. */
void bg_svg_badge(struct bg_buf *out, const char *label, const char *value, const char *color);

#define BG_SVG_MARK_CHANGE 1u     /* a change point starts at this point: a dashed line */
#define BG_SVG_MARK_REGRESSION 2u /* a regression: the point (and its change line) in red */

struct bg_svg_point {
  double value;   /* non-finite values are left out of the line */
  unsigned marks; /* BG_SVG_MARK_* */
};

#define BG_SVG_WIDTH_MIN 200
#define BG_SVG_WIDTH_MAX 2000
#define BG_SVG_WIDTH_DEFAULT 600
#define BG_SVG_HEIGHT_MIN 100
#define BG_SVG_HEIGHT_MAX 1000
#define BG_SVG_HEIGHT_DEFAULT 200

struct bg_svg_chart {
  const char *title;                 /* drawn at the top, escaped */
  const char *unit;                  /* beside the value range; NULL or "" for none */
  int width, height;                 /* clamped to the bounds above */
  const struct bg_svg_point *points; /* oldest first, spread evenly left to right */
  size_t n;
};

/* Appends a line chart of c->points with the range of their values, change points as dashed
 * vertical lines and regressions in red. No points: the frame and "no data". */
void bg_svg_trend(struct bg_buf *out, const struct bg_svg_chart *c);

#endif
