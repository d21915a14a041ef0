/* cmd_serve.h: `benchgate serve`, the job loop of a bench machine.
 *
 * The loop: deliver what the spool holds, lease a job of this testbed for one of agent.yml's
 * projects (a long poll), check its commit out in the work directory (workspace.h), read that
 * commit's benchgate.yml, build and run its suites (measure.h) while a thread heartbeats the
 * lease (lease.h), and upload the run naming the job, which completes it (deliver.h: spooled
 * when the server cannot take it). A job that cannot be run (no repository for its project,
 * a commit that is not there, a broken benchgate.yml, a failing build or suite, a refused
 * upload) is given up with the reason, the command's stderr tail included, and the loop goes
 * on to the next job. A server that is down or restarting is waited out with backoff.
 *
 * Signals: the first SIGTERM or SIGINT lets the current job finish (and stops a wait for one
 * at once); a second one stops the running command and gives the job back with a reason.
 * Either way the agent exits 0.
 */
#ifndef BG_CMD_SERVE_H
#define BG_CMD_SERVE_H

/* Runs the subcommand; argv[0] is "serve". Returns the exit code (BG_EXIT_*): 0 after a
 * signal (or, with --once, a job done), 2 for a bad agent.yml or a refused token, 3 with
 * --once when the job failed. */
int bg_cmd_serve_main(int argc, char **argv);

#endif
