/* units.h: numbers written for people: values scaled to their unit, percentages with a
 * precision that fits them, plurals.
 *
 * Every report a person reads (the verdict's summary and Markdown, `benchgate compare`'s
 * table) formats its numbers here, so that 61728300 ns reads "61.7 ms" everywhere and never
 * "6.17283e+07 ns". Pure functions without I/O or allocation.
 */
#ifndef BG_UNITS_H
#define BG_UNITS_H

#include <stddef.h>

/* Writes `value` in `unit` to out (len bytes, always NUL-terminated when len > 0) with three
 * significant digits (no exponent; values of 1000 and more in the largest step keep all their
 * integer digits) and the largest step below the value:
 *  - times "ns", "us" (or "µs"), "ms", "s": ns, µs, ms, s ("61.7 ms", "1.83 µs", "12 ns");
 *  - "bytes" or "B" (and "bytes/s", "B/s"): B, KiB, MiB, GiB, TiB in steps of 1024
 *    ("10.1 MiB", "512 B", "1.50 GiB/s");
 *  - "count", "" or NULL: k, M, G, T in steps of 1000 ("1.23 M", "999", "12.5");
 *  - any other unit: the same SI steps before the unit ("1.37 G items/s", "12.5 x").
 * A value that is not finite is written "–". Returns the length of the text written. */
size_t bg_units_format(double value, const char *unit, char *out, size_t len);

/* Writes the relative change `frac` (0.073: 7.3 % higher) as a signed percentage: two
 * decimals below 1 % ("+0.32 %"), one below 100 % ("-18.2 %"), none from 100 % ("+200 %");
 * 0 is "0.0 %", a value that is not finite "–". Returns the length written. */
size_t bg_units_percent(double frac, char *out, size_t len);

/* `one` when n is 1, else `many`: "1 run", "6 runs". */
const char *bg_units_plural(double n, const char *one, const char *many);

/* The display width of UTF-8 text s: its code points ("µs" is 2 wide, "–" 1). For aligning
 * table columns that hold bg_units text. */
size_t bg_units_width(const char *s);

#endif
