package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// timing holds every wait of the agent, so the tests can run it fast.
type timing struct {
	ping        time.Duration // between pings while waiting for the host
	pingTimeout time.Duration // for one ping
	pingLog     time.Duration // between "still waiting" lines
	retry       backoff       // execute, results, log uploads
	replyRetry  backoff       // replies to actions (bounded: the host gives up on them too)
	pollError   time.Duration // after a failed poll
	pollTimeout time.Duration // the host holds a poll up to 30 s
}

var defaultTiming = timing{
	ping:        200 * time.Millisecond,
	pingTimeout: 5 * time.Second,
	pingLog:     10 * time.Second,
	retry:       backoff{min: 200 * time.Millisecond, max: 5 * time.Second},
	replyRetry:  backoff{min: 200 * time.Millisecond, max: 2 * time.Second, tries: 5},
	pollError:   time.Second,
	pollTimeout: 90 * time.Second,
}

type agent struct {
	c           *client
	hostPort    string
	workdir     string
	shutdownCmd string
	setClock    bool
	t           timing
	// pgid is the command's process group (its pid, as a session leader); 0 before it starts.
	pgid atomic.Int64
}

// task is the answer of GET /engine/v1/execute.
type task struct {
	Command []string          `json:"command"`
	Env     map[string]string `json:"env"`
	// Inputs are copied into place, in order, before the command starts.
	Inputs []input `json:"inputs"`
}

// run waits for the host, copies the task's inputs, runs the task command, streams its output
// and reports its result, then returns the exit code; the action poll loop goes on until ctx
// ends. If an input cannot be copied, the command does not run: the task fails with 125.
func (a *agent) run(ctx context.Context) int {
	if err := os.MkdirAll(a.workdir, 0o755); err != nil {
		logf("creating the working directory: %v", err)
	}
	a.waitForHost(ctx)
	t, hostTime := a.fetchTask(ctx)
	a.syncClock(hostTime)
	go a.pollLoop(ctx)
	if ie := a.fetchInputs(ctx, t.Inputs); ie != nil {
		a.failInput(ctx, ie)
		a.report(ctx, inputFailedCode, http.Header{
			"X-Vmtask-Input-Failed": {headerValue(ie.Error(), maxInputFailed)},
		})
		return inputFailedCode
	}
	code := a.runCommand(ctx, t)
	a.report(ctx, code, nil)
	return code
}

func (a *agent) waitForHost(ctx context.Context) {
	logf("waiting for the metadata service at %s", a.hostPort)
	lastLog := time.Now()
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, a.t.pingTimeout)
		err := a.c.call(pctx, request{method: "GET", path: "/engine/v1/ping"})
		cancel()
		if err == nil {
			logf("metadata service reached")
			return
		}
		if time.Since(lastLog) >= a.t.pingLog {
			logf("still waiting for the metadata service at %s (%v)", a.hostPort, err)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
		case <-time.After(a.t.ping):
		}
	}
}

// fetchTask gets the command; it retries whatever goes wrong, as without a command there is
// nothing else to do. It also returns the host's clock (X-Vmtask-Time), if sent.
func (a *agent) fetchTask(ctx context.Context) (task, string) {
	var t task
	var hostTime string
	wait := a.t.retry.min
	for ctx.Err() == nil {
		resp, err := a.c.do(ctx, request{method: "GET", path: "/engine/v1/execute"})
		if err == nil {
			hostTime = resp.Header.Get("X-Vmtask-Time")
			t = task{}
			err = json.NewDecoder(resp.Body).Decode(&t)
			resp.Body.Close()
			if err == nil && len(t.Command) == 0 {
				err = fmt.Errorf("the command is empty")
			}
			if err == nil {
				logf("command received")
				return t, hostTime
			}
		}
		logf("fetching the command: %v (retrying in %v)", err, wait)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, a.t.retry.max)
	}
	return t, hostTime
}

// runCommand runs the task command and streams its output; it returns once the command has
// exited and the output is uploaded (the host takes the result as the end of the log).
func (a *agent) runCommand(ctx context.Context, t task) int {
	cmd, out, err := startCommand(t.Command, commandEnv(os.Environ(), t.Env), a.workdir)
	if err != nil {
		code := startErrorCode(err)
		logf("cannot run the command: %v", err)
		msg := fmt.Sprintf("vmtask-guest: cannot run %s: %v\n", t.Command[0], err)
		if err := a.streamLog(ctx, strings.NewReader(msg)); err != nil {
			logf("%v", err)
		}
		return code
	}
	a.pgid.Store(int64(cmd.Process.Pid))
	logf("command started (pid %d)", cmd.Process.Pid)
	logDone := make(chan error, 1)
	go func() {
		logDone <- a.streamLog(ctx, out)
		out.Close()
	}()
	code := exitCode(cmd.Wait())
	logf("command exited with %d", code)
	if err := <-logDone; err != nil {
		logf("%v", err)
	}
	return code
}

// report sends the result, with extra headers if any, until the host takes it; a 4xx (409: a
// different result was already reported, e.g. after an abort) will not change by retrying.
func (a *agent) report(ctx context.Context, code int, extra http.Header) {
	path := "/engine/v1/success"
	if code != 0 {
		path = "/engine/v1/failed"
	}
	header := http.Header{"X-Vmtask-Exit-Code": {strconv.Itoa(code)}}
	for k, vs := range extra {
		header[k] = vs
	}
	err := retry(ctx, a.t.retry, "reporting the result", func() error {
		return a.c.call(ctx, request{method: "PUT", path: path, header: header})
	})
	if err != nil {
		logf("reporting the result %d: %v", code, err)
		return
	}
	logf("result %d reported", code)
}

// killCommand ends the command's whole process group. The group is kept after the command
// exits: children it left behind may still hold the log pipe open.
func (a *agent) killCommand() {
	if pgid := a.pgid.Load(); pgid > 0 {
		if err := syscall.Kill(-int(pgid), syscall.SIGKILL); err != nil && err != syscall.ESRCH {
			logf("killing process group %d: %v", pgid, err)
		}
	}
}
