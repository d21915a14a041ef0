/* confirm.h: confirmation runs, the rule that says when a verdict is not final yet and what
 * settles it.
 *
 * On a real machine one candidate run is often too little evidence: a shift of the machine
 * that lasts a run fails unchanged code, and a real 10 % slowdown of a benchmark with 2-3 %
 * run-to-run noise is inconclusive as often as not. So a verdict with doubtful results asks
 * for more runs of the same commit (re-running only the suites that hold them), and decides on
 * the evidence of all of them pooled (lib/gate.h: a candidate of r runs is tested on the mean
 * of its r centres, so the candidate's share of the run-to-run noise falls to 1/r). In the
 * spirit of Chromium's Pinpoint, which re-runs until it can say SAME or DIFFERENT:
 *
 *  - doubtful: a regressed result, or a tested, non-ignored, unacknowledged one whose change
 *    is in the worse direction, whose 95 % interval reaches min_effect on the worse side, and
 *    whose one-sided worse p-value passes Benjamini-Hochberg at BG_CONFIRM_LEVEL (q_worse <=
 *    0.1): the gate's own "regressed" rule with the fail budget (the same family at 0.0075)
 *    relaxed to 0.1, i.e. a worse change the budget or the two-sided BH held back. The
 *    interval, not the point estimate: a real change of exactly min_effect has its estimate
 *    below min_effect half the time, and a rule on the estimate would never re-run those,
 *    while the gate's interval rule can still fail them. On an unchanged commit BH at 0.1
 *    rejects anything with probability at most 0.1, which bounds the re-runs an unchanged
 *    commit costs to one suite in ten commits.
 *  - The first run screens; its confirmations decide. A confirmation's verdict pools, per
 *    series, the confirmation runs that re-ran it (the first run's own numbers are left out:
 *    a run that a passing disturbance of the machine slowed by 10 % would otherwise still
 *    weigh a third of three runs), and takes the first run's numbers, unconfirmed, only for
 *    series no confirmation re-ran.
 *  - After the first run alone (runs 1): no doubtful result: final (NONE). Otherwise, when the
 *    uploader can confirm and max > 0: NEEDED, and the verdict's state is pending (it would
 *    have failed or passed on a doubt).
 *  - With confirmations (runs >= 2): a regressed result from confirmation runs: DIFFERENT, the
 *    verdict fails. No doubtful result left: SAME, it passes; a confirmed result (re-run by
 *    the confirmations) is doubtful at the looser BG_CONFIRM_STILL_LEVEL (q_worse <= 0.25,
 *    the interval reaching min_effect as above): one confirmation short of significance does
 *    not clear a real slowdown, and the next confirmation re-runs it. Doubtful results (an
 *    unconfirmed regression among them) but no confirmed regression: NEEDED again while fewer
 *    than max confirmations ran, else UNKNOWN: the verdict passes with those results
 *    inconclusive and says that they are unclear after max confirmations (never a silent
 *    pass).
 *
 * Machine shifts (lib/machine_shift.h): the rule first looks for a shift of the machine in
 * the verdict (many unrelated benchmarks, or the project's controls, moving together by a
 * similar factor; or fingerprint_changed: the run's machine fingerprint differs from its
 * baseline's) and records it in v->shift. A shift shown by the controls or the fingerprint
 * (what no code change moves; controls that side with the others' common factor count)
 * excuses the regressions it explains (a suite-wide test, machine_shift.h): with runs >= 2
 * they keep the verdict from DIFFERENT, so such a shift lasting through the confirmations
 * ends as UNKNOWN (inconclusive, the shift named), while a regression that lands during it,
 * worse than the shift explains, still fails. A common factor alone is only named: a change to code
 * every benchmark shares looks the same, and the confirmations tell the two apart (a passing
 * shift is gone on the re-runs; code stays). With a first run that is final, the shift is only
 * named.
 *
 * A regression must hold on the confirmations at the fail budget of lib/gate.h. Under an
 * unchanged commit the first run's doubt only selects which commits get re-run (at most one
 * in ten); the fail itself needs the confirmations' test to reject on fresh runs, which
 * happens with probability at most the fail budget at each of the at most max looks, so the
 * suite false-fail rate is at most about 0.1 x max x 0.0075 from the statistics alone.
 */
#ifndef BG_CONFIRM_H
#define BG_CONFIRM_H

#include "gate.h"

#include <stddef.h>

struct bg_shift_config;

#define BG_CONFIRM_DEFAULT_RUNS 2   /* confirmation runs a project allows by default */
#define BG_CONFIRM_MAX_RUNS 10      /* the most a project may set */
#define BG_CONFIRM_LEVEL 0.1        /* BH level on p_worse at which a worse change is doubtful */
#define BG_CONFIRM_STILL_LEVEL 0.25 /* the same on confirmations: still doubtful, not cleared */

enum bg_confirm_decision {
  BG_CONFIRM_NONE = 0,  /* the first run is final: nothing doubtful, or no confirmation */
  BG_CONFIRM_NEEDED,    /* one more confirmation run, of the doubtful results' suites */
  BG_CONFIRM_DIFFERENT, /* confirmed: a regression holds on the pooled runs */
  BG_CONFIRM_SAME,      /* cleared: nothing doubtful is left on the pooled runs */
  BG_CONFIRM_UNKNOWN    /* still doubtful after the last confirmation: inconclusive */
};

struct bg_confirm {
  enum bg_confirm_decision decision;
  size_t runs;     /* runs the evidence pools (1: the first alone) */
  size_t max;      /* confirmation runs allowed */
  size_t doubtful; /* outcomes marked doubtful */
};

/* 1 when outcome o is doubtful (see above): on a first run what asks for a confirmation, on
 * a confirmation what keeps it from SAME; in both what the next confirmation re-runs. */
int bg_confirm_doubtful(const struct bg_gate_outcome *o);

/* Applies the rule to verdict v, decided on `runs` runs (>= 1) of which runs - 1 are
 * confirmations, with `max` confirmations allowed; `confirmable` says the uploader re-runs
 * when asked (without it a first run is final); fingerprint_changed: the run's machine
 * fingerprint differs from its baseline's. Sets v->state to pending for NEEDED (UNKNOWN
 * keeps pass: its doubtful results are inconclusive, none regressed) and records the outcome
 * in v->confirmation, which the summary, the report and the verdict object show. Fills
 * *out (may be NULL). */
void bg_confirm_apply(struct bg_gate_verdict *v, size_t runs, size_t max, int confirmable,
                      int fingerprint_changed, struct bg_confirm *out);

/* bg_confirm_apply with the machine-shift detector's configuration (NULL: its defaults), for
 * the simulator's variants. */
void bg_confirm_apply_config(struct bg_gate_verdict *v, size_t runs, size_t max, int confirmable,
                             int fingerprint_changed, const struct bg_shift_config *shift,
                             struct bg_confirm *out);

/* "none", "needed", "different", "same", "unknown". */
const char *bg_confirm_decision_name(enum bg_confirm_decision d);

#endif
