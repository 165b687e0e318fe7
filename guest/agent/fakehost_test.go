package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
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
	// inputs are the files of /engine/v1/input by name (absent: 404); inputGets the names asked
	// for, in order; inputFailed the X-Vmtask-Input-Failed header of each /failed.
	inputs      map[string][]byte
	inputGets   []string
	inputFailed []string
	// logHandler replaces the default log handler when set (attempt counts from 1).
	logHandler func(attempt int, w http.ResponseWriter, r *http.Request) bool

	results chan result
	actions chan action
	replies chan reply
	// shells are the shell sessions the test expects, by action id.
	shells map[string]*fakeShell
}

func newFakeHost(t *testing.T, tk task) *fakeHost {
	h := &fakeHost{
		t: t, task: tk,
		results: make(chan result, 10),
		actions: make(chan action, 10),
		replies: make(chan reply, 10),
		shells:  map[string]*fakeShell{},
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
		if r.URL.Path == "/engine/v1/failed" {
			h.inputFailed = append(h.inputFailed, r.Header.Get("X-Vmtask-Input-Failed"))
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
	case "/engine/v1/input":
		name := r.URL.Query().Get("name")
		h.mu.Lock()
		h.inputGets = append(h.inputGets, name)
		body, ok := h.inputs[name]
		h.mu.Unlock()
		if !ok {
			jsonError(w, 404, "ResourceNotFound", "no input "+name)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
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
	case "/engine/v1/shell/input", "/engine/v1/shell/output":
		h.mu.Lock()
		s := h.shells[r.URL.Query().Get("id")]
		h.mu.Unlock()
		if s == nil {
			jsonError(w, 404, "ResourceNotFound", "no such shell session")
		} else if strings.HasSuffix(r.URL.Path, "/input") {
			s.serveInput(w, r)
		} else {
			s.serveOutput(w, r)
		}
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

type shellFrame struct {
	typ     byte
	payload []byte
}

// fakeShell is the host's side of one shell session: the test sends frames on the input
// stream and reads the guest's from the output stream.
type fakeShell struct {
	t *testing.T
	// in carries encoded frames to the input stream; closing it ends the stream (a hang-up).
	in chan []byte
	// inputStatus, if set, is the input endpoint's error status.
	inputStatus int
	// out has the guest's frames; it is closed when the output body ends, outErr then says how.
	out    chan shellFrame
	outErr error

	// Read by the test so far.
	stdout, stderr strings.Builder
	exit           int
	failed         string
	ended          bool
}

// openShell registers a session and hands the guest its action.
func (h *fakeHost) openShell(id string, spec shellSpec) *fakeShell {
	s := h.expectShell(id)
	h.actions <- action{ID: id, Type: "shell", Shell: &spec}
	return s
}

func (h *fakeHost) expectShell(id string) *fakeShell {
	s := &fakeShell{t: h.t, in: make(chan []byte, 100), out: make(chan shellFrame, 1000), exit: -1}
	h.mu.Lock()
	h.shells[id] = s
	h.mu.Unlock()
	return s
}

func (s *fakeShell) serveInput(w http.ResponseWriter, r *http.Request) {
	if s.inputStatus != 0 {
		jsonError(w, s.inputStatus, "InputRefused", "input refused")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(200)
	w.(http.Flusher).Flush()
	for {
		select {
		case b, ok := <-s.in:
			if !ok {
				return
			}
			w.Write(b)
			w.(http.Flusher).Flush()
		case <-r.Context().Done():
			return
		}
	}
}

func (s *fakeShell) serveOutput(w http.ResponseWriter, r *http.Request) {
	if te := r.TransferEncoding; len(te) != 1 || te[0] != "chunked" {
		s.outErr = fmt.Errorf("transfer encoding %v, want chunked", te)
	}
	for {
		typ, payload, err := readFrame(r.Body)
		if err != nil {
			if err != io.EOF {
				s.outErr = err
			}
			break
		}
		s.out <- shellFrame{typ, payload}
	}
	close(s.out)
}

func (s *fakeShell) send(typ byte, payload string) {
	s.in <- appendFrame(nil, typ, []byte(payload))
}

// next reads one frame from the guest into the session's state; false once the output ended.
func (s *fakeShell) next() bool {
	s.t.Helper()
	select {
	case f, ok := <-s.out:
		if !ok {
			if s.outErr != nil {
				s.t.Fatalf("output stream: %v", s.outErr)
			}
			s.ended = true
			return false
		}
		if s.exit >= 0 || s.failed != "" {
			s.t.Fatalf("frame %q %q after the end of the session", f.typ, f.payload)
		}
		switch f.typ {
		case 'o':
			s.stdout.Write(f.payload)
		case 'e':
			s.stderr.Write(f.payload)
		case 'x':
			if len(f.payload) != 4 {
				s.t.Fatalf("exit frame of %d bytes", len(f.payload))
			}
			s.exit = int(int32(binary.BigEndian.Uint32(f.payload)))
		case 'f':
			s.failed = string(f.payload)
		default:
			s.t.Fatalf("frame of unknown type %q", f.typ)
		}
		return true
	case <-time.After(15 * time.Second):
		s.t.Fatalf("no frame from the guest in 15 s; stdout so far %q, stderr %q", s.stdout.String(), s.stderr.String())
		return false
	}
}

// awaitStdout reads frames until stdout contains want.
func (s *fakeShell) awaitStdout(want string) {
	s.t.Helper()
	for !strings.Contains(s.stdout.String(), want) {
		if !s.next() {
			s.t.Fatalf("the output ended without %q; stdout %q, stderr %q", want, s.stdout.String(), s.stderr.String())
		}
	}
}

// awaitEnd reads frames until the output stream ends.
func (s *fakeShell) awaitEnd() {
	s.t.Helper()
	for s.next() {
	}
}
