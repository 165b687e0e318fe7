package main

import (
	"net/http"
	"testing"
	"time"
)

func TestClockIsSetOnlyWhenOffByMoreThanASecond(t *testing.T) {
	var set []time.Time
	settimeofday = func(t time.Time) error { set = append(set, t); return nil }
	t.Cleanup(func() { settimeofday = func(time.Time) error { panic("settimeofday reached in a test") } })

	a := &agent{setClock: true}
	now := time.Now()
	a.syncClock(now.Add(300 * time.Millisecond).Format(time.RFC3339Nano))
	a.syncClock("not a time")
	a.syncClock("")
	if len(set) != 0 {
		t.Fatalf("clock set to %v", set)
	}
	later := now.Add(time.Hour).Round(0)
	a.syncClock(later.Format(time.RFC3339Nano))
	if len(set) != 1 || !set[0].Equal(later) {
		t.Fatalf("clock set to %v, want %v", set, later)
	}
	(&agent{setClock: false}).syncClock(later.Format(time.RFC3339Nano))
	if len(set) != 1 {
		t.Fatal("clock set despite VMTASK_SET_CLOCK=0")
	}
}

func TestClockFromTheExecuteResponse(t *testing.T) {
	set := make(chan time.Time, 1)
	settimeofday = func(t time.Time) error { set <- t; return nil }
	t.Cleanup(func() { settimeofday = func(time.Time) error { panic("settimeofday reached in a test") } })

	h := newFakeHost(t, sh("true"))
	host := time.Date(2031, 2, 3, 4, 5, 6, 789, time.UTC)
	h.execHeader = http.Header{"X-Vmtask-Time": {host.Format(time.RFC3339Nano)}}
	start(t, newTestAgent(t, h))
	h.awaitResult()
	select {
	case got := <-set:
		if !got.Equal(host) {
			t.Fatalf("clock set to %v, want %v", got, host)
		}
	default:
		t.Fatal("clock not set")
	}
}
