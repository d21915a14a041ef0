/* sim.c: the seeded benchmark-suite simulator of the quality programs; see sim.h. */
#include "sim.h"

#include "gate.h"
#include "mem.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG ------------------------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void sim_rng_seed(struct sim_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix(&seed);
  r->has_spare = 0;
}

static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

uint64_t sim_next_u64(struct sim_rng *r) {
  uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

double sim_unif(struct sim_rng *r) {
  return (double)(sim_next_u64(r) >> 11) * 0x1.0p-53;
}

double sim_unif_ab(struct sim_rng *r, double a, double b) {
  return a + (b - a) * sim_unif(r);
}

double sim_logunif(struct sim_rng *r, double a, double b) {
  return exp(sim_unif_ab(r, log(a), log(b)));
}

double sim_gauss(struct sim_rng *r) {
  if (r->has_spare) {
    r->has_spare = 0;
    return r->spare;
  }
  double u, v, s;
  do {
    u = 2 * sim_unif(r) - 1;
    v = 2 * sim_unif(r) - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  double f = sqrt(-2 * log(s) / s);
  r->spare = v * f;
  r->has_spare = 1;
  return u * f;
}

/* ---- machine effects -------------------------------------------------------------------- */

void sim_effects_init(struct sim_effects *e) {
  memset(e, 0, sizeof *e);
  e->interf_amount = 0.2;
  e->shift_lo = 1.02;
  e->shift_hi = 1.06;
  e->shift_len = 3;
  e->drift_frac = 0.10;
  e->drift_scale = 1;
}

int sim_effects_any(const struct sim_effects *e) {
  return e->interf_frac > 0 || e->shift_prob > 0 || e->machine_drift > 0;
}

/* Parses up to max comma-separated non-negative numbers of variable name into v; returns how
 * many, or -1 (after a message) when the value is malformed. Absent: 0. */
static int env_numbers(const char *prog, const char *name, double *v, int max) {
  const char *s = getenv(name);
  if (!s || !*s)
    return 0;
  int n = 0;
  while (*s) {
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || end == s || !isfinite(x) || x < 0 || n == max || (*end && *end != ',')) {
      fprintf(stderr,
              "%s: %s: expected up to %d comma-separated non-negative numbers, got \"%s\"\n", prog,
              name, max, getenv(name));
      return -1;
    }
    v[n++] = x;
    s = *end ? end + 1 : end;
  }
  return n;
}

int sim_effects_from_env(struct sim_effects *e, const char *prog) {
  double v[4];
  int n;
  if ((n = env_numbers(prog, "Q_SIM_INTERFERENCE", v, 2)) < 0)
    return -1;
  if (n >= 1)
    e->interf_frac = fmin(v[0], 1);
  if (n >= 2)
    e->interf_amount = v[1];
  if ((n = env_numbers(prog, "Q_SIM_SHIFT", v, 4)) < 0)
    return -1;
  if (n >= 1)
    e->shift_prob = fmin(v[0], 1);
  if (n == 2 || (n >= 3 && !(v[1] > 0 && v[2] >= v[1]))) {
    fprintf(stderr, "%s: Q_SIM_SHIFT: PROB[,LO,HI[,LEN]] with 0 < LO <= HI\n", prog);
    return -1;
  }
  if (n >= 3) {
    e->shift_lo = v[1];
    e->shift_hi = v[2];
  }
  if (n >= 4) {
    if (!(v[3] >= 1 && v[3] <= 1000)) {
      fprintf(stderr, "%s: Q_SIM_SHIFT: LEN must be 1-1000 runs\n", prog);
      return -1;
    }
    e->shift_len = (int)v[3];
  }
  if ((n = env_numbers(prog, "Q_SIM_SHIFT_REGRESSIONS", v, 1)) < 0)
    return -1;
  e->shift_regressions = n == 1 && v[0] != 0;
  if ((n = env_numbers(prog, "Q_SIM_MACHINE_DRIFT", v, 1)) < 0)
    return -1;
  if (n == 1)
    e->machine_drift = v[0];
  if ((n = env_numbers(prog, "Q_SIM_DRIFT", v, 2)) < 0)
    return -1;
  if (n >= 1)
    e->drift_frac = fmin(v[0], 1);
  if (n >= 2)
    e->drift_scale = v[1];
  return 0;
}

void sim_effects_describe(const struct sim_effects *e, char *buf, int len) {
  int off = 0;
  buf[0] = 0;
  if (e->interf_frac > 0)
    off += snprintf(buf + off, (size_t)(len - off),
                    "interference U(0,%.2g) of repetitions +U(0,%.0f%%); ", e->interf_frac,
                    100 * e->interf_amount);
  if (off < len && e->shift_prob > 0)
    off += snprintf(buf + off, (size_t)(len - off),
                    "shifts at %.2g of runs x%.3g-%.3g for 1-%d runs%s; ", e->shift_prob,
                    e->shift_lo, e->shift_hi, e->shift_len,
                    e->shift_regressions ? ", regressions during a shift" : "");
  if (off < len && e->machine_drift > 0)
    off += snprintf(buf + off, (size_t)(len - off), "machine drift step %.2g; ", e->machine_drift);
  if (off < len && (e->drift_frac != 0.10 || e->drift_scale != 1))
    off += snprintf(buf + off, (size_t)(len - off), "drift on %.2g of benchmarks x%.2g; ",
                    e->drift_frac, e->drift_scale);
  if (off == 0)
    snprintf(buf, (size_t)len, "none");
  else if (off >= 2 && off < len)
    buf[off - 2] = 0;
}

void sim_machine_seq_init(struct sim_machine_seq *q) {
  memset(q, 0, sizeof *q);
}

void sim_machine_next(struct sim_rng *r, const struct sim_effects *e, struct sim_machine_seq *q,
                      int force_shift, struct sim_machine *m) {
  memset(m, 0, sizeof *m);
  if (e->machine_drift > 0)
    q->walk += e->machine_drift * sim_gauss(r);
  if (e->shift_prob > 0 || force_shift) {
    if (q->shift_left == 0 && (force_shift || sim_unif(r) < e->shift_prob)) {
      q->shift_left = 1 + (int)(sim_unif(r) * e->shift_len);
      q->shift = log(sim_unif_ab(r, e->shift_lo, e->shift_hi));
    }
    if (q->shift_left > 0) {
      q->shift_left--;
      m->shifted = 1;
      m->log_shift = q->shift;
    }
  }
  m->log_shift += q->walk;
  if (e->interf_frac > 0) {
    m->interf_frac = e->interf_frac * sim_unif(r);
    m->interf_amount = e->interf_amount;
  }
}

/* ---- the simulated suite ---------------------------------------------------------------- */

void sim_gen_run(struct sim_rng *r, const struct sim_bench *b, double walk, double effect,
                 const struct sim_machine *m, double *x) {
  double off = b->level + walk + b->cv_b * sim_gauss(r) + log1p(effect);
  if (m)
    off += m->log_shift;
  if (b->bimodal == 1 && sim_unif(r) < b->bi_p)
    off += b->bi_gap;
  for (int i = 0; i < SIM_NREP; i++) {
    double lv = off + b->cv_w * sim_gauss(r);
    if (b->bimodal == 2 && sim_unif(r) < b->bi_p)
      lv += b->bi_gap;
    double v = exp(lv);
    if (sim_unif(r) < 0.02)
      v *= sim_unif_ab(r, 1.2, 3.0);
    /* Interference only ever takes time away: a one-sided slowdown. */
    if (m && m->interf_frac > 0 && sim_unif(r) < m->interf_frac)
      v *= 1 + m->interf_amount * sim_unif(r);
    x[i] = v;
  }
}

void sim_make_suite(struct sim_rng *r, struct sim_bench *bs, int nb, const struct sim_effects *e,
                    sim_mc_hook hook, void *arg) {
  struct sim_effects def;
  if (!e) {
    sim_effects_init(&def);
    e = &def;
  }
  for (int i = 0; i < nb; i++) {
    struct sim_bench *b = &bs[i];
    memset(b, 0, sizeof *b);
    b->level = sim_unif_ab(r, log(50), log(5e7));
    b->cv_w = sim_logunif(r, 0.002, 0.05);
    b->cv_b = sim_logunif(r, 0.001, 0.03);
    double u = sim_unif(r);
    if (u < 0.05) {
      b->bimodal = 1;
      b->bi_p = sim_unif_ab(r, 0.1, 0.5);
      b->bi_gap = b->cv_b * sim_unif_ab(r, 1, 3);
    } else if (u < 0.10) {
      b->bimodal = 2;
      b->bi_p = sim_unif_ab(r, 0.05, 0.3);
      b->bi_gap = sim_unif_ab(r, 0.02, 0.08);
    }
    if (sim_unif(r) < e->drift_frac)
      b->drift = e->drift_scale * b->cv_b * sim_unif_ab(r, 0.05, 0.2);
    /* The true variance of a run centre, by Monte Carlo, for the oracle and the noise cells. */
    double x[SIM_NREP], *c = bg_xmalloc(SIM_MC_RUNS * sizeof *c);
    struct bg_gate_summary s;
    for (int k = 0; k < SIM_MC_RUNS; k++) {
      sim_gen_run(r, b, 0, 0, NULL, x);
      if (hook)
        hook(arg, i, k, x);
      bg_gate_summarize(x, SIM_NREP, &s);
      c[k] = s.log_center;
      b->w_mean += s.log_w / SIM_MC_RUNS;
    }
    b->v_true = bg_stats_variance(c, SIM_MC_RUNS);
    free(c);
    double cv = sqrt(b->v_true);
    b->cell = cv <= 0.005 ? 0 : cv <= 0.01 ? 1 : 2;
  }
}

/* ---- centres of a run ------------------------------------------------------------------ */

static const char *centre_names[SIM_NCENTRE + 2] = {"trim20", "min",  "p10", "p25",
                                                    "low3",   "auto", "gate"};

const char *sim_centre_name(int c) {
  return c >= 0 && c <= SIM_C_GATE ? centre_names[c] : "?";
}

int sim_centre_parse(const char *s) {
  for (int c = 0; c <= SIM_C_GATE; c++)
    if (strcmp(s, centre_names[c]) == 0)
      return c;
  return -1;
}

double sim_centre_sorted(int c, const double *s, int n) {
  switch (c) {
  case SIM_C_MIN:
    return s[0];
  case SIM_C_P10:
    return bg_stats_quantile_sorted(s, (size_t)n, 0.10);
  case SIM_C_P25:
    return bg_stats_quantile_sorted(s, (size_t)n, 0.25);
  case SIM_C_LOW3: {
    int k = n < 3 ? n : 3;
    double sum = 0;
    for (int i = 0; i < k; i++)
      sum += s[i];
    return sum / k;
  }
  default:
    return bg_stats_trimmed_mean_sorted(s, (size_t)n, 0.2);
  }
}

void sim_centre_ratios(double ratio[SIM_NCENTRE]) {
  enum { RUNS = 20000 };
  struct sim_rng r;
  sim_rng_seed(&r, 12345);
  double *v = bg_xmalloc((size_t)RUNS * SIM_NCENTRE * sizeof *v), x[SIM_NREP];
  for (int k = 0; k < RUNS; k++) {
    for (int i = 0; i < SIM_NREP; i++)
      x[i] = sim_gauss(&r);
    bg_stats_sort(x, SIM_NREP);
    for (int c = 0; c < SIM_NCENTRE; c++)
      v[c * RUNS + k] = sim_centre_sorted(c, x, SIM_NREP);
  }
  double base = bg_stats_variance(v, RUNS);
  for (int c = 0; c < SIM_NCENTRE; c++)
    ratio[c] = bg_stats_variance(v + c * RUNS, RUNS) / base;
  free(v);
}

void sim_summarize(const double *x, int n, int c, const double *ratio, struct bg_gate_summary *s) {
  bg_gate_summarize(x, (size_t)n, s);
  if (c == SIM_C_GATE)
    return;
  s->tail_n = 0;
  if (c == SIM_C_TRIM20)
    return;
  double v[64];
  int m = n < 64 ? n : 64;
  memcpy(v, x, (size_t)m * sizeof *v);
  bg_stats_sort(v, (size_t)m);
  s->raw_center = sim_centre_sorted(c, v, m);
  s->raw_w *= ratio[c];
  if (s->all_positive == 1) {
    for (int i = 0; i < m; i++)
      v[i] = log(v[i]);
    s->log_center = sim_centre_sorted(c, v, m);
    s->log_w *= ratio[c];
  }
}

static double centre_variance(double (*cent)[SIM_NCENTRE], int lo, int hi, int c) {
  double mean = 0, ss = 0;
  for (int j = lo; j < hi; j++)
    mean += cent[j][c];
  mean /= hi - lo;
  for (int j = lo; j < hi; j++)
    ss += (cent[j][c] - mean) * (cent[j][c] - mean);
  return ss / (hi - lo - 1);
}

int sim_choose_centre(double (*cent)[SIM_NCENTRE], int nruns, double margin) {
  if (nruns < 10)
    return SIM_C_TRIM20;
  int best = SIM_C_TRIM20;
  double vbest = centre_variance(cent, 0, nruns, SIM_C_TRIM20);
  double t1 = centre_variance(cent, 0, nruns / 2, SIM_C_TRIM20);
  double t2 = centre_variance(cent, nruns / 2, nruns, SIM_C_TRIM20);
  double vt = vbest;
  for (int c = 1; c < SIM_NCENTRE; c++) {
    double v = centre_variance(cent, 0, nruns, c);
    if (v < vbest && v < margin * vt && centre_variance(cent, 0, nruns / 2, c) < margin * t1 &&
        centre_variance(cent, nruns / 2, nruns, c) < margin * t2) {
      best = c;
      vbest = v;
    }
  }
  return best;
}
