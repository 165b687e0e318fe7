package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// agentProcess runs this test binary as vmtask-guest (TestMain calls main()).
func agentProcess(t *testing.T, env []string, args ...string) *exec.Cmd {
	c := exec.Command(os.Args[0], args...)
	c.Env = append(os.Environ(), append([]string{"VMTASK_TEST_RUN_MAIN=1", "VMTASK_SHUTDOWN_CMD=true"}, env...)...)
	return c
}

func TestUsage(t *testing.T) {
	c := agentProcess(t, nil, "bogus")
	var stderr strings.Builder
	c.Stderr = &stderr
	err := c.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.HasPrefix(stderr.String(), "usage: vmtask-guest") {
		t.Fatalf("exit %v, stderr %q", err, stderr.String())
	}
	out, err := agentProcess(t, nil, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "vmtask-guest ") {
		t.Fatalf("version: %q, %v", out, err)
	}
}

func TestSIGTERMKillsTheCommandAndExits143(t *testing.T) {
	h := newFakeHost(t, sh(`echo $$ > pid; sleep 100`))
	work := t.TempDir()
	c := agentProcess(t, []string{
		"VMTASK_METADATA_HOST=127.0.0.1", "VMTASK_METADATA_PORT=" + h.port(), "VMTASK_WORKDIR=" + work,
	}, "run")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	deadline := time.Now().Add(10 * time.Second)
	for pid == 0 {
		if b, err := os.ReadFile(filepath.Join(work, "pid")); err == nil && strings.HasSuffix(string(b), "\n") {
			pid = atoi(t, strings.TrimSpace(string(b)))
		} else if time.Now().After(deadline) {
			t.Fatal("the command did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.Process.Signal(syscall.SIGTERM)
	err := c.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Fatalf("agent exit %v, want 143", err)
	}
	// The command (a child of the agent) is a zombie at most, reaped by init.
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("command %d still running", pid)
}
