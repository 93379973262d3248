// Go reference models for concbench (docs/external-models.md); streams.go
// is the third, concbench-go streams:
//
//	concbench-go goroutines  a goroutine per id, all N at once, on one
//	                         http.Client with no connection limit
//	concbench-go pool        C worker goroutines (workers, default C) ranging
//	                         over a channel of ids; the client holds at most
//	                         C connections
//
// Both send their rows to db_conns (default 4) writer goroutines, each on
// its own PostgreSQL connection, committing batches of batch_size.
package main

import (
	"net/http"
	"os"
	"sync"
)

func main() {
	if len(os.Args) != 2 {
		fatal("usage: %s goroutines|pool|streams (started by concbench: docs/external-models.md)",
			os.Args[0])
	}
	job := loadJob()
	switch os.Args[1] {
	case "streams":
		streamsMain(job)
		return
	case streamsWorkerArg:
		streamsWorker(job)
		return
	case "goroutines", "pool":
	default:
		fatal("usage: %s goroutines|pool|streams", os.Args[0])
	}
	rep := newReport(true)
	nw := job.DBConns
	if nw <= 0 {
		nw = 4
	}
	rows := make(chan Row, 2*job.BatchSize*nw)
	written := writers(job, rep, nw, rows, nil)
	var fetching sync.WaitGroup
	handle := func(cl *http.Client, i int) {
		if row, cls := fetch(cl, job, rep, i); cls != "" {
			rep.ev("fail", i, cls)
		} else {
			rows <- row
		}
	}
	if os.Args[1] == "goroutines" {
		cl := newClient(job, 0)
		for i := 1; i <= job.Requests; i++ {
			rep.ev("take", i)
			fetching.Add(1)
			go func(i int) {
				defer fetching.Done()
				handle(cl, i)
			}(i)
		}
	} else {
		c := job.Workers
		if c <= 0 {
			c = job.Concurrency
		}
		cl := newClient(job, c)
		ids := make(chan int, 2*c)
		for w := 0; w < c; w++ {
			fetching.Add(1)
			go func() {
				defer fetching.Done()
				for i := range ids {
					handle(cl, i)
				}
			}()
		}
		for i := 1; i <= job.Requests; i++ {
			rep.ev("take", i)
			ids <- i
		}
		close(ids)
	}
	fetching.Wait()
	close(rows)
	written.Wait()
}
