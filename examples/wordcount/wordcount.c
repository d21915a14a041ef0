/* wordcount: counts word frequencies in a generated text and prints the most frequent words.
 *
 * The demo project of benchgate's `make run`: small, deterministic and CPU-bound, so the same
 * binary and input execute the same instructions on every run and the demo's gate (on
 * instruction counts) sees only real changes. scripts/demo_history.sh commits variants of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_BITS 16

struct entry {
  char word[16];
  unsigned count;
};

static struct entry table[1u << TABLE_BITS];

static unsigned hash(const char *w) {
  unsigned h = 2166136261u;
  for (; *w; w++)
    h = (h ^ (unsigned char)*w) * 16777619u;
  return h;
}

static void count(const char *w) {
  unsigned mask = (1u << TABLE_BITS) - 1, i = hash(w) & mask;
  while (table[i].count && strcmp(table[i].word, w) != 0)
    i = (i + 1) & mask;
  if (!table[i].count)
    snprintf(table[i].word, sizeof table[i].word, "%s", w);
  table[i].count++;
}

static int by_count(const void *a, const void *b) {
  const struct entry *x = a, *y = b;
  if (x->count != y->count)
    return x->count < y->count ? 1 : -1;
  return strcmp(x->word, y->word);
}

int main(int argc, char **argv) {
  long words = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
  unsigned long long state = 42;
  char w[16];
  for (long n = 0; n < words; n++) {
    /* A skewed vocabulary: short words are common, as in text. */
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    int len = 1 + (int)((state >> 33) % 5) % (1 + (int)((state >> 20) % 5));
    for (int k = 0; k < len; k++) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      w[k] = (char)('a' + (state >> 40) % 6);
    }
    w[len] = '\0';
    count(w);
  }
  qsort(table, 1u << TABLE_BITS, sizeof *table, by_count);
  for (int i = 0; i < 5 && table[i].count; i++)
    printf("%s %u\n", table[i].word, table[i].count);
  return 0;
}
