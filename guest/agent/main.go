// Command vmtask-guest is the guest side of the vmtask metadata protocol (taskcluster's
// /engine/v1, JSON variants): it fetches the task command from the host, runs it, streams its
// output to the task log, reports the exit code and answers the host's actions (artifacts,
// kill, shutdown, shell sessions) until the VM is powered off.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
)

// version is overridden at link time (-X main.version=...) when a release needs a label.
var version = "dev"

const usage = `usage: vmtask-guest [run|post-log|version]
  run       wait for the host, run the task command, report its result, answer actions (default)
  post-log  stream stdin to the task log
  version   print the version
environment: VMTASK_METADATA_HOST (169.254.169.254), VMTASK_METADATA_PORT (80),
  VMTASK_WORKDIR (/root), VMTASK_SHUTDOWN_CMD (replaces sync + power off), VMTASK_SET_CLOCK (0: never)
`

// logOut receives the agent's messages: stderr, which the unit and the test guest's init send
// to the serial console.
var logOut io.Writer = os.Stderr

func logf(format string, args ...any) {
	fmt.Fprintf(logOut, "vmtask-guest: "+format+"\n", args...)
}

func main() {
	cmd := "run"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	switch cmd {
	case "run":
		a := newAgentFromEnv()
		handleSignals(a)
		a.run(context.Background())
		// The VM powers off from the host (or the shutdown action); until then actions go on.
		select {}
	case "post-log":
		a := newAgentFromEnv()
		if err := a.streamLog(context.Background(), os.Stdin); err != nil {
			logf("post-log: %v", err)
			os.Exit(1)
		}
	case "version":
		fmt.Println("vmtask-guest", version)
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func newAgentFromEnv() *agent {
	host := env("VMTASK_METADATA_HOST", "169.254.169.254")
	port := env("VMTASK_METADATA_PORT", "80")
	return &agent{
		c:           newClient("http://" + net.JoinHostPort(host, port)),
		hostPort:    net.JoinHostPort(host, port),
		workdir:     env("VMTASK_WORKDIR", "/root"),
		shutdownCmd: os.Getenv("VMTASK_SHUTDOWN_CMD"),
		setClock:    os.Getenv("VMTASK_SET_CLOCK") != "0",
		t:           defaultTiming,
	}
}

// handleSignals ends the task's whole process group with the agent, so nothing it started
// outlives a stopped agent (systemd stop, Ctrl-C while testing on a workstation).
func handleSignals(a *agent) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-ch
		logf("%v: killing the command", s)
		a.killCommand()
		os.Exit(143)
	}()
}
