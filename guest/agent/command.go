package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// commandEnv is the agent's environment plus the task's (the task wins), with PATH and HOME
// filled in when the image's init left them unset.
func commandEnv(base []string, task map[string]string) []string {
	m := map[string]string{}
	for _, kv := range base {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	for k, v := range task {
		m[k] = v
	}
	if _, ok := m["PATH"]; !ok {
		m["PATH"] = defaultPath
	}
	if _, ok := m["HOME"]; !ok {
		m["HOME"] = "/root"
	}
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// lookPath finds name in the command's PATH (not the agent's: the task env may change it).
func lookPath(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	var denied error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err != nil || st.IsDir() {
			continue
		}
		if st.Mode()&0o111 == 0 {
			denied = &fs.PathError{Op: "exec", Path: p, Err: fs.ErrPermission}
			continue
		}
		return p, nil
	}
	if denied != nil {
		return "", denied
	}
	return "", &fs.PathError{Op: "exec", Path: name, Err: fs.ErrNotExist}
}

// startCommand starts argv in workdir with stdout and stderr merged into the returned pipe and
// stdin from /dev/null, in its own session so that its process group can be killed as one.
func startCommand(argv []string, env []string, workdir string) (*exec.Cmd, *os.File, error) {
	if len(argv) == 0 {
		return nil, nil, errors.New("empty command")
	}
	pathVar := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathVar = v
		}
	}
	bin, err := lookPath(argv[0], pathVar)
	if err != nil {
		return nil, nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	cmd := &exec.Cmd{
		Path:        bin,
		Args:        argv,
		Env:         env,
		Dir:         workdir,
		Stdout:      w,
		Stderr:      w,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	// The command holds the write end now; the log stream ends when it and its children close it.
	w.Close()
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	return cmd, r, nil
}

// startErrorCode is the shell's convention: 126 found but not executable, 127 not found.
func startErrorCode(err error) int {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.ENOEXEC) {
		return 126
	}
	return 127
}

// exitCode of a finished command; killed by a signal is 128+signal, as in a shell.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}

// pump reads src in one goroutine and hands each read over as it arrives, so that a failed
// upload and the next one never read src concurrently.
func pump(src io.Reader) <-chan []byte {
	ch := make(chan []byte)
	go func() {
		defer close(ch)
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				ch <- append([]byte(nil), buf[:n]...)
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					logf("reading the command's output: %v", err)
				}
				return
			}
		}
	}()
	return ch
}

var errBodyClosed = errors.New("log upload closed")

// logBody is one upload's request body: the pumped output until the source ends or the
// upload is abandoned. Each read is one chunk on the wire (Go flushes a chunked request body
// after every chunk), so output reaches the host as it is produced.
type logBody struct {
	ch      <-chan []byte
	pending []byte
	done    chan struct{}
	once    sync.Once
	eof     atomic.Bool
	sent    atomic.Int64
}

func (b *logBody) Read(p []byte) (int, error) {
	if len(b.pending) == 0 {
		select {
		case data, ok := <-b.ch:
			if !ok {
				b.eof.Store(true)
				return 0, io.EOF
			}
			b.pending = data
		case <-b.done:
			return 0, errBodyClosed
		}
	}
	n := copy(p, b.pending)
	b.pending = b.pending[n:]
	b.sent.Add(int64(n))
	return n, nil
}

func (b *logBody) Close() error {
	b.once.Do(func() { close(b.done) })
	return nil
}

// streamLog sends src to the task log as one chunked POST /engine/v1/log. If an upload fails
// before src ends, a new POST carries the rest; what the failed one had in flight may be lost.
func (a *agent) streamLog(ctx context.Context, src io.Reader) error {
	ch := pump(src)
	wait := a.t.retry.min
	for {
		body := &logBody{ch: ch, done: make(chan struct{})}
		err := a.c.call(ctx, request{
			method: "POST", path: "/engine/v1/log", body: body, length: -1,
			via:    uploadClient(func() { body.Close() }),
			header: map[string][]string{"Content-Type": {"application/octet-stream"}},
		})
		body.Close()
		if err == nil && body.eof.Load() {
			return nil
		}
		if err == nil {
			err = errors.New("the host answered before the end of the output")
		}
		if body.eof.Load() {
			return fmt.Errorf("log upload: %w (all output was sent)", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if body.sent.Load() > 0 {
			wait = a.t.retry.min
		}
		logf("log upload failed after %d bytes: %v; sending the rest in a new upload in %v (output in flight may be lost)",
			body.sent.Load(), err, wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, a.t.retry.max)
	}
}
