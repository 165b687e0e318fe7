package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOutputReachesTheHostWhileTheCommandRuns(t *testing.T) {
	h := newFakeHost(t, sh(`echo first; while [ ! -e gate ]; do sleep 0.01; done; echo second >&2; exit 3`))
	a := newTestAgent(t, h)
	done := start(t, a)

	h.awaitLog("first\n")
	select {
	case r := <-h.results:
		t.Fatalf("result %v before the command ended", r)
	default:
	}
	if err := os.WriteFile(filepath.Join(a.workdir, "gate"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	if r := h.awaitResult(); r != (result{"/engine/v1/failed", "3"}) {
		t.Fatalf("result %v, want failed with 3", r)
	}
	if got := h.logText(); got != "first\nsecond\n" {
		t.Fatalf("log %q", got)
	}
	if code := <-done; code != 3 {
		t.Fatalf("run returned %d", code)
	}
	if len(h.logPosts) != 1 {
		t.Fatalf("%d log uploads, want 1", len(h.logPosts))
	}
	if te := h.logPosts[0].TransferEncoding; len(te) != 1 || te[0] != "chunked" {
		t.Fatalf("log upload transfer encoding %v, want chunked", te)
	}
}

func TestSuccessWithTheTaskEnvInTheWorkdir(t *testing.T) {
	tk := sh(`printf '%s|%s|%s|%s' "$GREETING" "$VMTASK_TEST_OVERRIDE" "$PWD" "$(cat </dev/stdin)"`)
	tk.Env = map[string]string{"GREETING": `it's "quoted" $HOME`, "VMTASK_TEST_OVERRIDE": "task"}
	t.Setenv("VMTASK_TEST_OVERRIDE", "agent")
	h := newFakeHost(t, tk)
	a := newTestAgent(t, h)
	a.workdir = filepath.Join(a.workdir, "not", "yet")
	start(t, a)

	if r := h.awaitResult(); r != (result{"/engine/v1/success", "0"}) {
		t.Fatalf("result %v", r)
	}
	want := `it's "quoted" $HOME|task|` + a.workdir + "|"
	if got := h.logText(); got != want {
		t.Fatalf("log %q, want %q", got, want)
	}
}

func TestWaitsForTheHost(t *testing.T) {
	h := newFakeHost(t, sh("true"))
	h.failPings = 5
	start(t, newTestAgent(t, h))
	h.awaitResult()
	if h.pings != 6 {
		t.Fatalf("%d pings, want 6", h.pings)
	}
}

func TestACommandThatCannotStart(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "script")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		argv0 string
		code  string
	}{{"vmtask-no-such-command", "127"}, {notExec, "126"}} {
		h := newFakeHost(t, task{Command: []string{tc.argv0}})
		start(t, newTestAgent(t, h))
		if r := h.awaitResult(); r != (result{"/engine/v1/failed", tc.code}) {
			t.Fatalf("%s: result %v, want %s", tc.argv0, r, tc.code)
		}
		if got := h.logText(); !strings.HasPrefix(got, "vmtask-guest: cannot run "+tc.argv0+": ") {
			t.Fatalf("log %q", got)
		}
	}
}

func TestKillProcessEndsTheWholeGroup(t *testing.T) {
	// The background sleep holds the log pipe: the log ends only if it is killed too.
	h := newFakeHost(t, sh(`sleep 100 & echo started; sleep 100; echo not reached`))
	start(t, newTestAgent(t, h))
	h.awaitLog("started\n")
	h.actions <- action{ID: "k 1", Type: "kill-process"}

	if r := h.awaitReply(); r.id != "k 1" || len(r.body) != 0 {
		t.Fatalf("reply %+v", r)
	}
	if r := h.awaitResult(); r != (result{"/engine/v1/failed", "137"}) {
		t.Fatalf("result %v, want failed with 137 (SIGKILL)", r)
	}
	if got := h.logText(); got != "started\n" {
		t.Fatalf("log %q", got)
	}
}

func TestResultIsRetriedUntilTheHostTakesIt(t *testing.T) {
	h := newFakeHost(t, sh("exit 0"))
	h.failResults = 2
	a := newTestAgent(t, h)
	start(t, a)
	if r := h.awaitResult(); r != (result{"/engine/v1/success", "0"}) {
		t.Fatalf("result %v", r)
	}
	if h.failResults != 0 {
		t.Fatal("the failing attempts were not made")
	}
	// Reported once it succeeded: nothing more.
	select {
	case r := <-h.results:
		t.Fatalf("reported again: %v", r)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestAConflictingResultIsNotRetried(t *testing.T) {
	h := newFakeHost(t, sh("exit 1"))
	h.resolved = "/engine/v1/success" // e.g. the host already resolved the task
	start(t, newTestAgent(t, h))
	if r := h.awaitResult(); r != (result{"/engine/v1/failed", "1"}) {
		t.Fatalf("result %v", r)
	}
	select {
	case r := <-h.results:
		t.Fatalf("retried after 409: %v", r)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestALogUploadThatFailsIsContinuedInANewOne(t *testing.T) {
	h := newFakeHost(t, sh(`echo one; while [ ! -e gate ]; do sleep 0.01; done; echo two`))
	h.logHandler = func(attempt int, w http.ResponseWriter, r *http.Request) bool {
		if attempt > 1 {
			return false
		}
		// Take the first line, then drop the connection as a dying forwarder would.
		buf := make([]byte, 4)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			t.Errorf("reading the first upload: %v", err)
		}
		h.mu.Lock()
		h.log.Write(buf)
		h.mu.Unlock()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
		return true
	}
	a := newTestAgent(t, h)
	start(t, a)
	h.awaitLog("one\n")
	// Wait for the agent to notice and reconnect before producing more output.
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.mu.Lock()
		n := len(h.logPosts)
		h.mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no second log upload")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := os.WriteFile(filepath.Join(a.workdir, "gate"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	h.awaitResult()
	if got := h.logText(); got != "one\ntwo\n" {
		t.Fatalf("log %q", got)
	}
}

func TestPostLogStreamsItsInput(t *testing.T) {
	h := newFakeHost(t, task{})
	a := newTestAgent(t, h)
	r, w := io.Pipe()
	errc := make(chan error, 1)
	go func() { errc <- a.streamLog(context.Background(), r) }()
	io.WriteString(w, "part one\n")
	h.awaitLog("part one\n")
	io.WriteString(w, "part two\n")
	w.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got := h.logText(); got != "part one\npart two\n" || len(h.logPosts) != 1 {
		t.Fatalf("log %q in %d uploads", got, len(h.logPosts))
	}
}

func TestCommandEnv(t *testing.T) {
	got := commandEnv([]string{"A=agent", "B=agent"}, map[string]string{"B": "task", "C": "x=y"})
	want := []string{"A=agent", "B=task", "C=x=y", "HOME=/root", "PATH=" + defaultPath}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("env %q, want %q", got, want)
	}
	got = commandEnv([]string{"PATH=/x", "HOME=/h"}, nil)
	if strings.Join(got, " ") != "HOME=/h PATH=/x" {
		t.Fatalf("env %q", got)
	}
}
