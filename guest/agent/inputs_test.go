package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newInput describes content as the host would: its size and digest.
func newInput(name, path string, content string, mode uint32) input {
	sum := sha256.Sum256([]byte(content))
	return input{Name: name, Path: path, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), Mode: mode}
}

// inputHost is a fake host whose task has inputs and a command that leaves a marker file in
// the agent's working directory, so a test can tell whether it ran.
func inputHost(t *testing.T, script string, files map[string]string, inputs ...input) (*fakeHost, *agent) {
	tk := sh(script + "; touch marker")
	tk.Inputs = inputs
	h := newFakeHost(t, tk)
	h.inputs = map[string][]byte{}
	for name, content := range files {
		h.inputs[name] = []byte(content)
	}
	return h, newTestAgent(t, h)
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode()
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// awaitInputFailure waits for the task to fail because of an input and checks that the command
// did not run; it returns the X-Vmtask-Input-Failed header.
func awaitInputFailure(t *testing.T, h *fakeHost, a *agent, done <-chan int) string {
	t.Helper()
	if r := h.awaitResult(); r != (result{"/engine/v1/failed", "125"}) {
		t.Fatalf("result %v, want failed with 125", r)
	}
	if code := <-done; code != 125 {
		t.Fatalf("run returned %d", code)
	}
	if _, err := os.Stat(filepath.Join(a.workdir, "marker")); !os.IsNotExist(err) {
		t.Fatalf("the command ran (marker: %v)", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.inputFailed) != 1 {
		t.Fatalf("input failures reported %q", h.inputFailed)
	}
	return h.inputFailed[0]
}

func TestInputsArriveBeforeTheCommandRuns(t *testing.T) {
	root := t.TempDir()
	text := filepath.Join(root, "x", "a", "in.txt")
	tool := filepath.Join(root, "x", "b", "c", "tool")
	// An existing file is replaced, mode included.
	if err := os.MkdirAll(filepath.Dir(tool), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tool, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"0": "hello input\n", "1": "#!/bin/sh\necho from tool\n"}
	h, a := inputHost(t, "cat "+text+" && "+tool, files,
		newInput("0", text, files["0"], 0), newInput("1", tool, files["1"], 0o750))
	done := start(t, a)

	if r := h.awaitResult(); r != (result{"/engine/v1/success", "0"}) {
		t.Fatalf("result %v; log %q", r, h.logText())
	}
	<-done
	if got := h.logText(); got != "hello input\nfrom tool\n" {
		t.Fatalf("log %q", got)
	}
	if m := mode(t, text); m != 0o644 {
		t.Fatalf("%s has mode %v, want the default 0644", text, m)
	}
	if m := mode(t, tool); m != 0o750 {
		t.Fatalf("%s has mode %v", tool, m)
	}
	if m := mode(t, filepath.Dir(text)); !m.IsDir() {
		t.Fatalf("%s has mode %v", filepath.Dir(text), m)
	}
	for dir, want := range map[string]string{filepath.Dir(text): "in.txt", filepath.Dir(tool): "tool"} {
		if got := strings.Join(entries(t, dir), " "); got != want {
			t.Fatalf("%s holds %q, want %q", dir, got, want)
		}
	}
	if got := strings.Join(h.inputGets, " "); got != "0 1" {
		t.Fatalf("inputs fetched: %q", got)
	}
}

func TestAnInputThatDoesNotMatchFailsTheTask(t *testing.T) {
	const content = "0123456789"
	for _, tc := range []struct {
		name string
		edit func(*input)
		want string
	}{
		{"short body", func(in *input) { in.Size++ }, "the host sent 10 bytes, want 11"},
		{"long body", func(in *input) { in.Size-- }, "the host sent more than 9 bytes"},
		{"digest", func(in *input) { in.SHA256 = strings.Repeat("ab", 32) }, "sha256 84d89877"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			good := newInput("good", filepath.Join(root, "good", "in"), content, 0)
			bad := newInput("bad", filepath.Join(root, "bad", "in"), content, 0)
			tc.edit(&bad)
			never := newInput("never", filepath.Join(root, "never", "in"), content, 0)
			files := map[string]string{"good": content, "bad": content, "never": content}
			h, a := inputHost(t, "true", files, good, bad, never)
			done := start(t, a)

			got := awaitInputFailure(t, h, a, done)
			if want := bad.Path + ": " + tc.want; !strings.HasPrefix(got, want) {
				t.Fatalf("X-Vmtask-Input-Failed %q, want %q…", got, want)
			}
			h.awaitLog("vmtask-guest: input " + got + "\n")
			if names := entries(t, filepath.Join(root, "bad")); len(names) != 0 {
				t.Fatalf("left behind: %q", names)
			}
			if _, err := os.Stat(never.Path); !os.IsNotExist(err) {
				t.Fatalf("%s: %v", never.Path, err)
			}
			if got := strings.Join(h.inputGets, " "); got != "good bad" {
				t.Fatalf("inputs fetched: %q", got)
			}
		})
	}
}

func TestInputPathsThatAreRejected(t *testing.T) {
	root := t.TempDir()
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string
		// fetched: the path can only be refused once the file is there.
		fetched bool
	}{
		{"vmtask-test-relative/in", "not an absolute path", false},
		{root + "/x/../y/in", `the path contains ".."`, false},
		{root + "/x/..", `the path contains ".."`, false},
		{root + "//x/in", "the path is not clean", false},
		{root + "/x/in/", "the path is not clean", false},
		{"/", "the path names no file", false},
		{root + "/dir", root + "/dir is a directory", true},
	} {
		t.Run(tc.path, func(t *testing.T) {
			h, a := inputHost(t, "true", map[string]string{"0": "content"}, newInput("0", tc.path, "content", 0))
			done := start(t, a)
			got := awaitInputFailure(t, h, a, done)
			if want := tc.path + ": " + tc.want; got != want {
				t.Fatalf("X-Vmtask-Input-Failed %q, want %q", got, want)
			}
			if fetched := len(h.inputGets) > 0; fetched != tc.fetched {
				t.Fatalf("input fetched: %v", fetched)
			}
			for _, dir := range []string{cwd, a.workdir} {
				if _, err := os.Stat(filepath.Join(dir, "vmtask-test-relative")); !os.IsNotExist(err) {
					t.Fatalf("created in %s: %v", dir, err)
				}
			}
			if got := strings.Join(entries(t, root), " "); got != "dir" {
				t.Fatalf("%s holds %q", root, got)
			}
			if got := entries(t, filepath.Join(root, "dir")); len(got) != 0 {
				t.Fatalf("%s/dir holds %q", root, got)
			}
		})
	}
}

func TestAnInputTheHostDoesNotHave(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "sub", "in")
	h, a := inputHost(t, "true", nil, newInput("missing", path, "content", 0))
	done := start(t, a)
	got := awaitInputFailure(t, h, a, done)
	want := path + `: GET /engine/v1/input?name=missing: HTTP 404 Not Found: {"code":"ResourceNotFound","message":"no input missing"}`
	if got != want {
		t.Fatalf("X-Vmtask-Input-Failed %q, want %q", got, want)
	}
	if names := entries(t, root); len(names) != 0 {
		t.Fatalf("created %q", names)
	}
}

func TestTheInputFailedHeaderIsOneBoundedLine(t *testing.T) {
	root := t.TempDir()
	path := root + "/new\r\nline/" + strings.Repeat("é", 600)
	h, a := inputHost(t, "true", nil, newInput("missing", path, "content", 0))
	done := start(t, a)
	got := awaitInputFailure(t, h, a, done)
	if len(got) > 1000 || strings.ContainsAny(got, "\r\n") || !strings.HasPrefix(got, root+"/new  line/é") {
		t.Fatalf("X-Vmtask-Input-Failed of %d bytes: %q", len(got), got)
	}
	if !strings.HasSuffix(got, "é") {
		t.Fatalf("cut inside a character: %q", got[len(got)-10:])
	}
	h.awaitLog("vmtask-guest: input " + root + "/new  line/")
}

func TestFileMode(t *testing.T) {
	for m, want := range map[uint32]os.FileMode{
		0:      0o644,
		0o600:  0o600,
		0o755:  0o755,
		0o4755: os.ModeSetuid | 0o755,
		0o2750: os.ModeSetgid | 0o750,
		0o1777: os.ModeSticky | 0o777,
	} {
		if got := fileMode(m); got != want {
			t.Errorf("fileMode(%#o) = %v, want %v", m, got, want)
		}
	}
}
