package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// input is one file the host copies into the guest before the command starts (the "inputs" of
// GET /engine/v1/execute); its content is GET /engine/v1/input?name=NAME.
type input struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Mode is the file's permission bits (setuid, setgid and sticky included); 0 means 0644.
	Mode uint32 `json:"mode"`
}

// inputFailedCode is the exit code reported when an input cannot be copied (the command does
// not run), as a shell's 126 and 127 for a command that cannot start.
const inputFailedCode = 125

// maxInputFailed bounds the X-Vmtask-Input-Failed header.
const maxInputFailed = 1000

// inputError is the failure of one input.
type inputError struct {
	path string
	err  error
}

func (e *inputError) Error() string { return oneLine(e.path) + ": " + oneLine(e.err.Error()) }

// fetchInputs copies the inputs into place, in order; it stops at the first one that fails.
func (a *agent) fetchInputs(ctx context.Context, inputs []input) *inputError {
	for _, in := range inputs {
		if err := a.fetchInput(ctx, in); err != nil {
			return &inputError{path: in.Path, err: err}
		}
		logf("input %s: %d bytes", oneLine(in.Path), in.Size)
	}
	return nil
}

// checkInput validates what can be checked without the host or the disk.
func checkInput(in input) error {
	switch {
	case !filepath.IsAbs(in.Path):
		return errors.New("not an absolute path")
	case containsDotDot(in.Path):
		return errors.New(`the path contains ".."`)
	case filepath.Clean(in.Path) != in.Path:
		return errors.New("the path is not clean")
	case in.Path == "/":
		return errors.New("the path names no file")
	case in.Size < 0:
		return fmt.Errorf("negative size %d", in.Size)
	case in.Mode > 0o7777:
		return fmt.Errorf("mode %#o is more than permission bits", in.Mode)
	}
	if b, err := hex.DecodeString(in.SHA256); err != nil || len(b) != sha256.Size {
		return fmt.Errorf("sha256 %q is not 64 hex digits", in.SHA256)
	}
	return nil
}

func containsDotDot(p string) bool {
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			return true
		}
	}
	return false
}

// fileMode converts Unix permission bits to an os.FileMode (os.Chmod ignores the raw
// setuid, setgid and sticky bits).
func fileMode(m uint32) os.FileMode {
	if m == 0 {
		m = 0o644
	}
	mode := os.FileMode(m) & os.ModePerm
	if m&0o4000 != 0 {
		mode |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= os.ModeSticky
	}
	return mode
}

// fetchInput downloads one input to a temporary file next to its path, checks its size and
// digest, and renames it over the path.
func (a *agent) fetchInput(ctx context.Context, in input) error {
	if err := checkInput(in); err != nil {
		return err
	}
	target := "/engine/v1/input?name=" + url.QueryEscape(in.Name)
	req, err := http.NewRequestWithContext(ctx, "GET", a.c.base+target, nil)
	if err != nil {
		return err
	}
	// No response-header timeout: the host may stream a large file from far away.
	resp, err := a.c.slow.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %s: %s", target, resp.Status, firstLine(resp.Body))
	}

	dir := filepath.Dir(in.Path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if st, err := os.Lstat(in.Path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory", in.Path)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(in.Path)+".vmtask-*")
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if !renamed {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	// One byte more than expected is enough to know the body is too long.
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, in.Size+1))
	if err != nil {
		return fmt.Errorf("after %d bytes: %w", n, err)
	}
	if n > in.Size {
		return fmt.Errorf("the host sent more than %d bytes", in.Size)
	}
	if n < in.Size {
		return fmt.Errorf("the host sent %d bytes, want %d", n, in.Size)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(sum, in.SHA256) {
		return fmt.Errorf("sha256 %s, want %s", sum, strings.ToLower(in.SHA256))
	}
	if err := f.Chmod(fileMode(in.Mode)); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), in.Path); err != nil {
		var le *os.LinkError
		if errors.As(err, &le) {
			// The temporary name means nothing to the task.
			return &fs.PathError{Op: "rename", Path: in.Path, Err: le.Err}
		}
		return err
	}
	renamed = true
	return nil
}

// firstLine of an error body, at most 200 bytes of it.
func firstLine(r io.Reader) string {
	line, _ := bufio.NewReaderSize(io.LimitReader(r, 200), 256).ReadString('\n')
	return strings.TrimSpace(line)
}

// oneLine replaces control characters (CR and LF included) with spaces, for a log line or a
// header value.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// headerValue is s cut to at most max bytes, on a UTF-8 character boundary.
func headerValue(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// failInput streams the failure to the task log; the caller reports the task as failed.
func (a *agent) failInput(ctx context.Context, ie *inputError) {
	logf("input %v", ie)
	msg := "vmtask-guest: input " + ie.Error() + "\n"
	if err := a.streamLog(ctx, strings.NewReader(msg)); err != nil {
		logf("%v", err)
	}
}
