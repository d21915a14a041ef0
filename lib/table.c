/* table.c: the keyed table of table.h. */
#include "table.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>

static void place(struct bg_table *t, uint64_t key, size_t stored) {
  size_t mask = t->cap - 1, i = bg_table_home(t, key);
  while (t->vals[i])
    i = (i + 1) & mask;
  t->keys[i] = key;
  t->vals[i] = stored;
}

static void rehash(struct bg_table *t, size_t cap) {
  uint64_t *keys = t->keys;
  size_t *vals = t->vals, old = t->cap;
  t->keys = bg_xcalloc(cap, sizeof *t->keys);
  t->vals = bg_xcalloc(cap, sizeof *t->vals);
  t->cap = cap;
  for (size_t i = 0; i < old; i++)
    if (vals[i])
      place(t, keys[i], vals[i]);
  free(keys);
  free(vals);
}

void bg_table_reserve(struct bg_table *t, size_t n) {
  size_t cap = t->cap ? t->cap : 16;
  while (n * 2 > cap)
    cap *= 2;
  if (cap != t->cap)
    rehash(t, cap);
}

void bg_table_add(struct bg_table *t, uint64_t key, size_t value) {
  if ((t->n + 1) * 2 > t->cap)
    bg_table_reserve(t, t->n + 1);
  place(t, key, value + 1);
  t->n++;
}

int bg_table_remove(struct bg_table *t, uint64_t key, size_t value) {
  if (!t->cap)
    return 0;
  size_t mask = t->cap - 1, i = bg_table_home(t, key);
  for (; t->vals[i]; i = (i + 1) & mask)
    if (t->keys[i] == key && t->vals[i] == value + 1)
      break;
  if (!t->vals[i])
    return 0;
  /* Backward shift: each later entry of the cluster whose home does not lie in (i, j]
   * moves into the hole, so every entry stays reachable from its home. */
  for (size_t j = (i + 1) & mask; t->vals[j]; j = (j + 1) & mask) {
    size_t h = bg_table_home(t, t->keys[j]);
    int between = i <= j ? (i < h && h <= j) : (i < h || h <= j);
    if (between)
      continue;
    t->keys[i] = t->keys[j];
    t->vals[i] = t->vals[j];
    i = j;
  }
  t->vals[i] = 0;
  t->n--;
  return 1;
}

void bg_table_clear(struct bg_table *t) {
  if (t->cap)
    memset(t->vals, 0, t->cap * sizeof *t->vals);
  t->n = 0;
}

void bg_table_free(struct bg_table *t) {
  free(t->keys);
  free(t->vals);
  memset(t, 0, sizeof *t);
}
