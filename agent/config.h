/* config.h: the agent's configuration files, benchgate.yml and agent.yml
 * (every key: docs/config.md).
 *
 * Both are read with libyaml into plain structs. Every error names the file, the line and
 * the key ("benchgate.yml:12: suites[1].repetitions: must be an integer 1..100000"), and
 * unknown keys are errors so that a typo never passes silently. Thresholds are converted to
 * the cJSON shape of the run payload so that cmd_run can hand them over unchanged.
 */
#ifndef BG_CONFIG_H
#define BG_CONFIG_H

#include "error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define BG_CONFIG_MAX_BYTES (1u << 20) /* config files larger than this are refused */
#define BG_CONFIG_MAX_REPETITIONS 100000
#define BG_CONFIG_MAX_WARMUP 10000
#define BG_CONFIG_MAX_TIMEOUT 604800 /* one week, in seconds */
#define BG_CONFIG_MAX_CPUS 1024

/* One suite of benchgate.yml. A suite without `format` is a command suite timed by the agent
 * (one result per measure, one sample per repetition); with `format` the command's stdout (or
 * the `output` file) is parsed by that harness adapter. All strings are owned. */
struct bg_suite {
  char *name;
  char *format; /* NULL: command suite */
  char *command;
  char *output;     /* NULL: parse stdout (format suites only) */
  char *cwd;        /* NULL: the current directory */
  long repetitions; /* default 10 for command suites, 1 for format suites */
  long warmup;      /* default 1 for command suites, 0 for format suites */
  long timeout;     /* seconds per repetition, default 600 */
  char **measures;  /* default wall_time, cpu_time, max_rss */
  char *filter;     /* NULL: the format's own (suite_filter.h); "none" or with {regex} */
  size_t nmeasures;
  int line; /* line of the suite in the file, for messages */
};

struct bg_config {
  char *path; /* the file name used in messages */
  char *project;
  char *server;  /* NULL when absent */
  char *testbed; /* NULL when absent */
  int *cpus;     /* pinned CPUs; NULL/0 when unpinned */
  size_t ncpus;
  char *build;   /* NULL: nothing to build */
  int clean_env; /* 1: run benchmarks in a fixed, minimal environment */
  struct bg_suite *suites;
  size_t nsuites;
  cJSON *thresholds; /* owned, NULL when absent; {"default":{...},"rules":[...]} */
};

/* One entry of agent.yml's `projects` map. */
struct bg_agent_project {
  char *name;       /* project slug */
  char *repository; /* clone URL */
  char *config;     /* path of benchgate.yml inside the checkout, default "benchgate.yml" */
};

struct bg_agent_config {
  char *path;
  char *server;
  char *testbed;
  int *cpus;
  size_t ncpus;
  char *workdir;
  char *token_file; /* NULL when absent */
  char *name;       /* the agent's name on the server; NULL: the host name */
  struct bg_agent_project *projects;
  size_t nprojects;
};

/* Parses benchgate.yml text of `len` bytes; `name` is the file name used in messages. On
 * success returns BG_OK and a new config in *out (free with bg_config_free). Errors:
 * BG_EPARSE (YAML syntax) or BG_EINVAL (a rule broken) with "name:line: field: message" in
 * err (errlen bytes, may be 0). *out is NULL on error. */
int bg_config_parse(const char *text, size_t len, const char *name, struct bg_config **out,
                    char *err, size_t errlen);

/* Reads and parses the file at `path` as bg_config_parse; BG_EIO/BG_ETOOBIG when it cannot be
 * read (message names the file). */
int bg_config_load(const char *path, struct bg_config **out, char *err, size_t errlen);

/* Returns the suite called `name` or NULL. */
const struct bg_suite *bg_config_find_suite(const struct bg_config *c, const char *name);

/* Frees a config and everything it owns. Accepts NULL. */
void bg_config_free(struct bg_config *c);

/* agent.yml: as bg_config_parse / bg_config_load. Requires server, testbed and workdir. */
int bg_agent_config_parse(const char *text, size_t len, const char *name,
                          struct bg_agent_config **out, char *err, size_t errlen);
int bg_agent_config_load(const char *path, struct bg_agent_config **out, char *err, size_t errlen);
void bg_agent_config_free(struct bg_agent_config *c);

#endif
