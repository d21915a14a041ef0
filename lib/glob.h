/* glob.h: benchmark-name globs compiled once and matched in time linear in the name.
 *
 * A glob ('*' any possibly empty byte run, '?' exactly one byte, every other byte itself;
 * '/' is not special) is what a threshold rule's `match` holds (gate_thresholds.h). A
 * decision matches every rule against every result: with 64 rules and 100 000 results that
 * is 6.4 million matches per upload, and a backtracking matcher costs up to
 * len(name) x len(pattern) byte steps per match (a 1 KB name against a 1 KB pattern of
 * stars: a million), which made a decision of 32 rules x 200 long names take seconds.
 *
 * DESIGN
 *
 * A pattern H*M*T is split at its first and its last star into a head H and a tail T, which
 * hold no star, and a middle *M* (absent when the pattern has no star). A name matches when
 * it is at least as long as H and T together, its first |H| bytes match H and its last |T|
 * bytes match T byte for byte ('?' matching any byte), and, when M is not empty, the bytes
 * in between match *M*. Head and tail cost at most their length; most rules (a name prefix
 * and a star, a star and a suffix) end there.
 *
 * The middle runs as a bit-parallel NFA (Shift-And, Baeza-Yates and Gonnet, with the
 * self-loops of Wu and Manber for stars). Its states are 0..k, k the count of non-star bytes
 * of *M*: state j means "the first j of them are matched". Bit j of mask[c] is set when
 * byte j of M is c or '?'; bit j of loop is set when a star follows byte j (bit 0: the
 * leading star), so that state j stays on any byte. One step over byte c is
 *
 *     D' = ((D << 1) & mask[c]) | (D & loop)
 *
 * over ceil((k + 1) / 64) 64-bit words, and the name matches when bit k is set after its
 * last byte. A star matching nothing needs no epsilon move: it is the state staying where
 * it is. So a match costs len(name) x ceil((k + 1) / 64) word steps whatever the pattern:
 * at most 5 words for the 256-byte patterns payloads may give, 17 for the 1 024-byte ones
 * stored runs may hold, and it stops early once no state is left.
 *
 * A middle without '?' takes a shorter way: its star-free pieces, each found at its leftmost
 * place after the one before (memmem, linear), match exactly when *M* does, since the stars
 * between them absorb whatever lies between, and leftmost places leave the most room to the
 * pieces after. That costs about len(name) byte comparisons, at memmem's speed; the NFA is
 * for middles with '?', and runs only on names that hold the middle's longest run of plain
 * bytes (a memmem first), so its len(name) x words steps go to names that may match.
 *
 * Memory: a mask per distinct byte of M plus one shared by the bytes M does not hold (its
 * '?' positions only), so a compiled glob is at most (distinct + 1) x words x 8 bytes plus
 * a 512-byte class table.
 */
#ifndef BG_GLOB_H
#define BG_GLOB_H

#include <stddef.h>

struct bg_glob;

/* Compiles `pattern` (NUL-terminated; any bytes). Never fails (allocation failure aborts,
 * mem.h). Free with bg_glob_free. */
struct bg_glob *bg_glob_compile(const char *pattern);

/* 1 when the len bytes of name match the glob, else 0. */
int bg_glob_match(const struct bg_glob *g, const char *name, size_t len);

/* Frees a compiled glob; accepts NULL. */
void bg_glob_free(struct bg_glob *g);

#endif
