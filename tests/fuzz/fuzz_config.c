/* fuzz_config.c: libFuzzer target for the YAML config parsers (benchgate.yml and agent.yml).
 *
 * The first byte picks the parser; any input must parse or fail with a message that names
 * the file and a line, never crash or leak.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  char err[1024] = "";
  if (data[0] & 1) {
    struct bg_agent_config *a = NULL;
    int rc = bg_agent_config_parse(text, len, "agent.yml", &a, err, sizeof err);
    if (rc != 0 && (a || !err[0] || strncmp(err, "agent.yml", 9) != 0))
      abort();
    bg_agent_config_free(a);
  } else {
    struct bg_config *c = NULL;
    int rc = bg_config_parse(text, len, "benchgate.yml", &c, err, sizeof err);
    if (rc != 0 && (c || !err[0] || strncmp(err, "benchgate.yml", 13) != 0))
      abort();
    bg_config_free(c);
  }
  return 0;
}
