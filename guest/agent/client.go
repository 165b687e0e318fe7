package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// client speaks HTTP to the metadata service. Keep-alive is off: on the host each TCP
// connection is forwarded through QEMU's guestfwd and socat, so one request per connection is
// the well-trodden path there.
type client struct {
	base string
	// quick has a response-header timeout: ping, execute, results and small replies are
	// answered at once by the host.
	quick *http.Client
	// slow has none: the host answers a log or artifact upload only after the whole body, and
	// holds a poll for up to 30 s; callers bound those with a context where needed.
	slow *http.Client
}

var dialer = &net.Dialer{Timeout: 5 * time.Second}

func newTransport(headerTimeout time.Duration) *http.Transport {
	return &http.Transport{
		// No Proxy: the metadata service is link-local, a proxy from the image's env would break it.
		DialContext:           dialer.DialContext,
		DisableKeepAlives:     true,
		ResponseHeaderTimeout: headerTimeout,
	}
}

// uploadClient is a client for one streamed upload that calls lost when the host closes the
// connection. net/http only notices that when it next writes the body, which for a quiet
// command may be much later and would lose that next write; lost lets the body end at once.
func uploadClient(lost func()) *http.Client {
	t := newTransport(0)
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &watchedConn{Conn: c, lost: lost}, nil
	}
	return &http.Client{Transport: t}
}

// watchedConn reports the first failed read (EOF included): the host hung up.
type watchedConn struct {
	net.Conn
	lost func()
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.lost()
	}
	return n, err
}

func newClient(base string) *client {
	return &client{
		base:  strings.TrimRight(base, "/"),
		quick: &http.Client{Transport: newTransport(20 * time.Second)},
		slow:  &http.Client{Transport: newTransport(0)},
	}
}

// statusError is a non-2xx answer; the host's errors are JSON {"code","message"}.
type statusError struct {
	status  int
	code    string
	message string
}

func (e *statusError) Error() string {
	if e.code != "" {
		return fmt.Sprintf("HTTP %d %s: %s", e.status, e.code, e.message)
	}
	return fmt.Sprintf("HTTP %d", e.status)
}

// retriable reports whether trying again can help: network errors and 5xx can, 4xx cannot.
func retriable(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.status >= 500 || se.status == http.StatusRequestTimeout || se.status == http.StatusTooManyRequests
	}
	return !errors.Is(err, context.Canceled)
}

type request struct {
	method string
	path   string
	body   io.Reader
	// length of body; -1 sends it chunked (unknown length).
	length int64
	header http.Header
	slow   bool
	// via replaces the client chosen by slow.
	via *http.Client
}

// do sends one request. A 2xx response is returned for the caller to read and close; any other
// status becomes a *statusError.
func (c *client) do(ctx context.Context, r request) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, r.body)
	if err != nil {
		return nil, err
	}
	if r.body != nil {
		req.ContentLength = r.length
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	hc := c.quick
	if r.slow {
		hc = c.slow
	}
	if r.via != nil {
		hc = r.via
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	se := &statusError{status: resp.StatusCode}
	var body struct{ Code, Message string }
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) == nil {
		se.code, se.message = body.Code, body.Message
	}
	return nil, se
}

// call sends a request and discards the response body.
func (c *client) call(ctx context.Context, r request) error {
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return err
}

// backoff is a retry schedule: the wait doubles from min to max, for at most tries attempts
// (0: no limit).
type backoff struct {
	min, max time.Duration
	tries    int
}

// retry calls f until it succeeds, fails with a non-retriable error, runs out of tries or ctx
// ends, logging each failure with what.
func retry(ctx context.Context, b backoff, what string, f func() error) error {
	wait := b.min
	for try := 1; ; try++ {
		err := f()
		if err == nil || !retriable(err) || try == b.tries {
			return err
		}
		logf("%s: %v (retrying in %v)", what, err, wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, b.max)
	}
}
