/* svg.c: badge and trend chart as SVG text (svg.h). */
#include "svg.h"

#include <math.h>
#include <string.h>

#define RED "#e05d44"
#define GREY "#9f9f9f"
#define FONT "font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\""

void bg_svg_escape(struct bg_buf *out, const char *s) {
  for (const char *p = s; *p; p++) {
    unsigned char ch = (unsigned char)*p;
    switch (ch) {
    case '&':
      bg_buf_puts(out, "&amp;");
      break;
    case '<':
      bg_buf_puts(out, "&lt;");
      break;
    case '>':
      bg_buf_puts(out, "&gt;");
      break;
    case '"':
      bg_buf_puts(out, "&quot;");
      break;
    case '\'':
      bg_buf_puts(out, "&#39;");
      break;
    default:
      bg_buf_append(out, ch < 0x20 || ch == 0x7f ? "?" : p, 1);
    }
  }
}

const char *bg_svg_badge_text(const char *state, const char **color) {
  static const struct {
    const char *state, *text, *color;
  } map[] = {{"pass", "pass", "#4c1"},
             {"fail", "fail", RED},
             {"no_baseline", "no baseline", GREY},
             {"pending", "pending", "#dfb317"}};
  for (size_t i = 0; state && i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(state, map[i].state)) {
      *color = map[i].color;
      return map[i].text;
    }
  *color = GREY;
  return "unknown";
}

/* The width a text of Verdana 11 px takes, roughly, with 5 px padding on each side (UTF-8
 * continuation bytes do not count). */
static int text_width(const char *s) {
  int chars = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    chars += (*p & 0xc0) != 0x80;
  return chars * 7 + 10;
}

void bg_svg_badge(struct bg_buf *out, const char *label, const char *value, const char *color) {
  int lw = text_width(label), vw = text_width(value), w = lw + vw;
  bg_buf_printf(out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"20\" "
                "role=\"img\" aria-label=\"",
                w);
  bg_svg_escape(out, label);
  bg_buf_puts(out, ": ");
  bg_svg_escape(out, value);
  bg_buf_puts(out, "\"><title>");
  bg_svg_escape(out, label);
  bg_buf_puts(out, ": ");
  bg_svg_escape(out, value);
  bg_buf_printf(out,
                "</title><linearGradient id=\"s\" x2=\"0\" y2=\"100%%\"><stop offset=\"0\" "
                "stop-color=\"#bbb\" stop-opacity=\".1\"/><stop offset=\"1\" stop-opacity=\".1\"/>"
                "</linearGradient><clipPath id=\"r\"><rect width=\"%d\" height=\"20\" rx=\"3\" "
                "fill=\"#fff\"/></clipPath><g clip-path=\"url(#r)\"><rect width=\"%d\" "
                "height=\"20\" fill=\"#555\"/><rect x=\"%d\" width=\"%d\" height=\"20\" fill=\"",
                w, lw, lw, vw);
  bg_svg_escape(out, color);
  bg_buf_printf(out,
                "\"/><rect width=\"%d\" height=\"20\" fill=\"url(#s)\"/></g><g fill=\"#fff\" "
                "text-anchor=\"middle\" " FONT " font-size=\"11\"><text x=\"%.1f\" y=\"14\">",
                w, lw / 2.0);
  bg_svg_escape(out, label);
  bg_buf_printf(out, "</text><text x=\"%.1f\" y=\"14\">", lw + vw / 2.0);
  bg_svg_escape(out, value);
  bg_buf_puts(out, "</text></g></svg>");
}

static int clamp(int v, int lo, int hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/* The plot area inside the chart: room for the title above and the range at the left. */
struct area {
  double x0, y0, w, h, lo, hi;
  size_t n;
};

static double px(const struct area *a, size_t i) {
  return a->n > 1 ? a->x0 + a->w * (double)i / (double)(a->n - 1) : a->x0 + a->w / 2;
}

static double py(const struct area *a, double v) {
  return a->hi > a->lo ? a->y0 + a->h * (a->hi - v) / (a->hi - a->lo) : a->y0 + a->h / 2;
}

/* The range label at the left of the area: the value %.4g and the unit. */
static void range_label(struct bg_buf *out, double y, double v, const char *unit) {
  bg_buf_printf(out, "<text x=\"4\" y=\"%.1f\">%.4g", y, v);
  if (unit && *unit) {
    bg_buf_puts(out, " ");
    bg_svg_escape(out, unit);
  }
  bg_buf_puts(out, "</text>");
}

static void draw_marks(struct bg_buf *out, const struct area *a, const struct bg_svg_point *p) {
  for (size_t i = 0; i < a->n; i++)
    if (p[i].marks & BG_SVG_MARK_CHANGE)
      bg_buf_printf(out,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    "stroke-dasharray=\"4 3\"/>",
                    px(a, i), a->y0, px(a, i), a->y0 + a->h,
                    p[i].marks & BG_SVG_MARK_REGRESSION ? RED : "#888");
  for (size_t i = 0; i < a->n; i++)
    if ((p[i].marks & BG_SVG_MARK_REGRESSION) && isfinite(p[i].value))
      bg_buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"" RED "\"/>", px(a, i),
                    py(a, p[i].value));
}

static void draw_line(struct bg_buf *out, const struct area *a, const struct bg_svg_point *p) {
  bg_buf_puts(out, "<polyline fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"1.5\" points=\"");
  const char *sep = "";
  for (size_t i = 0; i < a->n; i++)
    if (isfinite(p[i].value)) {
      bg_buf_printf(out, "%s%.1f,%.1f", sep, px(a, i), py(a, p[i].value));
      sep = " ";
    }
  bg_buf_puts(out, "\"/>");
}

void bg_svg_trend(struct bg_buf *out, const struct bg_svg_chart *c) {
  int w = clamp(c->width, BG_SVG_WIDTH_MIN, BG_SVG_WIDTH_MAX);
  int h = clamp(c->height, BG_SVG_HEIGHT_MIN, BG_SVG_HEIGHT_MAX);
  struct area a = {80, 24, w - 90, h - 34, INFINITY, -INFINITY, c->n};
  for (size_t i = 0; i < c->n; i++)
    if (isfinite(c->points[i].value)) {
      a.lo = fmin(a.lo, c->points[i].value);
      a.hi = fmax(a.hi, c->points[i].value);
    }
  bg_buf_printf(out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" role=\"img\"><title>",
                w, h, w, h);
  bg_svg_escape(out, c->title);
  bg_buf_printf(out,
                "</title><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><g " FONT
                " font-size=\"11\" fill=\"#333\"><text x=\"4\" y=\"15\">",
                w, h);
  bg_svg_escape(out, c->title);
  bg_buf_puts(out, "</text>");
  if (a.lo > a.hi) {
    bg_buf_printf(
        out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"" GREY "\">no data</text>",
        a.x0 + a.w / 2, a.y0 + a.h / 2);
  } else {
    range_label(out, a.y0 + 8, a.hi, c->unit);
    range_label(out, a.y0 + a.h, a.lo, c->unit);
  }
  bg_buf_printf(out,
                "</g><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                "stroke=\"#ddd\"/>",
                a.x0, a.y0, a.w, a.h);
  if (a.lo <= a.hi) {
    draw_line(out, &a, c->points);
    draw_marks(out, &a, c->points);
  }
  bg_buf_puts(out, "</svg>");
}
