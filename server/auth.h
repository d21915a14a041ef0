/* auth.h: API tokens: creation, hashing, verification and roles.
 *
 * A token is "bgt_" followed by 43 base64url characters (32 random bytes from getrandom). It
 * is shown once when created; the database keeps only its SHA-256. A request's bearer token
 * is hashed, looked up, and its stored hash compared in constant time. Roles: admin may do
 * everything; agent uploads runs; ci reads verdicts and enqueues jobs; read reads. A token
 * is bound to one project or, without one, valid for every project.
 */
#ifndef BG_AUTH_H
#define BG_AUTH_H

#include "store.h"

#include <stddef.h>

enum bg_role { BG_ROLE_READ = 0, BG_ROLE_CI = 1, BG_ROLE_AGENT = 2, BG_ROLE_ADMIN = 3 };

#define BG_AUTH_PREFIX "bgt_"
#define BG_AUTH_TOKEN_LEN 47 /* "bgt_" + 43 base64url characters, without the NUL */

/* Who made a request: the token's id, its project (0: server-wide), role and name (for log
 * lines: never the token itself). */
struct bg_principal {
  long long token_id;
  long long project_id;
  enum bg_role role;
  char name[201]; /* "" when the token has none */
};

/* "admin"/"agent"/"ci"/"read" to enum and back. bg_role_parse returns 1 on success, 0 for
 * anything else. */
int bg_role_parse(const char *s, enum bg_role *out);
const char *bg_role_name(enum bg_role r);

/* Returns 1 when a token of role `have` may do what needs role `need`: admin may do all,
 * every role may read, otherwise the roles must match. */
int bg_role_allows(enum bg_role have, enum bg_role need);

/* SHA-256 of a token's text. */
void bg_auth_hash(const char *token, unsigned char out[32]);

/* Compares two hashes in constant time (CRYPTO_memcmp). Returns 1 when equal. */
int bg_auth_hash_equal(const unsigned char a[32], const unsigned char b[32]);

/* Writes a new random token (BG_AUTH_TOKEN_LEN characters and a NUL) into out, which must
 * hold at least BG_AUTH_TOKEN_LEN + 1 bytes. BG_OK, or BG_EIO when getrandom fails. */
int bg_auth_generate(char *out, size_t outlen);

/* Creates a token for project `project` (NULL: server-wide) with `role` and an optional
 * name, storing only its hash. On BG_OK the token text is in `token` (at least
 * BG_AUTH_TOKEN_LEN + 1 bytes) and its id in *id. Errors: BG_ENOENT (no such project),
 * BG_EDB, BG_EIO. */
int bg_auth_create(struct bg_store *s, const char *project, enum bg_role role, const char *name,
                   char *token, size_t toklen, long long *id);

/* Verifies an Authorization header value ("Bearer <token>"). BG_OK with *who filled;
 * BG_EAUTH when the header is missing, malformed, unknown or revoked; BG_EDB. */
int bg_auth_verify(struct bg_store *s, const char *authorization, struct bg_principal *who);

/* Checks that `who` may act on project `project_id` with role `need`. BG_OK or BG_EPERM
 * (wrong role, or a token of another project). */
int bg_auth_check(const struct bg_principal *who, long long project_id, enum bg_role need);

#endif
