// Redis Streams workers (concbench-go streams): the parent XADDs every id
// to a stream with one consumer group and starts procs (default 4) worker
// processes (itself again, the report on the same fd 3); each runs
// consumers (default C / procs) goroutines reading the group (XREADGROUP),
// so procs x consumers = C requests in flight. A row goes to the process's
// writer; once its batch is committed its entries are XACKed and their ids
// added to a set of finished ids. An idle consumer XAUTOCLAIMs entries
// pending longer than claim_idle_ms (default 1000): a killed worker's
// entries are taken over by the others. A live process renews its claim
// on the entries it holds every claim_idle_ms / 4 (XCLAIM to itself), so a
// slow request is never taken from it. The run ends when the set holds
// all N ids. Redis client: github.com/gomodule/redigo (Debian:
// golang-github-gomodule-redigo-dev).
package main

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gomodule/redigo/redis"
)

const (
	streamsWorkerArg   = "streams-worker"
	streamsGroup       = "workers"
	streamsBlockMs     = 100
	defaultProcs       = 4
	defaultClaimIdleMs = 1000
)

func streamKeys(job *Job) (string, string) {
	base := "concbench:go-streams:" + job.RunID
	return base + ":ids", base + ":final"
}

func redisDial(job *Job) redis.Conn {
	if job.RedisURL == "" {
		fatal("go-streams needs Redis (needs_redis = 1 in its model file)")
	}
	var c redis.Conn
	var err error
	if u, perr := url.Parse(job.RedisURL); perr == nil && u.Scheme == "unix" {
		// The harness's own Redis: unix:///path/redis.sock[?db=N], maybe
		// with :password@ (redigo's DialURL knows only redis://).
		var opts []redis.DialOption
		if pw, ok := u.User.Password(); ok {
			opts = append(opts, redis.DialPassword(pw))
		}
		if db, e := strconv.Atoi(u.Query().Get("db")); e == nil {
			opts = append(opts, redis.DialDatabase(db))
		}
		c, err = redis.Dial("unix", u.Path, opts...)
	} else {
		c, err = redis.DialURL(job.RedisURL)
	}
	if err != nil {
		fatal("redis: %v", err)
	}
	return c
}

func streamsMain(job *Job) {
	rep := newReport(true)
	stream, final := streamKeys(job)
	r := redisDial(job)
	procs := job.Procs
	if procs <= 0 {
		procs = defaultProcs
	}
	if _, err := r.Do("DEL", stream, final); err != nil {
		fatal("redis: %v", err)
	}
	if _, err := r.Do("XGROUP", "CREATE", stream, streamsGroup, "0", "MKSTREAM"); err != nil {
		fatal("redis: XGROUP CREATE: %v", err)
	}
	for start := 1; start <= job.Requests; start += 1000 {
		end := start + 1000
		if end > job.Requests+1 {
			end = job.Requests + 1
		}
		for i := start; i < end; i++ {
			rep.ev("take", i)
			r.Send("XADD", stream, "*", "id", i)
		}
		r.Flush()
		for i := start; i < end; i++ {
			if _, err := r.Receive(); err != nil {
				fatal("redis: XADD: %v", err)
			}
		}
	}
	self, err := os.Executable()
	if err != nil {
		fatal("os.Executable: %v", err)
	}
	var cmds []*exec.Cmd
	for k := 0; k < procs; k++ {
		cmd := exec.Command(self, streamsWorkerArg)
		cmd.ExtraFiles = []*os.File{rep.f} // fd 3 again
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			fatal("cannot start a stream worker: %v", err)
		}
		cmds = append(cmds, cmd)
	}
	failed := 0
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			// A worker killed with SIGKILL (crash injection) is expected.
			ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				failed++
			}
		}
	}
	r.Do("DEL", stream, final)
	if failed > 0 {
		os.Exit(2)
	}
}

// held is the set of entries this process holds: the lease renews them.
type held struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (h *held) set(id string, on bool) {
	h.mu.Lock()
	if on {
		h.ids[id] = true
	} else {
		delete(h.ids, id)
	}
	h.mu.Unlock()
}

func (h *held) list() []interface{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]interface{}, 0, len(h.ids))
	for id := range h.ids {
		out = append(out, id)
	}
	return out
}

// entries parses [[entry-id, [field, value, ...]], ...] into entry ids
// and their request ids.
func entries(v interface{}) ([]string, []int, error) {
	list, err := redis.Values(v, nil)
	if err != nil {
		return nil, nil, err
	}
	var tags []string
	var ids []int
	for _, e := range list {
		pair, err := redis.Values(e, nil)
		if err != nil || len(pair) != 2 {
			return nil, nil, fmt.Errorf("entry: %v", err)
		}
		tag, _ := redis.String(pair[0], nil)
		fields, err := redis.StringMap(pair[1], nil)
		if err != nil {
			continue // a deleted entry
		}
		i, err := strconv.Atoi(fields["id"])
		if err != nil {
			return nil, nil, fmt.Errorf("entry %s: no id", tag)
		}
		tags, ids = append(tags, tag), append(ids, i)
	}
	return tags, ids, nil
}

func streamsWorker(job *Job) {
	rep := newReport(false)
	rep.ev("worker", os.Getpid())
	procs, k := job.Procs, job.Consumers
	if procs <= 0 {
		procs = defaultProcs
	}
	if k <= 0 {
		if k = job.Concurrency / procs; k < 1 {
			k = 1
		}
	}
	claimIdle := job.ClaimIdleMs
	if claimIdle <= 0 {
		claimIdle = defaultClaimIdleMs
	}
	stream, final := streamKeys(job)
	name := fmt.Sprintf("p%d", os.Getpid()) // one consumer per process: its goroutines share the lease
	pool := &redis.Pool{Dial: func() (redis.Conn, error) { return redisDial(job), nil }, MaxIdle: k + 2}
	inhand := &held{ids: map[string]bool{}}
	finish := func(ids []int64, tags []string) {
		c := pool.Get()
		defer c.Close()
		xack := []interface{}{stream, streamsGroup}
		sadd := []interface{}{final}
		for n := range ids {
			xack, sadd = append(xack, tags[n]), append(sadd, ids[n])
		}
		c.Send("XACK", xack...)
		c.Send("SADD", sadd...)
		if _, err := c.Do(""); err != nil {
			fatal("redis: XACK/SADD: %v", err)
		}
		for _, t := range tags {
			inhand.set(t, false)
		}
	}
	rows := make(chan Row, 2*job.BatchSize)
	written := writers(job, rep, 1, rows, func(batch []Row) {
		ids, tags := make([]int64, len(batch)), make([]string, len(batch))
		for n, r := range batch {
			ids[n], tags[n] = r.ID, r.Tag
		}
		finish(ids, tags)
	})
	go func() { // the lease
		c := pool.Get()
		for range time.Tick(time.Duration(claimIdle) * time.Millisecond / 4) {
			if l := inhand.list(); len(l) > 0 {
				args := append([]interface{}{stream, streamsGroup, name, 0}, l...)
				if _, err := c.Do("XCLAIM", append(args, "JUSTID")...); err != nil {
					fatal("redis: XCLAIM: %v", err)
				}
			}
		}
	}()
	cl := newClient(job, k)
	var consumers sync.WaitGroup
	for n := 0; n < k; n++ {
		consumers.Add(1)
		go func() {
			defer consumers.Done()
			c := pool.Get()
			defer c.Close()
			claimFrom := "0-0"
			for {
				v, err := c.Do("XREADGROUP", "GROUP", streamsGroup, name, "COUNT", 1,
					"BLOCK", streamsBlockMs, "STREAMS", stream, ">")
				if err != nil {
					fatal("redis: XREADGROUP: %v", err)
				}
				var tags []string
				var ids []int
				if v != nil {
					streams, _ := redis.Values(v, nil)
					one, _ := redis.Values(streams[0], nil)
					if tags, ids, err = entries(one[1]); err != nil {
						fatal("redis: XREADGROUP: %v", err)
					}
				}
				if len(ids) == 0 {
					if done, _ := redis.Int(c.Do("SCARD", final)); done >= job.Requests {
						return
					}
					reply, err := redis.Values(c.Do("XAUTOCLAIM", stream, streamsGroup, name,
						claimIdle, claimFrom, "COUNT", 1))
					if err != nil || len(reply) < 2 {
						fatal("redis: XAUTOCLAIM: %v", err)
					}
					claimFrom, _ = redis.String(reply[0], nil)
					if tags, ids, err = entries(reply[1]); err != nil {
						fatal("redis: XAUTOCLAIM: %v", err)
					}
					for _, i := range ids {
						rep.ev("take", i) // a dead worker's entry, delivered again
					}
				}
				for e, i := range ids {
					inhand.set(tags[e], true)
					row, cls := fetch(cl, job, rep, i)
					if cls != "" {
						rep.ev("fail", i, cls)
						finish([]int64{int64(i)}, tags[e:e+1])
						continue
					}
					row.Tag = tags[e]
					rows <- row
				}
			}
		}()
	}
	consumers.Wait()
	close(rows)
	written.Wait()
}
