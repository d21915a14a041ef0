/* auth.c: API tokens: creation, hashing, verification and roles. */
#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

static const char *const role_names[] = {"read", "ci", "agent", "admin"};

int bg_role_parse(const char *s, enum bg_role *out) {
  for (int i = 0; s && i < 4; i++) {
    if (strcmp(s, role_names[i]) == 0) {
      *out = (enum bg_role)i;
      return 1;
    }
  }
  return 0;
}

const char *bg_role_name(enum bg_role r) {
  return r >= BG_ROLE_READ && r <= BG_ROLE_ADMIN ? role_names[r] : "?";
}

int bg_role_allows(enum bg_role have, enum bg_role need) {
  return have == BG_ROLE_ADMIN || need == BG_ROLE_READ || have == need;
}

void bg_auth_hash(const char *token, unsigned char out[32]) {
  SHA256((const unsigned char *)token, strlen(token), out);
}

int bg_auth_hash_equal(const unsigned char a[32], const unsigned char b[32]) {
  return CRYPTO_memcmp(a, b, 32) == 0;
}

int bg_auth_generate(char *out, size_t outlen) {
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char raw[33] = {0};
  size_t got = 0;
  if (outlen < BG_AUTH_TOKEN_LEN + 1)
    return BG_EINVAL;
  while (got < 32) {
    ssize_t n = getrandom(raw + got, 32 - got, 0);
    if (n < 0)
      return BG_EIO;
    got += (size_t)n;
  }
  size_t o = strlen(BG_AUTH_PREFIX);
  memcpy(out, BG_AUTH_PREFIX, o);
  /* 32 bytes = 256 bits = 42 full sextets and 4 bits: 43 characters. */
  for (size_t bit = 0; bit < 256; bit += 6) {
    size_t byte = bit / 8, shift = bit % 8;
    unsigned v = ((unsigned)raw[byte] << 8 | raw[byte + 1]) >> (10 - shift);
    out[o++] = b64[v & 63];
  }
  out[o] = '\0';
  OPENSSL_cleanse(raw, sizeof raw);
  return BG_OK;
}

int bg_auth_create(struct bg_store *s, const char *project, enum bg_role role, const char *name,
                   char *token, size_t toklen, long long *id) {
  struct bg_project p = {0};
  unsigned char hash[32];
  int rc;
  if (project && (rc = bg_store_project_get(s, project, &p)))
    return rc;
  if ((rc = bg_auth_generate(token, toklen)))
    return rc;
  bg_auth_hash(token, hash);
  return bg_store_token_insert(s, project ? p.id : 0, bg_role_name(role), name, hash, id);
}

int bg_auth_verify(struct bg_store *s, const char *authorization, struct bg_principal *who) {
  struct bg_token_row row;
  unsigned char hash[32];
  if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
    return BG_EAUTH;
  const char *tok = authorization + 7;
  while (*tok == ' ')
    tok++;
  size_t n = strlen(tok);
  while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
    n--;
  if (n != BG_AUTH_TOKEN_LEN || strncmp(tok, BG_AUTH_PREFIX, strlen(BG_AUTH_PREFIX)) != 0)
    return BG_EAUTH;
  char copy[BG_AUTH_TOKEN_LEN + 1];
  memcpy(copy, tok, n);
  copy[n] = '\0';
  bg_auth_hash(copy, hash);
  int rc = bg_store_token_find(s, hash, &row);
  if (rc == BG_ENOENT)
    return BG_EAUTH;
  if (rc)
    return rc;
  /* The lookup is by hash already; the constant-time comparison keeps the decision itself
   * free of data-dependent timing whatever the index does. */
  if (!bg_auth_hash_equal(hash, row.hash) || row.revoked || !bg_role_parse(row.role, &who->role))
    return BG_EAUTH;
  who->token_id = row.id;
  who->project_id = row.project_id;
  memcpy(who->name, row.name, sizeof who->name);
  return BG_OK;
}

int bg_auth_check(const struct bg_principal *who, long long project_id, enum bg_role need) {
  if (who->project_id && who->project_id != project_id)
    return BG_EPERM;
  return bg_role_allows(who->role, need) ? BG_OK : BG_EPERM;
}
