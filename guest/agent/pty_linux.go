package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"unsafe"
)

// ioctl on a file through SyscallConn: f.Fd() would switch the file to blocking mode, and a
// blocking master could not be closed from under a pending Read.
func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// openPTY allocates a pseudo-terminal with the standard library only (no openpty in libc
// without cgo): the master from /dev/ptmx, unlocked, and its slave /dev/pts/N. If that fails
// because devpts is not mounted (a minimal init), it is mounted on /dev/pts once and tried
// again.
func openPTY() (master, slave *os.File, err error) {
	master, slave, err = openPTYOnce()
	if err == nil {
		return master, slave, nil
	}
	if _, statErr := os.Stat("/dev/pts/ptmx"); statErr == nil {
		return nil, nil, err // devpts is there: mounting it again would not help
	}
	mounted := false
	devptsOnce.Do(func() { mounted = mountDevpts() })
	if !mounted {
		return nil, nil, err
	}
	return openPTYOnce()
}

var devptsOnce sync.Once

// mountDevpts mounts a devpts on /dev/pts, as init systems do (group tty, 620 for the slaves).
func mountDevpts() bool {
	if err := os.MkdirAll("/dev/pts", 0o755); err != nil {
		logf("shell: creating /dev/pts: %v", err)
		return false
	}
	if err := syscall.Mount("devpts", "/dev/pts", "devpts", syscall.MS_NOSUID|syscall.MS_NOEXEC,
		"gid=5,mode=620,ptmxmode=666"); err != nil {
		logf("shell: mounting devpts on /dev/pts: %v", err)
		return false
	}
	logf("shell: mounted devpts on /dev/pts")
	return true
}

func openPTYOnce() (*os.File, *os.File, error) {
	// O_NOCTTY here and for the slave: the agent must never get a controlling terminal (under
	// systemd it is a session leader, and a session's first tty opened becomes its terminal).
	flags := os.O_RDWR | syscall.O_NOCTTY
	master, err := os.OpenFile("/dev/ptmx", flags, 0)
	if os.IsNotExist(err) {
		// No /dev/ptmx node (a /dev without devtmpfs): devpts' own multiplexer does the same.
		master, err = os.OpenFile("/dev/pts/ptmx", flags, 0)
	}
	if err != nil {
		return nil, nil, err
	}
	unlock := int32(0)
	if err := ioctl(master, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlocking the pseudo-terminal: %w", err)
	}
	var n uint32
	if err := ioctl(master, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("getting the pseudo-terminal's number: %w", err)
	}
	slave, err := os.OpenFile("/dev/pts/"+strconv.FormatUint(uint64(n), 10), flags, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

// setWinsize sets the terminal's size (struct winsize: rows, columns, then pixels, unused);
// the kernel sends SIGWINCH to the terminal's foreground process group when it changes.
func setWinsize(master *os.File, rows, cols uint16) error {
	ws := [4]uint16{rows, cols, 0, 0}
	return ioctl(master, syscall.TIOCSWINSZ, unsafe.Pointer(&ws))
}
