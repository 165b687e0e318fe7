package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// No test may power off the machine it runs on.
	powerOff = func() error { panic("powerOff reached in a test") }
	syncDisks = func() {}
	settimeofday = func(time.Time) error { panic("settimeofday reached in a test") }
	if os.Getenv("VMTASK_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	flag.Parse()
	if !testing.Verbose() {
		logOut = io.Discard
	}
	os.Exit(m.Run())
}

var fastTiming = timing{
	ping:        10 * time.Millisecond,
	pingTimeout: time.Second,
	pingLog:     time.Second,
	retry:       backoff{min: 10 * time.Millisecond, max: 50 * time.Millisecond},
	replyRetry:  backoff{min: 10 * time.Millisecond, max: 50 * time.Millisecond, tries: 3},
	pollError:   20 * time.Millisecond,
	pollTimeout: 5 * time.Second,
}

type result struct {
	path string
	code string
}

type reply struct {
	id     string
	header http.Header
	body   []byte
}

// fakeHost is an in-memory metadata service with the host's semantics: the first result wins,
// the same result again is 200, the opposite 409.
type fakeHost struct {
	t   *testing.T
	srv *httptest.Server

	task       task
	execHeader http.Header

	mu       sync.Mutex
	log      bytes.Buffer
	logPosts []*http.Request
	pings    int
	resolved string
	// failPings, failResults: that many requests fail with 503 first.
	failPings   int
	failResults int
	// logHandler replaces the default log handler when set (attempt counts from 1).
	logHandler func(attempt int, w http.ResponseWriter, r *http.Request) bool

	results chan result
	actions chan action
	replies chan reply
}

func newFakeHost(t *testing.T, tk task) *fakeHost {
	h := &fakeHost{
		t: t, task: tk,
		results: make(chan result, 10),
		actions: make(chan action, 10),
		replies: make(chan reply, 10),
	}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
}

func (h *fakeHost) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/engine/v1/ping":
		h.mu.Lock()
		h.pings++
		fail := h.pings <= h.failPings
		h.mu.Unlock()
		if fail {
			jsonError(w, 503, "NotReady", "not yet")
		}
	case "/engine/v1/execute":
		for k, v := range h.execHeader {
			w.Header()[k] = v
		}
		json.NewEncoder(w).Encode(h.task)
	case "/engine/v1/log":
		h.mu.Lock()
		h.logPosts = append(h.logPosts, r)
		attempt := len(h.logPosts)
		h.mu.Unlock()
		if h.logHandler != nil && h.logHandler(attempt, w, r) {
			return
		}
		h.copyLog(r.Body)
	case "/engine/v1/success", "/engine/v1/failed":
		h.mu.Lock()
		if h.failResults > 0 {
			h.failResults--
			h.mu.Unlock()
			jsonError(w, 500, "InternalServerError", "try again")
			return
		}
		prev := h.resolved
		if prev == "" {
			h.resolved = r.URL.Path
		}
		h.mu.Unlock()
		h.results <- result{r.URL.Path, r.Header.Get("X-Vmtask-Exit-Code")}
		if prev != "" && prev != r.URL.Path {
			jsonError(w, 409, "ResourceConflict", "already resolved")
		}
	case "/engine/v1/poll":
		a := action{Type: "none"}
		select {
		case a = <-h.actions:
		case <-time.After(50 * time.Millisecond):
		case <-r.Context().Done():
		}
		json.NewEncoder(w).Encode(a)
	case "/engine/v1/reply":
		body, _ := io.ReadAll(r.Body)
		h.replies <- reply{r.URL.Query().Get("id"), r.Header, body}
	default:
		jsonError(w, 404, "NoSuchEndPoint", r.URL.Path)
	}
}

// copyLog appends a log body to the log as it arrives, read by read.
func (h *fakeHost) copyLog(body io.Reader) {
	buf := make([]byte, 4096)
	for {
		n, err := body.Read(buf)
		h.mu.Lock()
		h.log.Write(buf[:n])
		h.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (h *fakeHost) logText() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.log.String()
}

func (h *fakeHost) awaitLog(want string) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(h.logText(), want) {
		if time.Now().After(deadline) {
			h.t.Fatalf("log never contained %q; it is %q", want, h.logText())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *fakeHost) awaitResult() result {
	h.t.Helper()
	select {
	case r := <-h.results:
		return r
	case <-time.After(15 * time.Second):
		h.t.Fatal("no result reported")
		return result{}
	}
}

func (h *fakeHost) awaitReply() reply {
	h.t.Helper()
	select {
	case r := <-h.replies:
		return r
	case <-time.After(10 * time.Second):
		h.t.Fatal("no reply")
		return reply{}
	}
}

// port of the fake host, for VMTASK_METADATA_PORT.
func (h *fakeHost) port() string {
	return h.srv.URL[strings.LastIndex(h.srv.URL, ":")+1:]
}

func newTestAgent(t *testing.T, h *fakeHost) *agent {
	return &agent{
		c:           newClient(h.srv.URL),
		hostPort:    strings.TrimPrefix(h.srv.URL, "http://"),
		workdir:     t.TempDir(),
		shutdownCmd: "false",
		setClock:    true,
		t:           fastTiming,
	}
}

// start runs the agent until the test ends; the exit code comes on the returned channel.
func start(t *testing.T, a *agent) <-chan int {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- a.run(ctx) }()
	t.Cleanup(func() {
		a.killCommand()
		cancel()
	})
	return done
}

func sh(script string) task { return task{Command: []string{"sh", "-c", script}} }

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
