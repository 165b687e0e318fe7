package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// action is the answer of GET /engine/v1/poll; type "none" means the poll timed out.
type action struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Path string `json:"path"`
	// Shell is the request of a "shell" action.
	Shell *shellSpec `json:"shell,omitempty"`
}

// powerOff and syncDisks are variables so that no test can reach the real reboot syscall.
var (
	powerOff  = func() error { return syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF) }
	syncDisks = syscall.Sync
)

// pollLoop long-polls for actions until ctx ends and answers each in its own goroutine, so a
// slow artifact upload does not hold up a kill or a shutdown.
func (a *agent) pollLoop(ctx context.Context) {
	failing := false
	for ctx.Err() == nil {
		act, err := a.poll(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// One line per outage, not one per second.
			if !failing {
				logf("polling for actions: %v (retrying every %v)", err, a.t.pollError)
				failing = true
			}
			select {
			case <-ctx.Done():
			case <-time.After(a.t.pollError):
			}
			continue
		}
		if failing {
			logf("polling for actions again")
			failing = false
		}
		if act.Type != "none" && act.Type != "" {
			go a.handle(ctx, act)
		}
	}
}

func (a *agent) poll(ctx context.Context) (action, error) {
	ctx, cancel := context.WithTimeout(ctx, a.t.pollTimeout)
	defer cancel()
	var act action
	resp, err := a.c.do(ctx, request{method: "GET", path: "/engine/v1/poll", slow: true})
	if err != nil {
		return act, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&act)
	return act, err
}

// replyBody is one reply to an action; open makes it afresh for every attempt.
type replyBody struct {
	body   io.ReadCloser
	length int64
	header http.Header
}

func emptyReply() (replyBody, error) { return replyBody{}, nil }

func (a *agent) handle(ctx context.Context, act action) {
	var err error
	switch act.Type {
	case "get-artifact":
		err = a.reply(ctx, act, func() (replyBody, error) { return artifactReply(act.Path) })
	case "list-folder":
		err = a.reply(ctx, act, func() (replyBody, error) { return listingReply(act.Path) })
	case "kill-process":
		logf("kill-process: killing the command")
		a.killCommand()
		err = a.reply(ctx, act, emptyReply)
	case "shell":
		// Answered on streams of its own (shell.go), not with a reply; it logs its own errors.
		a.runShell(ctx, act)
		return
	case "shutdown":
		// Reply first: the host waits for the answer, then for the VM to stop.
		err = a.reply(ctx, act, emptyReply)
		a.shutdown()
	default:
		logf("ignoring action %q of unknown type %q", act.ID, act.Type)
		return
	}
	if err != nil {
		logf("replying to %s %s: %v", act.Type, act.ID, err)
	}
}

func (a *agent) reply(ctx context.Context, act action, open func() (replyBody, error)) error {
	return retry(ctx, a.t.replyRetry, "replying to "+act.Type, func() error {
		r, err := open()
		if err != nil {
			return err
		}
		return a.c.call(ctx, request{
			method: "POST", path: "/engine/v1/reply?id=" + url.QueryEscape(act.ID),
			body: r.body, length: r.length, header: r.header, slow: true,
		})
	})
}

// artifactReply is the file as the body if path is a readable regular file (following
// symlinks, like test -f), else an empty body with taskcluster's file-not-found error.
func artifactReply(path string) (replyBody, error) {
	notFound := replyBody{header: http.Header{"X-Taskcluster-Worker-Error": {"file-not-found"}}}
	f, err := os.Open(path)
	if err != nil {
		return notFound, nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return notFound, nil
	}
	return replyBody{
		body:   f,
		length: st.Size(),
		header: http.Header{"Content-Type": {"application/octet-stream"}},
	}, nil
}

type listing struct {
	NotFound bool     `json:"notFound"`
	Files    []string `json:"files"`
}

// listFiles lists the regular files under dir (absolute paths if dir is). A symlink given as
// dir is followed, as test -d does; symlinks below it are not.
func listFiles(dir string) listing {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return listing{NotFound: true, Files: []string{}}
	}
	files := []string{}
	// The trailing separator makes WalkDir's first Lstat follow a symlinked dir.
	_ = filepath.WalkDir(dir+string(filepath.Separator), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// An unreadable subdirectory is left out; the rest is still listed.
			if !errors.Is(err, fs.ErrNotExist) {
				logf("list-folder: %v", err)
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	return listing{Files: files}
}

func listingReply(dir string) (replyBody, error) {
	b, err := json.Marshal(listFiles(dir))
	if err != nil {
		return replyBody{}, err
	}
	return replyBody{
		body:   io.NopCloser(bytes.NewReader(b)),
		length: int64(len(b)),
		header: http.Header{"Content-Type": {"application/json"}},
	}, nil
}

// shutdown powers the VM off, or runs VMTASK_SHUTDOWN_CMD instead (tests, images with an init
// that must be asked).
func (a *agent) shutdown() {
	if a.shutdownCmd != "" {
		logf("shutdown: running %s", a.shutdownCmd)
		c := exec.Command("/bin/sh", "-c", a.shutdownCmd)
		c.Stdout, c.Stderr = os.Stderr, os.Stderr
		if err := c.Run(); err != nil {
			logf("shutdown command: %v", err)
		}
		return
	}
	logf("shutdown: syncing and powering off")
	syncDisks()
	if err := powerOff(); err != nil {
		logf("power off: %v", err)
	}
}
