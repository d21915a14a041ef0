/* adapter_native.c: benchgate's own run JSON (benchgate.run/v1) as a harness format.
 *
 * Accepts a whole run payload (as written by `benchgate run --output`) or any object with a
 * "results" array of result objects; only the results are taken, so a saved run can be fed
 * to `benchgate compare` or re-labelled for another commit.
 */
#include "adapter.h"

#include <cjson/cJSON.h>
#include <string.h>

static int detect(const char *text, size_t len) {
  size_t i = 0;
  while (i < len && strchr(" \t\r\n", text[i]))
    i++;
  if (i >= len || text[i] != '{')
    return 0;
  /* Cheap content checks: the schema name is decisive, a results array is likely. */
  if (strstr(text, "\"benchgate.run/v1\""))
    return 100;
  return strstr(text, "\"results\"") ? 30 : 0;
}

static int parse(const char *text, size_t len, struct bg_run *run, struct bg_ferr *e) {
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (!root) {
    bg_ferr_set(e, "", "malformed JSON near byte %zu",
                end && end >= text ? (size_t)(end - text) : (size_t)0);
    return BG_EPARSE;
  }
  int rc;
  const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
  if (!cJSON_IsObject(root) || !results)
    rc = bg_ferr_set(e, "results", "required (an object with a results array)");
  else
    rc = bg_run_results_from_cjson(run, results, "results", e);
  cJSON_Delete(root);
  return rc;
}

const struct bg_adapter bg_adapter_native = {"native", detect, parse};
