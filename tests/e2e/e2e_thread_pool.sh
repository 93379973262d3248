#!/usr/bin/env bash
# thread-pool end to end: 500 requests against the real mockapi and a
# private PostgreSQL, every row verified and the figures sane.
source "$(dirname "$0")/../lib/e2e_lib.sh"

out="$WORK/tp"
"$CONCBENCH" run --model thread-pool --requests 500 --concurrency 20 --latency-ms 10 \
  --out "$out" progress=0 >"$WORK/stdout" 2>"$WORK/stderr" || {
  cat "$WORK/stdout" "$WORK/stderr"
  fail "concbench run exited $?"
}
r="$out/results.json"
[ -f "$r" ] || { cat "$WORK/stderr"; fail "no results.json"; finish; }
check "schema version" '.schema_version == 2' "$r"
check "document complete" '.complete == true and .exit_status == 0' "$r"
check "one run" '(.runs | length) == 1' "$r"
check "model name" '.runs[0].model == "thread-pool"' "$r"
check "500 succeeded, none failed" '.runs[0].succeeded == 500 and .runs[0].failed == 0' "$r"
check "500 rows verified" '.runs[0].rows == 500 and .runs[0].verified == true' "$r"
check "no duplicates" '.runs[0].duplicates == 0' "$r"
check "every error class present and zero" \
  '[.runs[0].errors | (.http_429, .http_4xx, .http_5xx, .timeout, .connect, .reset, .bad_payload, .db)] | all(. == 0)' "$r"
check "wall time above the floor" '.runs[0].wall_s >= .runs[0].floor_s' "$r"
check "wall time sane" '.runs[0].wall_s < 30' "$r"
check "cpu measured" '(.runs[0].cpu_user_s + .runs[0].cpu_sys_s) > 0' "$r"
check "peak memory measured" '.runs[0].peak_mem_bytes > 1000000' "$r"
check "memory method named" '(.runs[0].memory_method | test("^(cgroup2 memory.peak|cgroup1 memory.max_usage_in_bytes|sampled PSS sum)"))' "$r"
check "CPU per request is the tree's CPU over N" \
  '(.runs[0].cpu_per_request_us - (.runs[0].cpu_user_s + .runs[0].cpu_sys_s) * 1e6 / 500 | fabs) < 0.01' "$r"
check "api latency at least the injected 10 ms" '.runs[0].api_ms.p50 >= 10 and .runs[0].api_ms.p50 < 1000' "$r"
check "percentiles ordered" '[.runs[0].wait_ms, .runs[0].api_ms, .runs[0].e2e_ms | (.p50 <= .p90 and .p90 <= .p99 and .p99 <= .p999 and .p999 <= .max)] | all' "$r"
check "mockapi served every request" '.runs[0].server.served == 500' "$r"
check "mockapi in-flight within C" '.runs[0].server.peak_inflight <= 20 and .runs[0].server.peak_inflight >= 2' "$r"
check "one DB connection per thread" '.runs[0].db_conns == 20' "$r"
check "client in-flight within C" '.runs[0].client_peak_inflight <= 20' "$r"
check "infra CPU measured" '.runs[0].infra_cpu_s.mockapi >= 0 and .runs[0].infra_cpu_s.postgres > 0' "$r"
check "no crash requested" '.runs[0].crash == null' "$r"
check "summary has medians" '.summary[0].model == "thread-pool" and (.summary[0].wall_s | has("median") and has("min") and has("max"))' "$r"
check "env recorded" '.env.cores >= 1 and (.env.postgres_version | length) > 0' "$r"
[ "$(wc -l <"$out/results.csv")" -eq 2 ] && echo "ok: results.csv has one run" || fail "results.csv rows"
grep -q '^thread-pool ' "$WORK/stdout" && echo "ok: table printed" || fail "table not printed"

# Crash injection does not apply to threads: recorded as not applicable.
out2="$WORK/tp-crash"
"$CONCBENCH" run --model thread-pool --requests 200 --concurrency 10 --latency-ms 5 \
  --crash-after 0.3 --out "$out2" progress=0 >/dev/null 2>"$WORK/stderr2" || fail "crash run exited non-zero"
check "crash not applicable, with a reason" \
  '.runs[0].crash.applicable == false and .runs[0].crash.killed == 0 and (.runs[0].crash.reason | length) > 10' "$out2/results.json"
check "crash run verified" '.runs[0].verified == true' "$out2/results.json"

# Baselines: --save-baseline writes the results; --baseline compares with
# one (a loose threshold, 200%, so machine noise cannot fail this test, and
# allow_invalid=1, so a busy machine cannot either: e2e_validity tests
# that), and a baseline of another workload is refused with exit 2.
out3="$WORK/tp-base"
"$CONCBENCH" run --model thread-pool --requests 200 --concurrency 10 --latency-ms 5 \
  --out "$out3" --save-baseline "$WORK/base.json" progress=0 >/dev/null 2>&1 || fail "save-baseline run failed"
cmp -s <(jq -S . "$out3/results.json") <(jq -S . "$WORK/base.json") && echo "ok: baseline saved" || fail "baseline differs from results.json"
set +e
"$CONCBENCH" run --model thread-pool --requests 200 --concurrency 10 --latency-ms 5 \
  --out "$WORK/tp-cmp" --baseline "$WORK/base.json" threshold=200% allow_invalid=1 progress=0 >"$WORK/cmp.out" 2>&1
rc=$?
"$CONCBENCH" run --model thread-pool --requests 300 --concurrency 10 --latency-ms 5 \
  --out "$WORK/tp-cmp2" --baseline "$WORK/base.json" allow_invalid=1 progress=0 >"$WORK/cmp2.out" 2>&1
rc2=$?
set -e
[ "$rc" -eq 0 ] && grep -q "Against the baseline" "$WORK/cmp.out" && echo "ok: compared with the baseline" \
  || fail "baseline comparison: exit $rc: $(tail -5 "$WORK/cmp.out")"
[ "$rc2" -eq 2 ] && grep -q "different workload" "$WORK/cmp2.out" && echo "ok: other workload refused" \
  || fail "other workload: exit $rc2: $(tail -3 "$WORK/cmp2.out")"
# The same gate closes on a real difference: against a baseline whose wall
# times are a tenth of these (ten times as fast, far beyond the 200%
# threshold and any machine noise), the run is a regression: exit 1.
jq '(.runs[].wall_s) |= (. / 10) | (.summary[].wall_s[]?) |= (if type == "number" then . / 10 else . end)' \
  "$WORK/base.json" >"$WORK/base-fast.json"
set +e
"$CONCBENCH" run --model thread-pool --requests 200 --concurrency 10 --latency-ms 5 \
  --out "$WORK/tp-cmp3" --baseline "$WORK/base-fast.json" threshold=200% allow_invalid=1 progress=0 >"$WORK/cmp3.out" 2>&1
rc3=$?
set -e
[ "$rc3" -eq 1 ] && grep -q "REGRESSION" "$WORK/cmp3.out" && echo "ok: a ten times faster baseline: exit 1" \
  || fail "ten times faster baseline: exit $rc3: $(tail -5 "$WORK/cmp3.out")"
finish
