package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// shellHost is a fake host whose task command has ended; the test opens shell sessions.
func shellHost(t *testing.T) *fakeHost {
	h, _ := actionHost(t)
	return h
}

func needPTY(t *testing.T) {
	f, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	f.Close()
}

func TestShellCommandWithoutTTY(t *testing.T) {
	h := shellHost(t)
	s := h.openShell("s&1", shellSpec{Command: []string{"sh", "-c", `echo out; echo err >&2; echo "term=$TERM pwd=$PWD"; test -t 0 || echo no-tty; exit 3`}})
	s.awaitEnd()
	if s.exit != 3 {
		t.Fatalf("exit %d, want 3 (failed %q)", s.exit, s.failed)
	}
	wantOut := "out\nterm=" + os.Getenv("TERM") + " pwd="
	if got := s.stdout.String(); !strings.HasPrefix(got, wantOut) || !strings.HasSuffix(got, "\nno-tty\n") {
		t.Fatalf("stdout %q, want %q... and no-tty", got, wantOut)
	}
	if got := s.stderr.String(); got != "err\n" {
		t.Fatalf("stderr %q", got)
	}
}

func TestShellStdinReachesCat(t *testing.T) {
	h := shellHost(t)
	s := h.openShell("cat", shellSpec{Command: []string{"cat"}})
	s.send('i', "hello\n")
	s.awaitStdout("hello\n")
	s.send('i', "world")
	s.send('c', "")
	// Input after stdin closed goes nowhere and does no harm.
	s.send('i', "lost")
	s.awaitEnd()
	if got := s.stdout.String(); got != "hello\nworld" || s.exit != 0 {
		t.Fatalf("stdout %q, exit %d", got, s.exit)
	}
}

func TestShellWithTTY(t *testing.T) {
	needPTY(t)
	h := shellHost(t)
	s := h.openShell("tty", shellSpec{TTY: true, Rows: 24, Cols: 80})
	// The command's text is echoed by the terminal, so every check computes what it prints.
	s.send('i', "test -t 0 && test -t 1 && echo tty-$((6*7)) term-$TERM\n")
	s.awaitStdout("tty-42 term-xterm-256color")
	s.send('i', "stty size\n")
	s.awaitStdout("24 80")
	s.in <- []byte{'r', 0, 0, 0, 4, 0, 50, 0, 132}
	s.send('i', "stty size\n")
	s.awaitStdout("50 132")
	s.send('i', "exit 7\n")
	s.awaitEnd()
	if s.exit != 7 {
		t.Fatalf("exit %d, want 7; output %q", s.exit, s.stdout.String())
	}
	if s.stderr.Len() != 0 {
		t.Fatalf("stderr frames with a tty: %q", s.stderr.String())
	}
}

func TestShellTTYEndOfInputAndCommand(t *testing.T) {
	needPTY(t)
	h := shellHost(t)
	s := h.openShell("tty-cat", shellSpec{Command: []string{"sh", "-c", "cat; stty size; exit 5"}, TTY: true, Rows: 30, Cols: 100, Term: "vt100"})
	s.send('i', "abc\n")
	s.awaitStdout("abc\r\nabc\r\n") // the echo, then cat's copy
	s.send('c', "")
	s.awaitEnd()
	if !strings.HasSuffix(s.stdout.String(), "30 100\r\n") || s.exit != 5 {
		t.Fatalf("stdout %q, exit %d", s.stdout.String(), s.exit)
	}
}

func TestShellBulkOutput(t *testing.T) {
	h := shellHost(t)
	s := h.openShell("bulk", shellSpec{Command: []string{"sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' a"}})
	s.awaitEnd()
	if got := s.stdout.String(); got != strings.Repeat("a", 1000000) || s.exit != 0 {
		t.Fatalf("%d bytes of stdout, exit %d", len(got), s.exit)
	}
}

func TestShellExitWithABackgroundProcessLeft(t *testing.T) {
	h := shellHost(t)
	// The background sleep keeps stdout open: the exit is sent after the drain's bound.
	s := h.openShell("bg", shellSpec{Command: []string{"sh", "-c", "echo $$; sleep 1000 & exit 2"}})
	s.awaitStdout("\n")
	pgid := atoi(t, strings.TrimSpace(s.stdout.String()))
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	start := time.Now()
	s.awaitEnd()
	if s.exit != 2 || time.Since(start) > shellDrain+5*time.Second {
		t.Fatalf("exit %d after %v", s.exit, time.Since(start))
	}
}

func TestShellMissingExecutable(t *testing.T) {
	h := shellHost(t)
	s := h.openShell("nope", shellSpec{Command: []string{"vmtask-no-such-command"}, TTY: true})
	s.awaitEnd()
	want := `exec: "vmtask-no-such-command": executable file not found in $PATH`
	if s.failed != want || s.exit != -1 || s.stdout.Len() != 0 {
		t.Fatalf("failed %q, exit %d, stdout %q; want failed %q", s.failed, s.exit, s.stdout.String(), want)
	}
}

func TestShellHangupKillsTheProcess(t *testing.T) {
	for _, tty := range []bool{false, true} {
		if tty {
			needPTY(t)
		}
		h := shellHost(t)
		s := h.openShell("hup", shellSpec{Command: []string{"sh", "-c", "echo ready; exec sleep 1000"}, TTY: tty})
		s.awaitStdout("ready")
		close(s.in)
		s.awaitEnd()
		if s.exit != 128+1 {
			t.Fatalf("tty %v: exit %d, want 129 (SIGHUP)", tty, s.exit)
		}
	}
}

func TestShellHangupThenKill(t *testing.T) {
	h := shellHost(t)
	s := h.openShell("nohup", shellSpec{Command: []string{"sh", "-c", `trap "" HUP; echo ready; sleep 1000`}})
	s.awaitStdout("ready")
	start := time.Now()
	close(s.in)
	s.awaitEnd()
	if s.exit != 128+9 {
		t.Fatalf("exit %d, want 137 (SIGKILL)", s.exit)
	}
	if d := time.Since(start); d < shellHangupGrace {
		t.Fatalf("killed after %v, before the grace of %v", d, shellHangupGrace)
	}
}

func TestShellProtocolErrorEndsTheSession(t *testing.T) {
	h := shellHost(t)
	s := h.openShell("big", shellSpec{Command: []string{"sh", "-c", "echo ready; exec sleep 1000"}})
	s.awaitStdout("ready")
	s.in <- []byte{'i', 0, 1, 0, 1} // 65537 bytes announced
	s.awaitEnd()
	if s.exit != 129 {
		t.Fatalf("exit %d, want 129", s.exit)
	}
}

func TestShellInputStreamRefused(t *testing.T) {
	h := shellHost(t)
	s := h.expectShell("refused")
	s.inputStatus = 404
	h.actions <- action{ID: "refused", Type: "shell", Shell: &shellSpec{Command: []string{"sleep", "1000"}}}
	s.awaitEnd()
	if s.exit != 129 {
		t.Fatalf("exit %d, want 129", s.exit)
	}
}

func TestShellSessionsRunConcurrently(t *testing.T) {
	h := shellHost(t)
	one := h.openShell("one", shellSpec{Command: []string{"cat"}})
	two := h.openShell("two", shellSpec{Command: []string{"sh"}})
	one.send('i', "first\n")
	one.awaitStdout("first\n")
	two.send('i', "echo second; exit 4\n")
	two.awaitEnd()
	one.send('i', "third\n")
	one.awaitStdout("third\n")
	one.send('c', "")
	one.awaitEnd()
	if one.exit != 0 || two.exit != 4 || two.stdout.String() != "second\n" {
		t.Fatalf("exits %d %d, second's stdout %q", one.exit, two.exit, two.stdout.String())
	}
}

func TestFrames(t *testing.T) {
	b := appendFrame(nil, 'o', []byte("hi"))
	if string(b) != "o\x00\x00\x00\x02hi" {
		t.Fatalf("frame %q", b)
	}
	r := strings.NewReader(string(b) + "x\x00\x00\x00\x00" + "i\x00\x00")
	for _, want := range []string{"o:hi", "x:"} {
		typ, p, err := readFrame(r)
		if err != nil || string(typ)+":"+string(p) != want {
			t.Fatalf("frame %q %q %v, want %s", typ, p, err, want)
		}
	}
	if _, _, err := readFrame(r); err == nil {
		t.Fatal("a truncated frame was read")
	}
}
