/* The stream-workers model's public entry points beyond its model_ops_t:
 * the `concbench worker` subcommand, which runs one worker process of a
 * run that a `concbench run --model stream-workers` coordinator has set up
 * on a Redis — on this host or any other that reaches the same Redis,
 * PostgreSQL and mock API. The Redis layout it relies on is described in
 * layout.h. */
#ifndef CONCBENCH_STREAM_WORKERS_H
#define CONCBENCH_STREAM_WORKERS_H

/* `concbench worker --redis URL --pg DSN --api URL --run RUN_ID
 *  [--consumers K] [--db-conns D] [--batch-size B]`: argv holds the
 * arguments after "worker" (as compare_cmd and measure_cmd take theirs).
 * Joins the run's consumer group and works until the coordinator ends the
 * run (or SIGINT/SIGTERM). The run's parameters (seed, items,
 * transform_cost, timeouts, retries, the default K and D) come from the
 * run's config hash in Redis. Returns the exit status: 0 when the run
 * ended (or the worker was stopped and drained), 2 for bad usage or when
 * it could not work (one line on stderr says why). */
int stream_worker_cmd(int argc, char **argv);

#endif
