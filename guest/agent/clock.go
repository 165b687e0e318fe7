package main

import (
	"syscall"
	"time"
)

// settimeofday is a variable so that the tests never set the test machine's clock.
var settimeofday = func(t time.Time) error {
	tv := syscall.NsecToTimeval(t.UnixNano())
	return syscall.Settimeofday(&tv)
}

// maxSkew is what the guest's clock may differ from the host's before it is set. Setting it
// only beyond that means the agent run on the host itself never touches its clock.
const maxSkew = time.Second

// syncClock sets the clock to the host's (header X-Vmtask-Time, RFC 3339): a guest without an
// RTC or NTP would otherwise start in 1970 or wherever its image left it.
func (a *agent) syncClock(header string) {
	if header == "" {
		return
	}
	host, err := time.Parse(time.RFC3339Nano, header)
	if err != nil {
		logf("ignoring X-Vmtask-Time %q: %v", header, err)
		return
	}
	skew := host.Sub(time.Now())
	if skew.Abs() <= maxSkew {
		return
	}
	if !a.setClock {
		logf("clock is off from the host's by %v; not set (VMTASK_SET_CLOCK=0)", skew)
		return
	}
	if err := settimeofday(host); err != nil {
		logf("setting the clock to the host's %s (off by %v): %v", header, skew, err)
		return
	}
	logf("clock set to the host's %s (was off by %v)", header, skew)
}
