/* valid.h: the naming rules (slugs, testbeds, benchmarks, shas, branches), in one place
 * for the server, the agent and tests.
 *
 * Each predicate returns 1 when the string follows the rule and 0 otherwise (also for NULL).
 */
#ifndef BG_VALID_H
#define BG_VALID_H

#include <stddef.h>

/* Project slug: [a-z0-9][a-z0-9_-]{0,63}. */
int bg_valid_project(const char *s);
/* Testbed name: [A-Za-z0-9._-]{1,64}. */
int bg_valid_testbed(const char *s);
/* Benchmark name: 1-1024 bytes of valid UTF-8 without control characters. */
int bg_valid_benchmark(const char *s);
/* Measure slug: [a-z0-9_]{1,64}. */
int bg_valid_measure(const char *s);
/* Unit: 1-32 bytes of printable ASCII without spaces ("ns", "bytes", "ops/s"). */
int bg_valid_unit(const char *s);
/* Commit sha: 40 or 64 lowercase hex digits. */
int bg_valid_sha(const char *s);
/* UUID in its 8-4-4-4-12 hex form (either case). */
int bg_valid_uuid(const char *s);
/* Branch name as git allows it, simplified: 1-255 bytes of UTF-8, no control characters,
 * no space, none of ~^:?*[\, no "..", not starting with '-' or '/', not ending with '/' or
 * ".lock". */
int bg_valid_branch(const char *s);
/* GitHub repository "owner/name": [A-Za-z0-9_.-]{1,100} on each side of one '/'. */
int bg_valid_github_repo(const char *s);
/* Valid UTF-8 of exactly `len` bytes with no control characters (C0, DEL) when
 * `allow_newlines` is 0; newline and tab are allowed when it is 1 (commit messages). */
int bg_valid_text(const char *s, size_t len, int allow_newlines);

/* Valid UTF-8 of exactly `len` bytes (every code point allowed, U+0000 included; overlong
 * forms, surrogates and code points past U+10FFFF are not UTF-8). */
int bg_valid_utf8(const char *s, size_t len);
/* The length of the longest prefix of s[0..len) that is valid UTF-8 (len when all is). */
size_t bg_valid_utf8_prefix(const char *s, size_t len);

/* Parses an RFC 3339 timestamp ("2026-11-20T12:00:00Z", fractional seconds and numeric
 * offsets allowed) into seconds since the epoch (UTC). Returns 1 on success, 0 otherwise. */
int bg_valid_timestamp(const char *s, long long *epoch);

#endif
