/* touch_mem: a test program whose peak resident memory is known: it writes one byte in every
 * page of MB mebibytes and exits. test_runner compares its max_rss as the runner and as GNU
 * time measure it.
 *
 * usage: touch_mem MB */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  char *end;
  long mb = argc == 2 ? strtol(argv[1], &end, 10) : -1;
  if (mb < 0 || *end) {
    fputs("usage: touch_mem MB\n", stderr);
    return 2;
  }
  size_t n = (size_t)mb << 20;
  volatile char *p = malloc(n ? n : 1);
  if (!p) {
    fputs("touch_mem: out of memory\n", stderr);
    return 1;
  }
  for (size_t i = 0; i < n; i += 4096)
    p[i] = 1;
  return 0;
}
