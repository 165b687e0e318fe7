package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// shellSpec is the "shell" field of a shell action: what to run, and whether on a terminal.
type shellSpec struct {
	// Command is the argv; empty runs /bin/sh.
	Command []string `json:"command"`
	TTY     bool     `json:"tty"`
	// Rows and Cols are the terminal's size (0: 24 by 80).
	Rows int    `json:"rows"`
	Cols int    `json:"cols"`
	Term string `json:"term"`
}

// Frame types. Host to guest: stdin data, resize, stdin closed. Guest to host: stdout (all of
// the terminal's output with a tty), stderr, exit status, failure to start.
const (
	frameStdin       = 'i'
	frameResize      = 'r'
	frameStdinClosed = 'c'
	frameStdout      = 'o'
	frameStderr      = 'e'
	frameExit        = 'x'
	frameFailed      = 'f'
)

// maxFramePayload bounds a frame's payload; a longer one is a protocol error.
const maxFramePayload = 64 << 10

const (
	// shellDrain bounds the wait for the last output after the process exited: a process left
	// in the background may keep the terminal or the pipes open.
	shellDrain = 2 * time.Second
	// shellHangupGrace is the time between SIGHUP and SIGKILL when the host hangs up.
	shellHangupGrace = 2 * time.Second
	// shellCloseWait bounds the wait for the host's answer to the output upload.
	shellCloseWait = 30 * time.Second
)

// appendFrame appends one frame: type, big-endian uint32 payload length, payload.
func appendFrame(dst []byte, typ byte, payload []byte) []byte {
	dst = append(dst, typ, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(dst[len(dst)-4:], uint32(len(payload)))
	return append(dst, payload...)
}

// readFrame reads one frame; io.EOF means the stream ended cleanly between two frames.
func readFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFramePayload {
		return 0, nil, fmt.Errorf("protocol error: frame %q of %d bytes (at most %d)", hdr[0], n, maxFramePayload)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return hdr[0], payload, nil
}

// frameWriter sends whole frames to the output upload, one at a time. After a failed write
// every later frame fails at once: the upload is gone.
type frameWriter struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

func (f *frameWriter) send(typ byte, payload []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		// One write per frame: the upload sends it as it is, at once.
		_, f.err = f.w.Write(appendFrame(make([]byte, 0, 5+len(payload)), typ, payload))
	}
	return f.err
}

var errOutputLost = errors.New("the host closed the output stream")

// runShell runs one shell session: the process, its input from GET /engine/v1/shell/input and
// its output to POST /engine/v1/shell/output, until the process has exited and its output is
// sent, or the host has hung up.
func (a *agent) runShell(ctx context.Context, act action) {
	var spec shellSpec
	if act.Shell != nil {
		spec = *act.Shell
	}
	ctx, cancel := context.WithCancel(ctx)
	// Ends the input stream (and a stuck output upload) whatever way the session ends.
	defer cancel()
	name := "shell " + act.ID
	query := "?id=" + url.QueryEscape(act.ID)

	// Both streams are opened at once; the host pairs them by id. The output is one chunked
	// POST whose body is fed through a pipe, frame by frame as the output comes.
	pr, pw := io.Pipe()
	out := &frameWriter{w: pw}
	outDone := make(chan struct{})
	var outErr error
	go func() {
		outErr = a.c.call(ctx, request{
			method: "POST", path: "/engine/v1/shell/output" + query, body: pr, length: -1,
			header: map[string][]string{"Content-Type": {"application/octet-stream"}},
			// The host closing the connection fails the pending frame at once.
			via: uploadClient(func() { pr.CloseWithError(errOutputLost) }),
		})
		// Whatever the answer, a frame written from now on must fail, not block for good.
		pr.CloseWithError(errOutputLost)
		close(outDone)
	}()
	type opened struct {
		body io.ReadCloser
		err  error
	}
	input := make(chan opened, 1)
	go func() {
		// No response timeout: the stream lasts as long as the session. ctx ends it.
		resp, err := a.c.do(ctx, request{method: "GET", path: "/engine/v1/shell/input" + query, slow: true})
		if err != nil {
			input <- opened{err: err}
			return
		}
		input <- opened{body: resp.Body}
	}()
	finish := func() {
		pw.Close()
		select {
		case <-outDone:
			if outErr != nil {
				logf("%s: output stream: %v", name, outErr)
			}
		case <-time.After(shellCloseWait):
			logf("%s: the host did not answer the end of the output stream", name)
		}
	}

	p, err := startShell(spec)
	if err != nil {
		logf("%s: cannot start: %v", name, err)
		out.send(frameFailed, []byte(err.Error()))
		finish()
		return
	}
	pgid := p.cmd.Process.Pid
	logf("%s: started %s (pid %d, tty %v)", name, p.cmd.Args[0], pgid, spec.TTY)
	exited := make(chan struct{})
	var code int
	go func() {
		code = exitCode(p.cmd.Wait())
		close(exited)
	}()
	drained := p.pumpOutput(out)

	var hangupOnce sync.Once
	hangup := func(why string) {
		hangupOnce.Do(func() {
			select {
			case <-exited:
				return
			default:
			}
			logf("%s: %s: hanging up process group %d", name, why, pgid)
			go hangupGroup(pgid, exited)
		})
	}
	go func() {
		var in opened
		select {
		case in = <-input:
		case <-exited:
			return
		}
		if in.err != nil {
			hangup(fmt.Sprintf("opening the input stream: %v", in.err))
			return
		}
		defer in.body.Close()
		err := p.feed(in.body, name)
		if err == nil || errors.Is(err, io.EOF) {
			err = errors.New("EOF")
		}
		hangup(fmt.Sprintf("the input stream ended (%v)", err))
	}()
	go func() {
		select {
		case <-outDone:
			hangup(fmt.Sprintf("the output stream ended (%v)", outErr))
		case <-exited:
		}
	}()

	<-exited
	select {
	case <-drained:
	case <-time.After(shellDrain):
		// Something left in the background holds the terminal or the pipes: stop reading.
		p.closeOutput()
		<-drained
	}
	p.close()
	logf("%s: exited with %d", name, code)
	var status [4]byte
	binary.BigEndian.PutUint32(status[:], uint32(int32(code)))
	out.send(frameExit, status[:])
	finish()
}

// hangupGroup does what a terminal hang-up does, SIGHUP to the process group, and kills the
// group 2 s later if the process has not exited by then.
func hangupGroup(pgid int, exited <-chan struct{}) {
	signalGroup(pgid, syscall.SIGHUP)
	select {
	case <-exited:
	case <-time.After(shellHangupGrace):
		signalGroup(pgid, syscall.SIGKILL)
	}
}

func signalGroup(pgid int, sig syscall.Signal) {
	if err := syscall.Kill(-pgid, sig); err != nil && err != syscall.ESRCH {
		logf("sending %v to process group %d: %v", sig, pgid, err)
	}
}

// shellProc is a started session process and the agent's ends of its terminal or pipes.
type shellProc struct {
	cmd *exec.Cmd
	// master is the terminal's master side (tty sessions): stdin, and all output.
	master *os.File
	// stdin, stdout, stderr are the pipes' ends (no tty).
	stdin, stdout, stderr *os.File
}

// shellArgv is the command to run: the given argv, else /bin/sh, interactive on a terminal.
func shellArgv(spec shellSpec) []string {
	if len(spec.Command) > 0 {
		return spec.Command
	}
	if spec.TTY {
		return []string{"/bin/sh", "-i"}
	}
	return []string{"/bin/sh"}
}

// shellEnv is the agent's environment with PATH and HOME filled in, plus TERM for a terminal.
func shellEnv(spec shellSpec) []string {
	extra := map[string]string{}
	switch {
	case spec.Term != "":
		extra["TERM"] = spec.Term
	case spec.TTY:
		extra["TERM"] = "xterm-256color"
	}
	return commandEnv(os.Environ(), extra)
}

func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if rest, ok := strings.CutPrefix(kv, key+"="); ok {
			v = rest
		}
	}
	return v
}

// startShell starts the session's process in a session of its own (so a hang-up reaches its
// whole process group), in $HOME if that exists, else in /.
func startShell(spec shellSpec) (*shellProc, error) {
	argv := shellArgv(spec)
	env := shellEnv(spec)
	bin, err := lookPath(argv[0], envValue(env, "PATH"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("exec: %q: executable file not found in $PATH", argv[0])
		}
		return nil, err
	}
	dir := "/"
	if home := envValue(env, "HOME"); home != "" {
		if st, err := os.Stat(home); err == nil && st.IsDir() {
			dir = home
		}
	}
	cmd := &exec.Cmd{Path: bin, Args: argv, Env: env, Dir: dir}
	if spec.TTY {
		return startOnPTY(cmd, spec)
	}
	return startOnPipes(cmd)
}

// termSize is a requested size, 0 (unset) replaced by the VT100's 24 by 80.
func termSize(n, def int) uint16 {
	if n <= 0 {
		return uint16(def)
	}
	return uint16(min(n, 0xffff))
}

func startOnPTY(cmd *exec.Cmd, spec shellSpec) (*shellProc, error) {
	master, slave, err := openPTY()
	if err != nil {
		return nil, fmt.Errorf("cannot allocate a pseudo-terminal: %w", err)
	}
	if err := setWinsize(master, termSize(spec.Rows, 24), termSize(spec.Cols, 80)); err != nil {
		master.Close()
		slave.Close()
		return nil, fmt.Errorf("setting the terminal size: %w", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// Setctty makes the slave (the child's fd 0: Ctty is an index into the child's files) the
	// new session's controlling terminal, so job control, ^C and SIGWINCH work.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	err = cmd.Start()
	// Reading the master ends with EIO only once no one holds the slave: the agent must not.
	slave.Close()
	if err != nil {
		master.Close()
		return nil, err
	}
	return &shellProc{cmd: cmd, master: master}, nil
}

func startOnPipes(cmd *exec.Cmd) (*shellProc, error) {
	var files []*os.File // every end, closed if the start fails
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		if err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	inR, inW, err1 := pipe()
	outR, outW, err2 := pipe()
	errR, errW, err3 := pipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		closeAll()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, err
	}
	// The child has its ends; the agent's copies would keep stdout and stderr from ending.
	inR.Close()
	outW.Close()
	errW.Close()
	return &shellProc{cmd: cmd, stdin: inW, stdout: outR, stderr: errR}, nil
}

// pumpOutput sends the output as frames as it comes; the channel closes when every output
// stream has ended.
func (p *shellProc) pumpOutput(out *frameWriter) <-chan struct{} {
	type source struct {
		f   *os.File
		typ byte
	}
	sources := []source{{p.master, frameStdout}}
	if p.master == nil {
		sources = []source{{p.stdout, frameStdout}, {p.stderr, frameStderr}}
	}
	var wg sync.WaitGroup
	for _, s := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 32<<10)
			for {
				n, err := s.f.Read(buf)
				if n > 0 {
					// If the upload is gone the output is still read, so the process never
					// blocks on a full pipe while it is being hung up.
					out.send(s.typ, buf[:n])
				}
				if err != nil {
					// EOF ends a pipe; EIO ends the master once the slave is closed
					// everywhere; ErrClosed comes from closeOutput.
					if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.EIO) && !errors.Is(err, os.ErrClosed) {
						logf("shell: reading the output: %v", err)
					}
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

// feed applies the host's frames until the input stream ends, and returns why it ended.
func (p *shellProc) feed(r io.Reader, name string) error {
	for {
		typ, payload, err := readFrame(r)
		if err != nil {
			return err
		}
		switch typ {
		case frameStdin:
			// A write error means the process closed its stdin or exited: the data has no
			// reader, as on a terminal.
			if p.master != nil {
				p.master.Write(payload)
			} else {
				p.stdin.Write(payload)
			}
		case frameResize:
			if len(payload) != 4 {
				logf("%s: ignoring a resize frame of %d bytes", name, len(payload))
				continue
			}
			if p.master != nil {
				rows := binary.BigEndian.Uint16(payload[0:2])
				cols := binary.BigEndian.Uint16(payload[2:4])
				if err := setWinsize(p.master, rows, cols); err != nil && !errors.Is(err, os.ErrClosed) {
					logf("%s: resizing the terminal: %v", name, err)
				}
			}
		case frameStdinClosed:
			if p.master != nil {
				// The terminal's EOF character: ends the input of a reader at the start of a line.
				p.master.Write([]byte{0x04})
			} else {
				p.stdin.Close()
			}
		default:
			logf("%s: ignoring a frame of unknown type %q", name, typ)
		}
	}
}

// closeOutput stops the output readers (a pending Read returns os.ErrClosed).
func (p *shellProc) closeOutput() {
	for _, f := range []*os.File{p.master, p.stdout, p.stderr} {
		if f != nil {
			f.Close()
		}
	}
}

// close releases the agent's ends once the process has exited; a pending stdin write fails.
func (p *shellProc) close() {
	p.closeOutput()
	if p.stdin != nil {
		p.stdin.Close()
	}
}
