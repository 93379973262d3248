#include "harness/report/report.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <uv.h>

#include "common/atomic_file.h"
#include "common/limits.h"
#include "common/redact.h"
#include "common/version.h"
#include "harness/report/noise.h"
#include "harness/report/verdict.h"
#include "harness/report/summary.h"

static json_t *num_or_null(double v)
{
    return v < 0 ? json_null() : json_real(v);
}

/* runs[].server: the mock API's own counters for the run, or null when
 * it did not report them. */
static json_t *report_server_json(const run_result_t *r)
{
    static const char *const keys[] = {"served", "throttled", "peak_inflight", "peak_connections"};
    json_t *server;
    if (!r->server)
        return json_null();
    server = json_object();
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        json_t *v = json_object_get(r->server, keys[k]);
        json_object_set(server, keys[k], v ? v : json_null());
    }
    json_object_set(server, "stats", r->server);
    return server;
}

/* runs[].stream.hosts: one object per external worker, as its reports
 * reached the coordinator. */
static json_t *report_stream_hosts_json(const run_result_t *r)
{
    json_t *a = json_array();
    for (int i = 0; i < r->n_externals; i++) {
        const outcome_external_t *e = &r->externals[i];
        const char *dash = strrchr(e->name, '-');
        double span = (double)(e->last_ns - e->first_ns) / 1e9;
        json_t *o = json_object();
        json_object_set_new(o, "worker", json_string(e->name));
        json_object_set_new(
            o, "host", json_stringn(e->name, dash ? (size_t)(dash - e->name) : strlen(e->name)));
        json_object_set_new(o, "committed", json_integer(e->committed));
        json_object_set_new(o, "failed", json_integer(e->failed));
        json_object_set_new(o, "span_s", json_real(span));
        json_object_set_new(o, "rows_per_s",
                            span > 0 ? json_real((double)e->committed / span) : json_null());
        json_object_set_new(o, "claimed", json_integer(e->claimed));
        json_object_set_new(o, "duplicates", json_integer(e->duplicates));
        json_array_append_new(a, o);
    }
    return a;
}

/* runs[].stream: the Redis stream's counters, null for a model without one. */
static json_t *report_stream_json(const run_result_t *r)
{
    json_t *st;
    if (!r->model->needs_redis)
        return json_null();
    st = json_object();
    json_object_set_new(st, "produced", json_integer(r->stream_produced));
    json_object_set_new(st, "acknowledged", json_integer(r->stream_acked));
    json_object_set_new(st, "redelivered", json_integer(r->redelivered));
    json_object_set_new(st, "max_pending", json_integer(r->stream_max_pending));
    json_object_set_new(st, "external", json_integer(r->stream_external));
    json_object_set_new(st, "hosts", report_stream_hosts_json(r));
    return st;
}

/* runs[].stages: a staged model's stages (width: what it may hold, peak:
 * the most it held) and queues (cap, peak); null for the other models. */
static json_t *report_stages_json(const run_result_t *r)
{
    static const char *const stage_names[STAGE__COUNT] = {"fetch", "transform", "write"};
    static const char *const queue_names[QUEUE__COUNT] = {"transform_queue", "write_queue"};
    json_t *st;
    if (!r->model->staged)
        return json_null();
    st = json_object();
    for (int i = 0; i < STAGE__COUNT; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "width", json_integer(r->stage_width[i]));
        json_object_set_new(o, "peak", json_integer(r->stage_peak[i]));
        json_object_set_new(st, stage_names[i], o);
    }
    for (int i = 0; i < QUEUE__COUNT; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "cap", json_integer(r->queue_cap[i]));
        json_object_set_new(o, "peak", json_integer(r->queue_peak[i]));
        json_object_set_new(st, queue_names[i], o);
    }
    json_object_set_new(st, "samples", json_integer(r->nstages));
    return st;
}

/* runs[].crash: what the injected worker crash did, null without one. */
static json_t *report_crash_json(const config_t *cfg, const run_result_t *r)
{
    json_t *c;
    if (cfg->crash_after <= 0)
        return json_null();
    c = json_object();
    json_object_set_new(c, "applicable", json_boolean(r->crash_applicable));
    json_object_set_new(c, "killed", json_integer(r->crash_killed));
    json_object_set_new(c, "requeued", json_integer(r->requeued));
    json_object_set_new(c, "redelivered", json_integer(r->redelivered));
    json_object_set_new(c, "reason",
                        r->crash_applicable ? json_null() : json_string(r->model->crash_na));
    return c;
}

/* runs[].rows_match (and verified, its older name): the run finished and
 * the table holds exactly the rows it reported, each right. */
static int report_rows_match(const run_result_t *r)
{
    return !r->verify_error && r->verify.rows_match && r->complete && !r->interrupted;
}

/* One runs[] element (docs/results.md). */
/* p50 .. max of one interval, in ms. */
static json_t *report_pcts_json(const double v[IV__N])
{
    json_t *o = json_object();
    for (int k = 0; k < IV__N; k++)
        json_object_set_new(o, intervals_pct_keys[k], json_real(v[k]));
    return o;
}

static json_t *report_run_json(const config_t *cfg, const run_result_t *r)
{
    json_t *o = json_object(), *errs = json_object();
    json_t *infra = json_object(), *ver = json_object();
    double floor_s = summary_floor_s(cfg);

    for (int c = 1; c < ERR__COUNT; c++)
        json_object_set_new(errs, err_class_name((err_class_t)c),
                            json_integer((json_int_t)r->errors[c]));
    json_object_set_new(infra, "mockapi", num_or_null(r->infra_cpu_s[0]));
    json_object_set_new(infra, "postgres", num_or_null(r->infra_cpu_s[1]));
    json_object_set_new(infra, "redis", num_or_null(r->infra_cpu_s[2]));

    json_object_set_new(o, "model", json_string(r->model->name));
    json_object_set_new(o, "repeat", json_integer(r->repeat));
    json_object_set_new(o, "ran", json_integer(r->ran));
    json_object_set_new(o, "run_id", json_string(r->run_id));
    json_object_set_new(o, "requests", json_integer(cfg->job.requests));
    json_object_set_new(o, "concurrency", json_integer(cfg->job.concurrency));
    json_object_set_new(o, "complete", json_boolean(r->complete && !r->interrupted && !r->stalled));
    json_object_set_new(o, "stalled", json_boolean(r->stalled));
    json_object_set_new(o, "model_exit_status", json_integer(r->exit_status));
    json_object_set_new(o, "succeeded", json_integer((json_int_t)r->succeeded));
    json_object_set_new(o, "failed", json_integer((json_int_t)r->failed));
    json_object_set_new(o, "errors", errs);
    json_object_set_new(o, "attempts", json_integer((json_int_t)r->attempts));
    json_object_set_new(o, "retried", json_integer((json_int_t)r->retried));
    json_object_set_new(o, "wall_s", json_real(r->wall_s));
    json_object_set_new(o, "floor_s", json_real(floor_s));
    json_object_set_new(o, "wall_over_floor",
                        floor_s > 0 ? json_real(r->wall_s / floor_s) : json_null());
    json_object_set_new(o, "cpu_user_s", json_real(r->cpu_user_s));
    json_object_set_new(o, "cpu_sys_s", json_real(r->cpu_sys_s));
    json_object_set_new(o, "cpu_per_request_us",
                        cfg->job.requests ? json_real(summary_cpu_per_request_us(cfg, r))
                                          : json_null());
    json_object_set_new(o, "peak_mem_bytes", json_integer((json_int_t)r->peak_mem_bytes));
    json_object_set_new(o, "memory_method",
                        json_string(mem_method_desc(r->mem_method, r->mem_sockets_counted)));
    json_object_set_new(o, "memory_sockets_counted", json_boolean(r->mem_sockets_counted));
    json_object_set_new(o, "peak_socket_bytes",
                        r->mem_method == MEM_CGROUP_V1 && r->mem_sockets_counted
                            ? json_integer((json_int_t)r->peak_sock_bytes)
                            : json_null());
    json_object_set_new(o, "peak_pss_sum_bytes",
                        r->peak_pss_bytes ? json_integer((json_int_t)r->peak_pss_bytes)
                                          : json_null());
    json_object_set_new(o, "peak_rss_sum_bytes", json_integer((json_int_t)r->peak_rss_sum_bytes));
    json_object_set_new(o, "harness_cpu_s", json_real(r->harness_cpu_s));
    json_object_set_new(o, "db_conns_server_peak",
                        r->db_conns_server_peak >= 0 ? json_integer(r->db_conns_server_peak)
                                                     : json_null());
    json_object_set_new(o, "processes_peak", json_integer(r->processes_peak));
    json_object_set_new(o, "threads_peak", json_integer(r->threads_peak));
    json_object_set_new(o, "wait_ms", report_pcts_json(r->iv.wait_ms));
    json_object_set_new(o, "api_ms", report_pcts_json(r->iv.api_ms));
    json_object_set_new(o, "e2e_ms", report_pcts_json(r->iv.e2e_ms));
    json_object_set_new(o, "latency_inconsistent", json_integer((json_int_t)r->iv.inconsistent));
    json_object_set_new(o, "rows", json_integer((json_int_t)r->verify.rows));
    json_object_set_new(o, "rows_match", json_boolean(report_rows_match(r)));
    json_object_set_new(o, "verified", json_boolean(report_rows_match(r)));
    json_object_set_new(o, "ok", json_boolean(r->ok));
    json_object_set_new(o, "valid", json_boolean(r->valid));
    json_object_set_new(o, "validity", validity_json(&r->validity));
    json_object_set_new(o, "duplicates", json_integer((json_int_t)r->verify.duplicates));
    json_object_set_new(ver, "wrong", json_integer((json_int_t)r->verify.wrong));
    json_object_set_new(ver, "missing", json_integer((json_int_t)r->verify.missing));
    json_object_set_new(ver, "unexpected", json_integer((json_int_t)r->verify.unexpected));
    json_object_set_new(ver, "problem",
                        r->verify_error              ? json_string(r->verify_err)
                        : r->verify.first_problem[0] ? json_string(r->verify.first_problem)
                                                     : json_null());
    json_object_set_new(o, "verify", ver);
    json_object_set_new(o, "db_conns", json_integer(r->db_conns));
    json_object_set_new(o, "client_peak_inflight", json_integer(r->client_peak_inflight));
    json_object_set_new(o, "ids_held_peak", json_integer((json_int_t)r->iv.held_peak));
    json_object_set_new(o, "workers_peak", json_integer(r->workers_peak));
    json_object_set_new(o, "server", report_server_json(r));
    json_object_set_new(o, "infra_cpu_s", infra);
    json_object_set_new(o, "stream", report_stream_json(r));
    json_object_set_new(o, "stages", report_stages_json(r));
    json_object_set_new(o, "crash", report_crash_json(cfg, r));
    return o;
}

static void read_first_line(const char *path, const char *prefix, char *out, size_t cap)
{
    FILE *f = fopen(path, "re");
    char line[512];
    out[0] = '\0';
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (!prefix || strncmp(line, prefix, strlen(prefix)) == 0) {
            char *p = prefix ? strchr(line, ':') : line;
            p = p ? p + (prefix ? 1 : 0) : line;
            while (*p == ' ' || *p == '\t')
                p++;
            p[strcspn(p, "\n")] = '\0';
            snprintf(out, cap, "%s", p);
            break;
        }
    }
    fclose(f);
}

/* Which cgroup hierarchies the machine mounts: "v2" (unified only), "v1",
 * "hybrid" (v1 controllers plus a unified tree), or "none". */
static const char *cgroup_layout(void)
{
    int v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ||
             access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0;
    int v1 = access("/sys/fs/cgroup/memory", F_OK) == 0;
    return v1 && v2 ? "hybrid" : v2 ? "v2" : v1 ? "v1" : "none";
}

static json_t *report_env_json(const report_env_t *e)
{
    json_t *o = json_object();
    char buf[512];
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    read_first_line("/proc/cpuinfo", "model name", buf, sizeof buf);
    json_object_set_new(o, "cpu_model", json_string(buf));
    json_object_set_new(o, "cores", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(o, "memory_bytes", json_integer((json_int_t)pages * psz));
    read_first_line("/proc/sys/kernel/osrelease", NULL, buf, sizeof buf);
    json_object_set_new(o, "kernel", json_string(buf));
    json_object_set_new(o, "cgroup", json_string(cgroup_layout()));
    json_object_set_new(o, "compiler", json_string(__VERSION__));
    json_object_set_new(o, "build_type", json_string(CONCBENCH_BUILD_TYPE));
    json_object_set_new(o, "concbench_version", json_string(cb_version));
    json_object_set_new(o, "git_commit", json_string(cb_git_commit));
    json_object_set_new(o, "postgres_version", json_string(e->pg_version));
    snprintf(buf, sizeof buf, "%d.%d", PQlibVersion() / 10000, PQlibVersion() % 10000);
    json_object_set_new(o, "libpq", json_string(buf));
    json_object_set_new(o, "libuv", json_string(uv_version_string()));
    json_object_set_new(o, "libcurl", json_string(curl_version_info(CURLVERSION_NOW)->version));
    json_object_set_new(o, "jansson", json_string(JANSSON_VERSION));
    snprintf(buf, sizeof buf, "%d.%d.%d", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
    json_object_set_new(o, "hiredis", json_string(buf));
    json_object_set_new(o, "redis_version",
                        e->redis_version[0] ? json_string(e->redis_version) : json_null());
    return o;
}

json_t *report_config_json(const config_t *cfg)
{
    json_t *conf = json_object();
    char buf[512];
    for (const knob_t *k = config_knobs; k->name; k++) {
        config_format(cfg, k, buf, sizeof buf);
        if (k->flags & KNOB_SECRET) {
            char shown[sizeof buf];
            redact_secrets(buf, shown, sizeof shown);
            json_object_set_new(conf, k->name, json_string(shown));
        } else if (k->type == KNOB_STR || k->type == KNOB_CHOICE)
            json_object_set_new(conf, k->name, json_string(buf));
        else if (k->type == KNOB_DOUBLE)
            json_object_set_new(conf, k->name, json_real(strtod(buf, NULL)));
        else
            json_object_set_new(conf, k->name, json_integer(strtoll(buf, NULL, 10)));
    }
    return conf;
}

/* scenario_header: the scenario file's question and expectation, null
 * without a header. */
static json_t *report_scenario_header_json(const config_t *cfg)
{
    json_t *h;
    if (!cfg->scenario_question && !cfg->scenario_expect)
        return json_null();
    h = json_object();
    json_object_set_new(h, "question",
                        cfg->scenario_question ? json_string(cfg->scenario_question) : json_null());
    json_object_set_new(h, "expect",
                        cfg->scenario_expect ? json_string(cfg->scenario_expect) : json_null());
    return h;
}

json_t *report_results_json(const config_t *cfg, const report_env_t *env, run_result_t *runs,
                            int nruns, int complete, int exit_status)
{
    json_t *doc = json_object(), *conf = report_config_json(cfg), *arr = json_array();
    int nmodels;
    summary_model_t *models = summary_models(cfg, runs, nruns, &nmodels);
    for (int i = 0; i < nruns; i++)
        if (runs[i].repeat >= 0)
            json_array_append_new(arr, report_run_json(cfg, &runs[i]));
    json_object_set_new(doc, "schema_version", json_integer(RESULTS_SCHEMA_VERSION));
    json_object_set_new(doc, "tool", json_string("concbench"));
    json_object_set_new(doc, "started_at", json_string(env->started_at));
    json_object_set_new(doc, "finished_at", json_string(env->finished_at));
    json_object_set_new(doc, "complete", json_boolean(complete));
    json_object_set_new(doc, "exit_status", json_integer(exit_status));
    json_object_set_new(doc, "config", conf);
    json_object_set_new(doc, "scenario_header", report_scenario_header_json(cfg));
    json_object_set_new(doc, "env", report_env_json(env));
    json_object_set_new(doc, "runs", arr);
    json_object_set_new(doc, "summary", summary_models_json(models, nmodels));
    free(models);
    return doc;
}

int report_write_json(const char *dir, const char *name, json_t *doc, char *err, size_t errlen)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    int rc;
    if (!text) {
        snprintf(err, errlen, "out of memory serialising %s", name);
        return -1;
    }
    rc = atomic_file_write(dir, name, text, strlen(text), err, errlen);
    free(text);
    return rc;
}

/* results.csv: one line per measured run. */
static int report_write_runs_csv(const char *dir, const config_t *cfg, run_result_t *runs,
                                 int nruns, char *err, size_t errlen)
{
    atomic_text_t t;
    if (atomic_text_open(&t, err, errlen))
        return -1;
    fprintf(t.f, "model,repeat,requests,concurrency,succeeded,failed,wall_s,floor_s,"
                 "wall_over_floor,cpu_user_s,cpu_sys_s,cpu_per_request_us,peak_mem_bytes,"
                 "memory_method,peak_pss_sum_bytes,peak_rss_sum_bytes,api_p50_ms,api_p90_ms,"
                 "api_p99_ms,api_p999_ms,api_max_ms,wait_p50_ms,wait_p99_ms,e2e_p50_ms,"
                 "e2e_p99_ms,rows,verified,duplicates,db_conns,client_peak_inflight,ok,valid\n");
    for (int i = 0; i < nruns; i++) {
        run_result_t *r = &runs[i];
        if (r->repeat < 0)
            continue;
        double floor_s = summary_floor_s(cfg);
        fprintf(t.f,
                "%s,%d,%u,%u,%llu,%llu,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,%llu,\"%s\",%llu,%llu,%.3f,"
                "%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%llu,%s,%llu,%lld,%lld,%s,%s\n",
                r->model->name, r->repeat, cfg->job.requests, cfg->job.concurrency,
                (unsigned long long)r->succeeded, (unsigned long long)r->failed, r->wall_s, floor_s,
                floor_s > 0 ? r->wall_s / floor_s : 0, r->cpu_user_s, r->cpu_sys_s,
                cfg->job.requests ? summary_cpu_per_request_us(cfg, r) : 0,
                (unsigned long long)r->peak_mem_bytes,
                mem_method_desc(r->mem_method, r->mem_sockets_counted),
                (unsigned long long)r->peak_pss_bytes, (unsigned long long)r->peak_rss_sum_bytes,
                r->iv.api_ms[IV_P50], r->iv.api_ms[IV_P90], r->iv.api_ms[IV_P99],
                r->iv.api_ms[IV_P999], r->iv.api_ms[IV_MAX], r->iv.wait_ms[IV_P50],
                r->iv.wait_ms[IV_P99], r->iv.e2e_ms[IV_P50], r->iv.e2e_ms[IV_P99],
                (unsigned long long)r->verify.rows, report_rows_match(r) ? "true" : "false",
                (unsigned long long)r->verify.duplicates, (long long)r->db_conns,
                (long long)r->client_peak_inflight, r->ok ? "true" : "false",
                r->valid ? "true" : "false");
    }
    return atomic_text_commit(&t, dir, "results.csv", err, errlen);
}

/* timeline-MODEL-R.csv (completions and errors per window) and
 * latency-MODEL-R.csv (every succeeded request's api time, ascending, with
 * its cumulative fraction: the API latency CDF without re-binning; and the
 * wait time of the same rank, so the wait CDF too). */
static int report_write_run_csvs(const char *dir, const run_result_t *r, char *err, size_t errlen)
{
    atomic_text_t t;
    char name[160];

    if (atomic_text_open(&t, err, errlen))
        return -1;
    fprintf(t.f, "t_s,completed,errors\n");
    for (int w = 0; w < r->timeline_len; w++)
        fprintf(t.f, "%.1f,%u,%u\n", (w + 1) * 0.1, r->timeline_done[w], r->timeline_err[w]);
    snprintf(name, sizeof name, "timeline-%s-%d.csv", r->model->name, r->repeat);
    if (atomic_text_commit(&t, dir, name, err, errlen) || atomic_text_open(&t, err, errlen))
        return -1;
    fprintf(t.f, "api_ms,cdf,wait_ms\n");
    for (uint64_t k = 0; r->iv.api_sorted && r->iv.wait_sorted && k < r->iv.n; k++)
        fprintf(t.f, "%.3f,%.6f,%.3f\n", r->iv.api_sorted[k], (double)(k + 1) / (double)r->iv.n,
                r->iv.wait_sorted[k]);
    snprintf(name, sizeof name, "latency-%s-%d.csv", r->model->name, r->repeat);
    if (atomic_text_commit(&t, dir, name, err, errlen) || atomic_text_open(&t, err, errlen))
        return -1;
    /* memory-MODEL-R.csv: the most memory sampled in each window (windows
     * without a sample are left out). */
    fprintf(t.f, "t_s,window_s,mem_bytes\n");
    for (int w = 0; w < r->mem_timeline_len; w++)
        if (r->mem_timeline[w])
            fprintf(t.f, "%.3f,%.3f,%llu\n", (double)(w + 1) * (double)r->mem_window_ns / 1e9,
                    (double)r->mem_window_ns / 1e9, (unsigned long long)r->mem_timeline[w]);
    snprintf(name, sizeof name, "memory-%s-%d.csv", r->model->name, r->repeat);
    if (atomic_text_commit(&t, dir, name, err, errlen))
        return -1;
    if (!r->model->staged)
        return 0;
    /* stages-MODEL-R.csv: each sample of the stages and queues, with the
     * bounds beside them, so a full stage or queue reads at a glance. */
    if (atomic_text_open(&t, err, errlen))
        return -1;
    fprintf(t.f, "t_s,fetch_inflight,fetch_width,transform_busy,transform_width,transform_queue,"
                 "transform_queue_cap,write_busy,write_width,write_queue,write_queue_cap\n");
    for (int k = 0; k < r->nstages; k++) {
        const stage_sample_t *x = &r->stages[k];
        fprintf(t.f, "%.3f,%lld,%d,%lld,%d,%lld,%d,%lld,%d,%lld,%d\n", (double)x->t_ns / 1e9,
                (long long)x->busy[STAGE_FETCH], r->stage_width[STAGE_FETCH],
                (long long)x->busy[STAGE_TRANSFORM], r->stage_width[STAGE_TRANSFORM],
                (long long)x->queued[QUEUE_TRANSFORM], r->queue_cap[QUEUE_TRANSFORM],
                (long long)x->busy[STAGE_WRITE], r->stage_width[STAGE_WRITE],
                (long long)x->queued[QUEUE_WRITE], r->queue_cap[QUEUE_WRITE]);
    }
    snprintf(name, sizeof name, "stages-%s-%d.csv", r->model->name, r->repeat);
    return atomic_text_commit(&t, dir, name, err, errlen);
}

int report_write_csv(const char *dir, const config_t *cfg, run_result_t *runs, int nruns, char *err,
                     size_t errlen)
{
    if (report_write_runs_csv(dir, cfg, runs, nruns, err, errlen))
        return -1;
    for (int i = 0; i < nruns; i++)
        if (runs[i].repeat >= 0 && report_write_run_csvs(dir, &runs[i], err, errlen))
            return -1;
    return 0;
}

void report_remove_csv(const char *dir, run_result_t *runs, int nruns)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    unlink(path);
    for (int i = 0; i < nruns; i++) {
        if (runs[i].repeat < 0)
            continue;
        snprintf(path, sizeof path, "%s/timeline-%s-%d.csv", dir, runs[i].model->name,
                 runs[i].repeat);
        unlink(path);
        snprintf(path, sizeof path, "%s/latency-%s-%d.csv", dir, runs[i].model->name,
                 runs[i].repeat);
        unlink(path);
        snprintf(path, sizeof path, "%s/stages-%s-%d.csv", dir, runs[i].model->name,
                 runs[i].repeat);
        unlink(path);
        snprintf(path, sizeof path, "%s/memory-%s-%d.csv", dir, runs[i].model->name,
                 runs[i].repeat);
        unlink(path);
    }
}

/* The names of every file `concbench run` and `concbench plot` write into
 * a results folder (a sweep's point-* folders hold the same). */
static const char *const report_owned_files[] = {
    "results.json",   "results.csv",   "summary.csv",  "summary.md",
    "report.html",    "bars.dat",      "cdf.dat",      "throughput.dat",
    "plotvars.gp",    "common.gp",     "sweep.csv",    "sweep.dat",
    "sweepvars.gp",   "chart-*.gp",    "chart-*.png",  "chart-*.svg",
    "timeline-*.csv", "latency-*.csv", "memory-*.csv", "memtime.dat",
    "errors.dat",     "stages-*.csv",  "stages.dat",   NULL};

static int report_owned(const char *name)
{
    for (int i = 0; report_owned_files[i]; i++)
        if (fnmatch(report_owned_files[i], name, FNM_PERIOD) == 0)
            return 1;
    return 0;
}

/* Removes the files report_owned names from dir (and from its point-*
 * folders, which are then removed when empty); depth 1 for a point. */
static int report_clear_in(const char *dir, int depth)
{
    char path[PATH_MAX];
    struct dirent *de;
    struct stat st;
    int n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    while ((de = readdir(d)) != NULL) {
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path ||
            lstat(path, &st))
            continue;
        if (S_ISREG(st.st_mode) && report_owned(de->d_name)) {
            n += unlink(path) == 0;
        } else if (S_ISDIR(st.st_mode) && depth == 0 &&
                   fnmatch("point-*", de->d_name, FNM_PERIOD) == 0) {
            n += report_clear_in(path, 1);
            rmdir(path); /* kept when it holds something of the user's */
        }
    }
    closedir(d);
    return n;
}

int report_clear_dir(const char *dir)
{
    return report_clear_in(dir, 0);
}

/* The table's columns: each the median of one summary figure over a
 * model's measured runs, times a scale, printed in a width with a
 * precision, its star judged by one kind of noise (noise.h). Latencies in
 * ms; peak memory in MiB. */
enum {
    T_WALL,
    T_WALL_FLOOR,
    T_CPU_REQ,
    T_MEM,
    T_API_P50,
    T_API_P99,
    T_WAIT_P50,
    T_WAIT_P99,
    T_ERR,
    T__N
};

static const struct {
    const char *head;
    int width, prec, fig;
    double scale;
    noise_figure_t noise;
} table_col[T__N] = {
    [T_WALL] = {"wall s", 8, 2, SUMMARY_WALL, 1, NOISE_WALL},
    [T_WALL_FLOOR] = {"wall/floor", 10, 2, SUMMARY_WALL_FLOOR, 1, NOISE_WALL},
    [T_CPU_REQ] = {"cpu \u00b5s/req", 10, 0, SUMMARY_CPU_REQ, 1, NOISE_CPU},
    [T_MEM] = {"peak MiB", 9, 1, SUMMARY_MEM, 1 / 1048576.0, NOISE_MEM},
    [T_API_P50] = {"api p50", 8, 1, SUMMARY_API_P50, 1, NOISE_LAT_MID},
    [T_API_P99] = {"api p99", 8, 1, SUMMARY_API_P99, 1, NOISE_LAT_TAIL},
    [T_WAIT_P50] = {"wait p50", 9, 1, SUMMARY_WAIT_P50, 1, NOISE_LAT_MID},
    [T_WAIT_P99] = {"wait p99", 9, 1, SUMMARY_WAIT_P99, 1, NOISE_LAT_TAIL},
    [T_ERR] = {"errors %", 9, 2, SUMMARY_ERROR_RATE, 100, NOISE_COUNT},
};

/* Columns a text takes on a terminal: UTF-8 continuation bytes take none. */
static int report_text_columns(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* One cell: prefix, the value at the column's precision, suffix,
 * right-aligned in the column's width; the prefix may be one two-byte
 * character ("±"), which takes one column. */
static void report_table_cell(FILE *f, int k, const char *prefix, double v, const char *suffix)
{
    char text[64];
    int len = snprintf(text, sizeof text, "%s%.*f%s", prefix, table_col[k].prec, v, suffix);
    if (prefix[0] & 0x80)
        len--;
    fprintf(f, " %*s%s", table_col[k].width > len ? table_col[k].width - len : 0, "", text);
}

void report_print_table(FILE *f, const config_t *cfg, const run_result_t *runs, int nruns)
{
    int nm, star[T__N], *eligible, any_noisy = 0, any_na = 0;
    summary_model_t *m = summary_models(cfg, runs, nruns, &nm);
    const summary_spread_t **col = calloc((size_t)nm + 1, sizeof *col);
    double floor_s = summary_floor_s(cfg), max_err = cfg->max_error_rate;

    eligible = calloc((size_t)nm + 1, sizeof *eligible);
    if (!col || !eligible)
        nm = 0;
    for (int i = 0; i < nm; i++) {
        eligible[i] = verdict_eligible(&m[i]) && verdict_faced(&m[i]);
        any_na |= !verdict_faced(&m[i]);
        any_noisy |= m[i].noisy;
    }
    /* A column's star: the lowest median among the models that may win
     * one (a run not ok cannot win anything, and neither can a model with
     * a run where nothing succeeded: its latencies are 0, not fast), when
     * it stands out from every other beyond the noise (noise.h). */
    for (int k = 0; k < T__N; k++) {
        for (int i = 0; i < nm; i++)
            col[i] = &m[i].fig[table_col[k].fig];
        star[k] = noise_star(col, eligible, nm, table_col[k].noise);
    }
    fprintf(f,
            "\n%u requests, concurrency %u, API latency %g ms: floor %.2f s (ceil(N/C) x latency)",
            cfg->job.requests, cfg->job.concurrency, cfg->mock.latency_ms, floor_s);
    if (cfg->repeat > 1)
        fprintf(f, "; medians of %d runs, \u00b1 their median absolute deviation below\n",
                cfg->repeat);
    else
        fprintf(f, "; single run: no spread measured\n");
    fprintf(f, "%-16s %-10s", "model", "ok");
    for (int k = 0; k < T__N; k++)
        fprintf(f, " %*s%s", table_col[k].width - report_text_columns(table_col[k].head), "",
                table_col[k].head);
    fprintf(f, " %5s\n", "runs");
    for (int i = 0; i < nm; i++) {
        fprintf(f, "%-16s %-10s", m[i].name, m[i].ok ? "ok" : "NOT OK <<<");
        for (int k = 0; k < T__N; k++)
            report_table_cell(f, k, "", m[i].fig[table_col[k].fig].median * table_col[k].scale,
                              star[k] == i ? "*" : " ");
        fprintf(f, " %5d%s%s\n", m[i].runs, m[i].noisy ? "  noisy" : "",
                m[i].invalid_runs ? "  INVALID" : "");
        if (m[i].runs < 2)
            continue;
        fprintf(f, "%-16s %-10s", "", "");
        for (int k = 0; k < T__N; k++)
            report_table_cell(f, k, "\u00b1", m[i].fig[table_col[k].fig].mad * table_col[k].scale,
                              " ");
        fprintf(f, "\n");
    }
    fprintf(f,
            "api: request on the wire -> response, ms; wait: id taken -> request on the wire, "
            "ms (docs/results.md); peak MiB: %s\n",
            nruns > 0 ? mem_method_desc(runs[0].mem_method, runs[0].mem_sockets_counted) : "-");
    if (nm > 1) {
        fprintf(f, "* the best of the column beyond the noise: the lowest median among ok models "
                   "with successes in every run, its runs' range clear of every other's\n");
        if (cfg->repeat < NOISE_MEASURED_RUNS)
            fprintf(f,
                    "  (with fewer than %d runs, a range of at least the minimum noise: wall "
                    "\u00b1%.0f%%, cpu \u00b1%.0f%%, memory \u00b1%.0f%%, p50 \u00b1%.0f%%, "
                    "p99 \u00b1%.0f%%; docs/results.md)\n",
                    NOISE_MEASURED_RUNS, 100 * noise_min_rel(NOISE_WALL),
                    100 * noise_min_rel(NOISE_CPU), 100 * noise_min_rel(NOISE_MEM),
                    100 * noise_min_rel(NOISE_LAT_MID), 100 * noise_min_rel(NOISE_LAT_TAIL));
    }
    if (any_na)
        fprintf(f, "  (a model the crash does not apply to ran without the fault: no star, not "
                   "compared)\n");
    if (any_noisy)
        fprintf(f,
                "noisy: the model's wall times spread more than %.2fx (max/min) or their MAD "
                "exceeds %.0f%% of the median: compare its figures with care\n",
                LIMIT_NOISY_MAX_OVER_MIN, 100 * LIMIT_NOISY_MAD_OVER_MEDIAN);
    for (int i = 0; i < nm; i++) {
        if (!m[i].invalid_runs)
            continue;
        fprintf(f, "INVALID: %s: %d of %d runs not a valid measurement (", m[i].name,
                m[i].invalid_runs, m[i].runs);
        for (unsigned bit = 1, n = 0; bit <= VALIDITY_LAST; bit <<= 1)
            if (m[i].invalid_reasons & bit)
                fprintf(f, "%s%s", n++ ? ", " : "", validity_reason_name(bit));
        fprintf(f, "): see the warnings above and runs[].validity\n");
    }
    if (max_err > 0)
        fprintf(f, "ok: rows match and at most %g%% of requests failed (max_error_rate)\n",
                100 * max_err);
    free(m);
    free(col);
    free(eligible);
}
