package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// actionHost is a fake host whose command has ended; the test sends actions.
func actionHost(t *testing.T) (*fakeHost, *agent) {
	h := newFakeHost(t, sh("true"))
	a := newTestAgent(t, h)
	start(t, a)
	h.awaitResult()
	return h, a
}

func (h *fakeHost) ask(act action) reply {
	h.t.Helper()
	h.actions <- act
	r := h.awaitReply()
	if r.id != act.ID {
		h.t.Fatalf("reply to %q, want %q", r.id, act.ID)
	}
	return r
}

func TestGetArtifact(t *testing.T) {
	h, a := actionHost(t)
	file := filepath.Join(a.workdir, "out.bin")
	content := []byte("binary\x00\xff\n")
	if err := os.WriteFile(file, content, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(a.workdir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}

	for _, path := range []string{file, link} {
		r := h.ask(action{ID: "a&b=c", Type: "get-artifact", Path: path})
		if string(r.body) != string(content) {
			t.Fatalf("%s: body %q", path, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Fatalf("content type %q", ct)
		}
		if cl := r.header.Get("Content-Length"); cl != strconv.Itoa(len(content)) {
			t.Fatalf("content length %q", cl)
		}
		if e := r.header.Get("X-Taskcluster-Worker-Error"); e != "" {
			t.Fatalf("error header %q", e)
		}
	}
	for _, path := range []string{filepath.Join(a.workdir, "missing"), a.workdir} {
		r := h.ask(action{ID: "2", Type: "get-artifact", Path: path})
		if e := r.header.Get("X-Taskcluster-Worker-Error"); e != "file-not-found" || len(r.body) != 0 {
			t.Fatalf("%s: error %q, body %q", path, e, r.body)
		}
	}
}

func TestListFolder(t *testing.T) {
	h, a := actionHost(t)
	dir := filepath.Join(a.workdir, "d")
	other := t.TempDir()
	for _, f := range []string{"d/s/one", "d/t w", "d/\"q\"", "outside"} {
		p := filepath.Join(a.workdir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(other, "hidden"), nil, 0o644)
	// Symlinks are not regular files and a symlinked directory is not entered.
	os.Symlink(other, filepath.Join(dir, "linked-dir"))
	os.Symlink(filepath.Join(a.workdir, "outside"), filepath.Join(dir, "linked-file"))
	os.MkdirAll(filepath.Join(dir, "empty"), 0o755)

	r := h.ask(action{ID: "l", Type: "list-folder", Path: dir})
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	var got listing
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("%q: %v", r.body, err)
	}
	want := listing{Files: []string{dir + "/\"q\"", dir + "/s/one", dir + "/t w"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("listing %+v, want %+v", got, want)
	}

	// A symlink given as the directory is followed, as test -d does.
	link := filepath.Join(a.workdir, "dlink")
	os.Symlink(dir, link)
	if got := listFiles(link).Files; len(got) != 3 || got[0] != link+"/\"q\"" {
		t.Fatalf("through a symlink: %q", got)
	}

	for _, path := range []string{filepath.Join(a.workdir, "missing"), filepath.Join(a.workdir, "outside")} {
		r := h.ask(action{ID: "n", Type: "list-folder", Path: path})
		if string(r.body) != `{"notFound":true,"files":[]}` {
			t.Fatalf("%s: %s", path, r.body)
		}
	}
	r = h.ask(action{ID: "e", Type: "list-folder", Path: filepath.Join(dir, "empty")})
	if string(r.body) != `{"notFound":false,"files":[]}` {
		t.Fatalf("empty dir: %s", r.body)
	}
}

func TestShutdownRunsTheShutdownCommandInstead(t *testing.T) {
	h, a := actionHost(t)
	marker := filepath.Join(a.workdir, "shut")
	a.shutdownCmd = "echo down > " + marker
	if r := h.ask(action{ID: "s", Type: "shutdown"}); len(r.body) != 0 {
		t.Fatalf("reply body %q", r.body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if b, _ := os.ReadFile(marker); string(b) == "down\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shutdown command did not run")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestShutdownRepliesThenSyncsAndPowersOff(t *testing.T) {
	h, a := actionHost(t)
	a.shutdownCmd = ""
	events := make(chan string, 3)
	syncDisks = func() { events <- "sync" }
	powerOff = func() error { events <- "power off"; return nil }
	t.Cleanup(func() {
		syncDisks = func() {}
		powerOff = func() error { panic("powerOff reached in a test") }
	})
	h.actions <- action{ID: "s", Type: "shutdown"}
	h.awaitReply()
	for _, want := range []string{"sync", "power off"} {
		select {
		case got := <-events:
			if got != want {
				t.Fatalf("%s, want %s", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s", want)
		}
	}
}
