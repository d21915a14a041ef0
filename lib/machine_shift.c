/* machine_shift.c: the machine-shift detector of machine_shift.h. */
#include "machine_shift.h"

#include "gate.h"
#include "mem.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHI2_1_MEDIAN 0.45493642311957283 /* median of a chi-square with 1 degree of freedom */
#define Z975 1.959963984540054

void bg_shift_config_init(struct bg_shift_config *c) {
  c->alpha = 1e-3;
  c->control_alpha = 1e-3;
  c->flat_alpha = 1e-2;
  c->min_factor = 0.01;
  c->min_fraction = 0.6;
  c->min_units = 5;
  c->explain_alpha = 0.01;
  c->spread_floor = 0.1;
  c->max_spread = 0.5;
  c->agree_alpha = 0.05;
}

const char *bg_shift_reason_name(enum bg_shift_reason r) {
  switch (r) {
  case BG_SHIFT_COMMON_FACTOR:
    return "common_factor";
  case BG_SHIFT_CONTROLS_MOVED:
    return "controls_moved";
  case BG_SHIFT_FINGERPRINT:
    return "fingerprint";
  default:
    return "none";
  }
}

/* ---- units ------------------------------------------------------------------------------ */

/* One benchmark's results (or one result without a group): what the tests count. */
struct unit {
  double x, s, df;
  int control;
};

/* The sort key that brings one unit's items together. */
struct key {
  const char *group;
  int control;
  size_t idx;
};

static int valid_item(const struct bg_shift_item *it) {
  return it->tested && isfinite(it->d) && isfinite(it->se) && it->se > 0;
}

static double item_df(double df) {
  return isfinite(df) && df > 0 ? df : INFINITY;
}

/* Any total order that keeps a unit's items adjacent will do:
 * by control flag, then group name (NULL groups apart, by index), then index. */
static int cmp_key(const void *pa, const void *pb) {
  const struct key *a = pa, *b = pb;
  if (a->control != b->control)
    return a->control - b->control;
  if (a->group && b->group) {
    int c = strcmp(a->group, b->group);
    if (c)
      return c;
  } else if (a->group || b->group) {
    return a->group ? -1 : 1;
  }
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int same_unit(const struct key *a, const struct key *b) {
  return a->control == b->control && a->group && b->group && strcmp(a->group, b->group) == 0;
}

/* Groups the valid items into units (u holds at least n); returns their number. */
static size_t build_units(const struct bg_shift_item *items, size_t n, struct unit *u) {
  struct key *k = bg_xmalloc((n ? n : 1) * sizeof *k);
  size_t nk = 0, nu = 0;
  for (size_t i = 0; i < n; i++)
    if (valid_item(&items[i]))
      k[nk++] = (struct key){items[i].group, items[i].is_control ? 1 : 0, i};
  qsort(k, nk, sizeof *k, cmp_key);
  for (size_t i = 0; i < nk;) {
    size_t j = i;
    double sx = 0, ss = 0, df = INFINITY;
    for (; j < nk && (j == i || same_unit(&k[i], &k[j])); j++) {
      const struct bg_shift_item *it = &items[k[j].idx];
      sx += it->d;
      ss += it->se;
      df = fmin(df, item_df(it->df));
    }
    double cnt = (double)(j - i);
    u[nu++] = (struct unit){sx / cnt, ss / cnt, df, k[i].control};
    i = j;
  }
  free(k);
  return nu;
}

/* ---- the statistics --------------------------------------------------------------------- */

/* P(T_df >= z), the normal for df INFINITY. */
static double upper_p(double z, double df) {
  return bg_stats_t_sf(z, df);
}

/* The quantile test of p-values p[0..m-1] (m >= 1, modified: sorted): with r = floor(m/2)+1,
 * P(the r-th smallest of m independent uniforms <= p_(r)) = P(Binomial(m, p_(r)) >= r). */
static double quantile_test(double *p, size_t m) {
  bg_stats_sort(p, m);
  size_t r = m / 2 + 1;
  double pr = p[r - 1];
  if (pr <= 0)
    return 0;
  if (pr >= 1)
    return 1;
  return bg_stats_betainc((double)r, (double)(m - r + 1), pr);
}

/* Two-sided quantile test that the units' x are centred at 0: u = P(T >= x/s). */
static double location_test(const struct unit *u, size_t m, double *scratch) {
  double *v = scratch + m;
  for (size_t i = 0; i < m; i++) {
    scratch[i] = upper_p(u[i].x / u[i].s, u[i].df);
    v[i] = 1 - scratch[i];
  }
  double pw = quantile_test(scratch, m), pb = quantile_test(v, m);
  return fmin(1, 2 * fmin(pw, pb));
}

/* The median of the units' x. scratch holds m. */
static double units_median(const struct unit *u, size_t m, double *scratch) {
  for (size_t i = 0; i < m; i++)
    scratch[i] = u[i].x;
  return bg_stats_median_inplace(scratch, m);
}

/* The se of that median on the log scale: a normal median's sqrt(pi/2) sqrt(s~^2 + tau^2) /
 * sqrt(m), with s~ the units' median se and tau their spread. The model's, not the
 * distribution-free order-statistic interval's: with fewer than 10 units that interval is
 * [min, max], and it would take a regression among them for part of the shift. */
static double median_se(const struct unit *u, size_t m, double tau, double *scratch) {
  for (size_t i = 0; i < m; i++)
    scratch[i] = u[i].s;
  double s = bg_stats_median_inplace(scratch, m);
  return 1.2533141373155003 * sqrt(s * s + tau * tau) / sqrt((double)m);
}

/* The median of (x - c)^2 / (s^2 + tau^2) over the units; decreasing in tau. */
static double spread_stat(const struct unit *u, size_t m, double c, double tau, double *scratch) {
  for (size_t i = 0; i < m; i++) {
    double e = u[i].x - c;
    scratch[i] = e * e / (u[i].s * u[i].s + tau * tau);
  }
  return bg_stats_median_inplace(scratch, m);
}

/* The robust spread tau of the units around c: the tau >= 0 at which that median is the
 * chi-square(1) median (0 when it already is at or below it), by bisection. At tau = 3
 * max|x - c| every term is below 1/9, so the root lies below. */
static double spread(const struct unit *u, size_t m, double c, double *scratch) {
  if (!m || spread_stat(u, m, c, 0, scratch) <= CHI2_1_MEDIAN)
    return 0;
  double lo = 0, hi = 0;
  for (size_t i = 0; i < m; i++)
    hi = fmax(hi, 3 * fabs(u[i].x - c));
  for (int it = 0; it < 60; it++) {
    double mid = (lo + hi) / 2;
    if (spread_stat(u, m, c, mid, scratch) > CHI2_1_MEDIAN)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

/* One-sided quantile test that control units lie short of c (towards 0), each deviation
 * measured against sqrt(s^2 + se_c^2). */
static double flat_test(const struct unit *ctl, size_t mc, double c, double se_c, double *scratch) {
  for (size_t i = 0; i < mc; i++) {
    double z = (ctl[i].x - c) / sqrt(ctl[i].s * ctl[i].s + se_c * se_c);
    scratch[i] = upper_p(c > 0 ? -z : z, ctl[i].df);
  }
  return quantile_test(scratch, mc);
}

/* ---- the decision ----------------------------------------------------------------------- */

/* What one set of units (the controls, or the others) says: median c, its interval lo..hi
 * and se, the test's p, the spread tau. */
struct side {
  const struct unit *u;
  size_t m;
  double c, lo, hi, p, se, tau;
  double c0, se0, df; /* the controls' fixed-effect mean, its se and df (NAN for the others) */
};

/* The others: the median, robust to the half of them a code change may have moved, and the
 * quantile test. */
static void analyse(struct side *sd, double *scratch) {
  sd->c = sd->lo = sd->hi = sd->p = sd->se = sd->tau = NAN;
  sd->c0 = sd->se0 = sd->df = NAN;
  if (!sd->m)
    return;
  sd->c = units_median(sd->u, sd->m, scratch);
  sd->p = location_test(sd->u, sd->m, scratch);
  sd->tau = spread(sd->u, sd->m, sd->c, scratch);
  sd->se = median_se(sd->u, sd->m, sd->tau, scratch);
  sd->lo = sd->c - Z975 * sd->se;
  sd->hi = sd->c + Z975 * sd->se;
}

/* The precision-weighted mean of the units' x with weights 1 / (s^2 + tau^2) into *c, its se
 * (1 / sqrt of the weights' sum) into *se; returns the smallest df. */
static double weighted_mean(const struct unit *u, size_t m, double tau, double *c, double *se) {
  double sw = 0, swx = 0, df = INFINITY;
  for (size_t i = 0; i < m; i++) {
    double w = 1 / (u[i].s * u[i].s + tau * tau);
    sw += w;
    swx += w * u[i].x;
    df = fmin(df, u[i].df);
  }
  *c = swx / sw;
  *se = 1 / sqrt(sw);
  return df;
}

/* The controls. Whether they moved by themselves is the quantile test of the others (robust:
 * one control whose se understates its noise cannot make it significant). Their factor, "by
 * how much did the machine move", is estimated by precision weights, the efficient choice for
 * units no code change touches (a median of 3 uses one of them): the random-effects weighted
 * mean, weights 1 / (s^2 + tau^2), tau the controls' robust spread around their median, at
 * least tau_floor (the others' spread, when they are enough to show one: a shift moves every
 * benchmark by a similar, not the same, factor, and the controls are a sample of them). The
 * fixed-effect mean (weights 1 / s^2) and its se are kept for "the controls side with the
 * others" (decide): when nothing moved every control's change is 0, so a shift's spread is
 * part of its signal, not of the null's noise. */
static void analyse_controls(struct side *sd, double tau_floor, double *scratch) {
  sd->c = sd->lo = sd->hi = sd->p = sd->se = sd->tau = NAN;
  sd->c0 = sd->se0 = sd->df = NAN;
  if (!sd->m)
    return;
  double df = sd->df = weighted_mean(sd->u, sd->m, 0, &sd->c0, &sd->se0);
  sd->p = location_test(sd->u, sd->m, scratch);
  double tau = spread(sd->u, sd->m, units_median(sd->u, sd->m, scratch), scratch);
  if (isfinite(tau_floor))
    tau = fmax(tau, tau_floor);
  sd->tau = tau;
  weighted_mean(sd->u, sd->m, tau, &sd->c, &sd->se);
  double crit = bg_stats_t_quantile(0.975, df);
  sd->lo = sd->c - crit * sd->se;
  sd->hi = sd->c + crit * sd->se;
}

static size_t count_same_side(const struct side *sd) {
  size_t k = 0;
  for (size_t i = 0; i < sd->m; i++)
    k += (sd->c > 0 && sd->u[i].x > 0) || (sd->c < 0 && sd->u[i].x < 0);
  return k;
}

/* The p of "x deviates from the machine's factor f" beyond the noise s, the factor's
 * uncertainty se_f and the shift's spread tau: two-sided, or one-sided (x worse than f,
 * farther from 0 on f's side) when `worse`. */
static double deviation_p(double x, double s, double df, double f, double se_f, double tau,
                          int worse) {
  double z = (x - f) / sqrt(s * s + se_f * se_f + tau * tau);
  if (worse)
    return upper_p(f >= 0 ? z : -z, df);
  return fmin(1, 2 * upper_p(fabs(z), df));
}

static void fill_side_fields(struct bg_shift_result *out, const struct side *oth,
                             const struct side *ctl) {
  out->units = oth->m;
  out->common = expm1(oth->c);
  out->common_lo = expm1(oth->lo);
  out->common_hi = expm1(oth->hi);
  out->common_p = oth->p;
  out->controls = ctl->m;
  out->control_factor = expm1(ctl->c);
  out->control_lo = expm1(ctl->lo);
  out->control_hi = expm1(ctl->hi);
  out->control_p = ctl->p;
  out->same_side = count_same_side(oth);
}

/* The controls side with the others' common factor c: their fixed-effect mean lies on c's
 * side of 0 with one-sided p <= agree_alpha. */
static int controls_agree(const struct side *ctl, double c, double agree_alpha) {
  double z = (c > 0 ? ctl->c0 : -ctl->c0) / ctl->se0;
  return ctl->m && upper_p(z, ctl->df) <= agree_alpha;
}

/* The reasons the units give (the fingerprint is the caller's); sets out->controls_flat. */
static unsigned decide(const struct bg_shift_config *cf, const struct side *oth,
                       const struct side *ctl, struct bg_shift_result *out, double *scratch) {
  unsigned reasons = 0;
  if (ctl->m && ctl->p <= cf->control_alpha && fabs(expm1(ctl->c)) >= cf->min_factor)
    reasons |= BG_SHIFT_CONTROLS_MOVED;
  /* The others moved together, significantly and noticeably... */
  int moved = oth->m >= cf->min_units && oth->m > 0 && oth->p <= cf->alpha &&
              fabs(expm1(oth->c)) >= cf->min_factor &&
              (double)out->same_side >= cf->min_fraction * (double)oth->m;
  /* ...while the controls stayed short of them: the code moved. */
  if (moved && ctl->m && !(reasons & BG_SHIFT_CONTROLS_MOVED) &&
      flat_test(ctl->u, ctl->m, oth->c, oth->se, scratch) <= cf->flat_alpha)
    out->controls_flat = 1;
  if (moved && !out->controls_flat && out->common_spread <= cf->max_spread * fabs(oth->c))
    reasons |= BG_SHIFT_COMMON_FACTOR;
  /* The others already show the machine's signature: the controls then only have to say
   * whose side they are on, the machine's or the code's, not prove a shift by themselves. */
  if ((reasons & BG_SHIFT_COMMON_FACTOR) && controls_agree(ctl, oth->c, cf->agree_alpha) &&
      fabs(expm1(ctl->c)) >= cf->min_factor)
    reasons |= BG_SHIFT_CONTROLS_MOVED;
  return reasons;
}

static enum bg_shift_reason strongest(unsigned reasons) {
  if (reasons & BG_SHIFT_FINGERPRINT)
    return BG_SHIFT_FINGERPRINT;
  if (reasons & BG_SHIFT_CONTROLS_MOVED)
    return BG_SHIFT_CONTROLS_MOVED;
  return reasons & BG_SHIFT_COMMON_FACTOR ? BG_SHIFT_COMMON_FACTOR : BG_SHIFT_NONE;
}

/* Marks the explained items and counts the units that moved with the factor f. Explained is
 * decided suite-wide: every item is tested for being worse than f (one-sided: only a change
 * worse than the machine's is evidence against the code), and Benjamini-Hochberg at
 * explain_alpha over the verdict's valid items says which are (the rest are explained). A
 * per-item test at explain_alpha would, over a suite of 60 results that all moved with the
 * machine, call one of them a regression most of the time; BH keeps the chance that any does
 * at explain_alpha, and still finds a regression worse than the shift by a clear margin
 * (several such regressions lower each other's bar). The units that moved with f are those
 * BH over the units' two-sided deviations leaves. */
static void explain(const struct bg_shift_item *items, size_t n, const struct side *oth, double f,
                    double se_f, double tau, const struct bg_shift_config *cf,
                    struct bg_shift_result *out, int *explained) {
  double *q = bg_xmalloc((n > oth->m ? n : oth->m ? oth->m : 1) * sizeof *q);
  for (size_t i = 0; i < n; i++) {
    const struct bg_shift_item *it = &items[i];
    q[i] = valid_item(it) ? deviation_p(it->d, it->se, item_df(it->df), f, se_f, tau, 1) : NAN;
  }
  bg_stats_bh(q, n, q, cf->explain_alpha);
  for (size_t i = 0; i < n; i++) {
    int e = valid_item(&items[i]) && q[i] > cf->explain_alpha;
    out->explained += (size_t)e;
    if (explained)
      explained[i] = e;
  }
  for (size_t i = 0; i < oth->m; i++) {
    const struct unit *u = &oth->u[i];
    q[i] = deviation_p(u->x, u->s, u->df, f, se_f, tau, 0);
  }
  bg_stats_bh(q, oth->m, q, cf->explain_alpha);
  for (size_t i = 0; i < oth->m; i++) {
    const struct unit *u = &oth->u[i];
    int side = (f > 0 && u->x > 0) || (f < 0 && u->x < 0);
    out->moved += (size_t)(side && q[i] > cf->explain_alpha);
  }
  free(q);
}

/* Whose factor is the machine's. The controls' when they moved, since no code touches them,
 * unless the others' common factor agrees with it (within the 95 % bounds of the difference)
 * and they are at least min_units: the others are more, and their median ignores the few a
 * code change moved, so their factor is the more precise. Else the others' (the controls'
 * when there are no others; NAN without any unit). */
static const struct side *machine_side(unsigned reasons, const struct side *oth,
                                       const struct side *ctl, size_t min_units) {
  if (!(reasons & BG_SHIFT_CONTROLS_MOVED))
    return oth->m ? oth : ctl;
  if (oth->m >= min_units && oth->m > ctl->m &&
      fabs(ctl->c - oth->c) <= Z975 * sqrt(ctl->se * ctl->se + oth->se * oth->se))
    return oth;
  return ctl;
}

static void result_init(struct bg_shift_result *out) {
  memset(out, 0, sizeof *out);
  out->factor = out->factor_lo = out->factor_hi = NAN;
  out->common = out->common_lo = out->common_hi = out->common_p = NAN;
  out->control_factor = out->control_lo = out->control_hi = out->control_p = NAN;
  out->spread = out->common_spread = NAN;
}

/* Units with control 0 first: a stable partition (the order within each does not matter). */
static size_t partition_controls(struct unit *u, size_t nu) {
  size_t a = 0;
  for (size_t i = 0; i < nu; i++)
    if (!u[i].control) {
      struct unit t = u[a];
      u[a++] = u[i];
      u[i] = t;
    }
  return a;
}

void bg_shift_detect(const struct bg_shift_item *items, size_t n, int fingerprint_changed,
                     const struct bg_shift_config *config, struct bg_shift_result *out,
                     int *explained) {
  struct bg_shift_config def;
  if (!config) {
    bg_shift_config_init(&def);
    config = &def;
  }
  result_init(out);
  if (explained)
    for (size_t i = 0; i < n; i++)
      explained[i] = 0;
  if (!items)
    n = 0;
  struct unit *u = bg_xmalloc((n ? n : 1) * sizeof *u);
  double *scratch = bg_xmalloc((2 * n + 1) * sizeof *scratch);
  size_t nu = build_units(items, n, u), no = partition_controls(u, nu);
  struct side oth = {.u = u, .m = no}, ctl = {.u = u + no, .m = nu - no};
  analyse(&oth, scratch);
  analyse_controls(&ctl, oth.m >= config->min_units ? oth.tau : NAN, scratch);
  fill_side_fields(out, &oth, &ctl);
  out->common_spread = oth.tau;
  unsigned reasons = decide(config, &oth, &ctl, out, scratch);
  if (fingerprint_changed)
    reasons |= BG_SHIFT_FINGERPRINT;
  out->reasons = reasons;
  out->reason = strongest(reasons);
  out->suspected = reasons != 0;
  const struct side *by = machine_side(reasons, &oth, &ctl, config->min_units);
  out->factor = expm1(by->c);
  out->factor_lo = expm1(by->lo);
  out->factor_hi = expm1(by->hi);
  if (out->suspected && by->m) {
    double tau = fmax(by->tau, config->spread_floor * fabs(by->c));
    out->spread = tau;
    explain(items, n, &oth, by->c, by->se, tau, config, out, explained);
  }
  free(scratch);
  free(u);
}

void bg_shift_items_of_verdict(const struct bg_gate_verdict *v, const int *control,
                               struct bg_shift_item *items) {
  for (size_t i = 0; v && i < v->n; i++) {
    const struct bg_gate_outcome *o = &v->outcomes[i];
    struct bg_shift_item *it = &items[i];
    it->tested = o->tested && o->method == BG_GATE_METHOD_T && !o->ignored;
    if (o->log_scale) {
      it->d = log1p(o->change);
      it->se = o->se;
    } else {
      it->d = o->change;
      it->se = o->se / fabs(o->baseline_center);
    }
    if (o->direction == BG_HIGHER)
      it->d = -it->d;
    it->df = o->df;
    it->is_control = control ? control[i] != 0 : 0;
    it->group = o->benchmark;
  }
}
