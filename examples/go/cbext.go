// What both Go models share: the job from the environment, the report
// (protocol version 1 of docs/external-models.md), the transform and the
// retry policy of docs/workload.md, the fetch and the batched upsert.
// Standard library, github.com/lib/pq (Debian: golang-github-lib-pq-dev).
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/lib/pq"
)

const backoffMaxMs = 5000

// The upsert of docs/workload.md, "The row": $1 the run id, $2..$7 one
// array per column.
const upsertSQL = "INSERT INTO concbench_orders AS o" +
	" (run_id, id, customer, currency, item_count, total_cents, digest)" +
	" SELECT $1, u.id, u.customer, u.currency, u.item_count, u.total_cents, u.digest" +
	" FROM unnest($2::bigint[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::text[])" +
	" AS u(id, customer, currency, item_count, total_cents, digest)" +
	" ON CONFLICT (run_id, id) DO UPDATE SET customer = EXCLUDED.customer," +
	" currency = EXCLUDED.currency, item_count = EXCLUDED.item_count," +
	" total_cents = EXCLUDED.total_cents, digest = EXCLUDED.digest," +
	" deliveries = o.deliveries + 1, written_at = now()"

// Job is the job, from the CONCBENCH_* environment the harness sets.
type Job struct {
	APIURL, PgDSN, RunID, RedisURL                  string
	Requests, Concurrency, TransformCost, BatchSize int
	TimeoutMs, Retries, BackoffMs, Workers, DBConns int
	Procs, Consumers, ClaimIdleMs                   int
	Seed                                            uint64
}

func fatal(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	os.Exit(2)
}

func envNum(key string) int {
	v, err := strconv.Atoi(os.Getenv("CONCBENCH_" + key))
	if err != nil {
		fatal("CONCBENCH_%s is not a number: %v", key, err)
	}
	return v
}

func loadJob() *Job {
	if os.Getenv("CONCBENCH_PROTOCOL") != "1" {
		fatal("not started by concbench (CONCBENCH_PROTOCOL is not 1)")
	}
	seed, err := strconv.ParseUint(os.Getenv("CONCBENCH_SEED"), 10, 64)
	if err != nil {
		fatal("CONCBENCH_SEED is not a number: %v", err)
	}
	return &Job{
		APIURL: os.Getenv("CONCBENCH_API_URL"), PgDSN: os.Getenv("CONCBENCH_PG_DSN"),
		RunID: os.Getenv("CONCBENCH_RUN_ID"), Requests: envNum("REQUESTS"),
		Concurrency: envNum("CONCURRENCY"), TransformCost: envNum("TRANSFORM_COST"),
		BatchSize: envNum("BATCH_SIZE"), TimeoutMs: envNum("TIMEOUT_MS"),
		Retries: envNum("RETRIES"), BackoffMs: envNum("BACKOFF_MS"),
		Workers: envNum("WORKERS"), DBConns: envNum("DB_CONNS"), Seed: seed,
		RedisURL: os.Getenv("CONCBENCH_REDIS_URL"), Procs: envNum("PROCS"),
		Consumers: envNum("CONSUMERS"), ClaimIdleMs: envNum("CLAIM_IDLE_MS"),
	}
}

// Report writes the report: one Write (one write(2), shorter than
// PIPE_BUF) per line, so lines from goroutines never interleave; each with
// the CLOCK_MONOTONIC time it happened at.
type Report struct {
	f     *os.File
	mono0 int64     // CLOCK_MONOTONIC when ref was read
	ref   time.Time // carries Go's monotonic reading
}

// newReport opens the report; header: write the version line (not again
// in a worker process reporting on the same descriptor).
func newReport(header bool) *Report {
	var ts syscall.Timespec
	const clockMonotonic = 1
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic,
		uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		fatal("clock_gettime: %v", e)
	}
	r := &Report{f: os.NewFile(uintptr(envNum("REPORT_FD")), "report"), ref: time.Now()}
	r.mono0 = ts.Nano()
	if header {
		r.line("concbench-external 1")
	}
	return r
}

// now is CLOCK_MONOTONIC in ns: Go's monotonic clock since ref, which is
// CLOCK_MONOTONIC too, without a system call per event.
func (r *Report) now() int64 { return r.mono0 + time.Since(r.ref).Nanoseconds() }

func (r *Report) line(s string) {
	if _, err := r.f.Write([]byte(s + "\n")); err != nil {
		fatal("report: %v", err)
	}
}

func (r *Report) ev(verb string, fields ...interface{}) {
	s := fmt.Sprintf("%s %d", verb, r.now())
	for _, f := range fields {
		s += fmt.Sprintf(" %v", f)
	}
	r.line(s)
}

func mix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// backoff is the wait before attempt (>= 2) of id i.
func backoff(job *Job, i int, attempt int, retryAfterMs int64) time.Duration {
	d := int64(job.BackoffMs)
	if d < 1 {
		d = 1
	}
	for k := 2; k < attempt && d < backoffMaxMs; k++ {
		d *= 2
	}
	if d > backoffMaxMs {
		d = backoffMaxMs
	}
	r := mix64(job.Seed ^ mix64(uint64(i)*131+uint64(attempt)))
	d = d/2 + int64(r%uint64(d/2+1))
	if retryAfterMs > d {
		d = retryAfterMs
	}
	return time.Duration(d) * time.Millisecond
}

// Row is one transformed order.
type Row struct {
	ID                 int64
	Customer, Currency string
	ItemCount          int64
	TotalCents         int64
	Digest             string
	Tag                string // the stream entry it came from (streams)
}

var errBadPayload = errors.New("bad payload")

var intLiteral = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// jsonInt is a JSON integer literal (not 1.0, not true), as big as it is.
func jsonInt(raw json.RawMessage) (*big.Int, bool) {
	s := string(bytes.TrimSpace(raw))
	if !intLiteral.MatchString(s) {
		return nil, false
	}
	return new(big.Int).SetString(s, 10)
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

var int64Max = big.NewInt(1<<63 - 1)

func tooBig(v *big.Int) bool { return new(big.Int).Abs(v).Cmp(int64Max) > 0 }

// transform is docs/workload.md, "The transform".
func transform(body []byte, i int, cost int) (Row, error) {
	var o map[string]json.RawMessage
	if json.Unmarshal(body, &o) != nil {
		return Row{}, errBadPayload
	}
	id, ok := jsonInt(o["id"])
	if !ok || !id.IsInt64() || id.Int64() != int64(i) {
		return Row{}, errBadPayload
	}
	cust, ok1 := jsonString(o["customer"])
	cur, ok2 := jsonString(o["currency"])
	if !ok1 || !ok2 || len(cust) == 0 || len(cust) > 15 || len(cur) == 0 || len(cur) > 3 {
		return Row{}, errBadPayload
	}
	var items []json.RawMessage
	if len(o["items"]) == 0 || o["items"][0] != '[' || json.Unmarshal(o["items"], &items) != nil ||
		len(items) == 0 {
		return Row{}, errBadPayload
	}
	var canon bytes.Buffer
	fmt.Fprintf(&canon, "%d|%s|%s|", i, cust, cur)
	total := new(big.Int)
	for _, raw := range items {
		var it map[string]json.RawMessage
		if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &it) != nil {
			return Row{}, errBadPayload
		}
		sku, ok := jsonString(it["sku"])
		qty, ok1 := jsonInt(it["qty"])
		price, ok2 := jsonInt(it["price_cents"])
		if !ok || !ok1 || !ok2 {
			return Row{}, errBadPayload
		}
		p := new(big.Int).Mul(qty, price)
		if tooBig(p) || tooBig(new(big.Int).Add(total, p)) {
			return Row{}, errBadPayload
		}
		total.Add(total, p)
		if len(sku) > 20 {
			sku = sku[:20]
		}
		fmt.Fprintf(&canon, "%s:%s:%s;", sku, qty, price)
	}
	c := canon.Bytes()
	d := sha256.Sum256(c)
	for k := 1; k < cost; k++ {
		h := sha256.New()
		h.Write(d[:])
		h.Write(c)
		h.Sum(d[:0])
	}
	return Row{int64(i), cust, cur, int64(len(items)), total.Int64(), hex.EncodeToString(d[:]), ""}, nil
}

func classifyStatus(status int) string {
	switch {
	case status == 429:
		return "http_429"
	case status >= 500 && status < 600:
		return "http_5xx"
	case status >= 400 && status < 500:
		return "http_4xx"
	}
	return "bad_payload"
}

func classifyErr(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connect"
	}
	return "reset"
}

// newClient is an HTTP/1.1 keep-alive client holding at most maxConns
// connections (0: no limit) and keeping as many idle: the default
// transport keeps 2 idle per host and would close nearly every other
// connection after its response.
func newClient(job *Job, maxConns int) *http.Client {
	idle := maxConns
	if idle == 0 {
		idle = job.Requests
	}
	return &http.Client{
		Timeout: time.Duration(job.TimeoutMs) * time.Millisecond,
		Transport: &http.Transport{MaxConnsPerHost: maxConns, MaxIdleConns: idle,
			MaxIdleConnsPerHost: idle, DisableCompression: true},
	}
}

// attempt is one GET: status (0 without a response), body, Retry-After in
// ms, and the error class of a failed exchange.
//
// net/http's Transport re-sends a GET by itself, at once, when a reused
// keep-alive connection fails before the response (the server reset it):
// a request on the wire that the program never sees, and that the retry
// policy did not send. A request is re-sent only if it is replayable (no
// body, or one GetBody can rewind); an empty body without GetBody is not,
// and Transfer-Encoding "identity" keeps the Transport from probing that
// body (with a 200 ms timer, which a loaded machine loses) and sending
// the GET chunked: it goes out bodiless, as before. Each attempt is then
// exactly one request.
func attempt(cl *http.Client, job *Job, i int) (int, []byte, int64, string) {
	req, err := http.NewRequest("GET", fmt.Sprintf("%s/orders/%d", job.APIURL, i), nil)
	if err != nil {
		fatal("CONCBENCH_API_URL: %v", err)
	}
	req.Body = io.NopCloser(http.NoBody)
	req.TransferEncoding = []string{"identity"}
	resp, err := cl.Do(req)
	if err != nil {
		return 0, nil, 0, classifyErr(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, 0, classifyErr(err)
	}
	ra, _ := strconv.ParseInt(resp.Header.Get("Retry-After"), 10, 64)
	return resp.StatusCode, body, ra * 1000, ""
}

// fetch runs the retry policy for id i and reports every attempt: the row,
// or the error class it failed with for good.
func fetch(cl *http.Client, job *Job, rep *Report, i int) (Row, string) {
	var ra int64
	cls := ""
	for a := 1; a <= job.Retries+1; a++ {
		if a > 1 {
			time.Sleep(backoff(job, i, a, ra))
		}
		rep.ev("send", i)
		var status int
		var body []byte
		status, body, ra, cls = attempt(cl, job, i)
		rep.ev("recv", i, status)
		if cls == "" && status >= 200 && status < 300 {
			row, err := transform(body, i, job.TransformCost)
			if err == nil {
				rep.ev("fetched", i)
				return row, ""
			}
			cls = "bad_payload"
		} else if cls == "" {
			if cls = classifyStatus(status); cls == "http_4xx" {
				return Row{}, cls
			}
		}
	}
	return Row{}, cls
}

// writers starts n goroutines, each on its own PostgreSQL connection,
// committing the rows it receives in batches of batch_size (a partial
// batch as soon as no row is waiting) and calling after (if not nil) with
// each batch committed. Close rows, then Wait.
func writers(job *Job, rep *Report, n int, rows <-chan Row, after func([]Row)) *sync.WaitGroup {
	db, err := sql.Open("postgres", job.PgDSN)
	if err != nil {
		fatal("postgres: %v", err)
	}
	db.SetMaxOpenConns(n)
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		conn, err := db.Conn(context.Background())
		if err != nil {
			fatal("cannot connect to PostgreSQL: %v", err)
		}
		rep.ev("dbconn")
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			var batch []Row
			for row := range rows {
				batch = append(batch, row)
			more:
				for len(batch) < job.BatchSize {
					select {
					case r, ok := <-rows:
						if !ok {
							break more
						}
						batch = append(batch, r)
					default:
						break more
					}
				}
				if commit(conn, job, rep, batch) && after != nil {
					after(batch)
				}
				batch = batch[:0]
			}
		}()
	}
	return &wg
}

// commit writes one batch in one statement (its own transaction) and
// reports each id done, or failed with class db. Returns whether it was
// committed.
func commit(conn *sql.Conn, job *Job, rep *Report, batch []Row) bool {
	n := len(batch)
	ids, items, totals := make([]int64, n), make([]int64, n), make([]int64, n)
	cust, cur, dig := make([]string, n), make([]string, n), make([]string, n)
	for k, r := range batch {
		ids[k], cust[k], cur[k], items[k], totals[k], dig[k] =
			r.ID, r.Customer, r.Currency, r.ItemCount, r.TotalCents, r.Digest
	}
	_, err := conn.ExecContext(context.Background(), upsertSQL, job.RunID, pq.Array(ids),
		pq.Array(cust), pq.Array(cur), pq.Array(items), pq.Array(totals), pq.Array(dig))
	for _, id := range ids {
		if err != nil {
			rep.ev("fail", id, "db")
		} else {
			rep.ev("done", id)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "batch of %d failed: %v\n", n, err)
	}
	return err == nil
}
