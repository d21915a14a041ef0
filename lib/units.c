/* units.c: numbers written for people (see units.h). */
#include "units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DASH "\xe2\x80\x93" /* – */

/* The steps of one kind of unit, smallest first; NULL-terminated names. */
struct scale {
  double ratio; /* between consecutive steps */
  const char *names[6];
};

static const struct scale time_scale = {1000, {"ns", "µs", "ms", "s", NULL}};
static const struct scale byte_scale = {1024, {"B", "KiB", "MiB", "GiB", "TiB", NULL}};
static const struct scale si_scale = {1000, {"", "k", "M", "G", "T", NULL}};

/* Decimals that give three significant digits to a magnitude a (none from 100 up). */
static int decimals_for(double a) {
  if (a == 0 || a >= 99.95)
    return 0;
  if (a >= 9.995)
    return 1;
  if (a >= 0.9995)
    return 2;
  int d = 2 - (int)floor(log10(a));
  return d > 12 ? 12 : d;
}

/* The length snprintf would have written, clamped to what out holds. */
static size_t written(int n, size_t len) {
  if (n < 0 || len == 0)
    return 0;
  return (size_t)n < len ? (size_t)n : len - 1;
}

/* Writes value (in the smallest step of sc) in the largest step it reaches, then the step's
 * name, then `after` (a unit that follows an SI prefix, or "/s"). */
static size_t scaled(double value, const struct scale *sc, const char *after, char *out,
                     size_t len) {
  size_t i = 0;
  double a = fabs(value);
  /* Move up while the value would round to a full step or more (999.7 ns is 1.00 µs). */
  while (sc->names[i + 1] && a >= sc->ratio * 0.9995) {
    a /= sc->ratio;
    value /= sc->ratio;
    i++;
  }
  const char *name = sc->names[i];
  const char *space = *name || *after ? " " : "";
  return written(snprintf(out, len, "%.*f%s%s%s", decimals_for(a), value, space, name, after), len);
}

size_t bg_units_format(double value, const char *unit, char *out, size_t len) {
  if (!isfinite(value))
    return written(snprintf(out, len, "%s", DASH), len);
  if (!unit)
    unit = "";
  static const struct {
    const char *unit;
    double ns;
  } times[] = {{"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  for (size_t i = 0; i < sizeof times / sizeof *times; i++)
    if (strcmp(unit, times[i].unit) == 0)
      return scaled(value * times[i].ns, &time_scale, "", out, len);
  if (!strcmp(unit, "bytes") || !strcmp(unit, "B") || !strcmp(unit, "byte"))
    return scaled(value, &byte_scale, "", out, len);
  if (!strcmp(unit, "bytes/s") || !strcmp(unit, "B/s"))
    return scaled(value, &byte_scale, "/s", out, len);
  if (!*unit || !strcmp(unit, "count"))
    return scaled(value, &si_scale, "", out, len);
  /* Another unit: an SI prefix glued to it ("1.37 Gitems/s" reads badly, so a space). */
  char tail[80];
  snprintf(tail, sizeof tail, " %s", unit);
  size_t n = scaled(value, &si_scale, "", out, len);
  /* scaled() wrote "12.5" or "1.37 G": the unit follows after one space. */
  return n + written(snprintf(out + n, len - n, "%s", tail), len - n);
}

size_t bg_units_percent(double frac, char *out, size_t len) {
  if (!isfinite(frac))
    return written(snprintf(out, len, "%s", DASH), len);
  double p = 100 * frac, a = fabs(p);
  if (a < 0.005)
    return written(snprintf(out, len, "0.0 %%"), len);
  int d = a < 0.995 ? 2 : a < 99.95 ? 1 : 0;
  return written(snprintf(out, len, "%+.*f %%", d, p), len);
}

const char *bg_units_plural(double n, const char *one, const char *many) {
  return n == 1 ? one : many;
}

size_t bg_units_width(const char *s) {
  size_t w = 0;
  for (; s && *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80)
      w++;
  return w;
}
