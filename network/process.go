package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pidRecord identifies a process the network started. The kernel's start
// time of the process is kept with the PID, so that a PID reused by an
// unrelated process after a reboot or crash is never taken for ours.
type pidRecord struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"` // clock ticks since boot, /proc/<pid>/stat field 22
	Cmd   string `json:"cmd"`
}

// startProcess starts a node detached from the caller (its own session, so
// a terminal hang-up or Ctrl-C of `certledger network up` does not reach
// it), logging to logPath, and records it in pidPath.
func startProcess(bin string, env []string, logPath, pidPath string, args ...string) (pidRecord, error) {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return pidRecord{}, err
	}
	if err := os.MkdirAll(filepath.Dir(pidPath), 0o755); err != nil {
		return pidRecord{}, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return pidRecord{}, err
	}
	fmt.Fprintf(logf, "=== %s started by certledger network: %s %s\n",
		time.Now().Format(time.RFC3339), bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return pidRecord{}, err
	}
	// Reap the child if it exits while we still run (tests keep running for
	// minutes); once we exit, init adopts and reaps it.
	go func() {
		cmd.Wait()
		logf.Close()
	}()
	rec := pidRecord{PID: cmd.Process.Pid, Cmd: bin}
	rec.Start, _ = procStartTime(rec.PID)
	b, err := json.Marshal(rec)
	if err != nil {
		return rec, err
	}
	return rec, writeFileAtomic(pidPath, b, 0o644)
}

// readPID returns the recorded process if it is still alive.
func readPID(pidPath string) (pidRecord, bool) {
	b, err := os.ReadFile(pidPath)
	if err != nil {
		return pidRecord{}, false
	}
	var rec pidRecord
	if json.Unmarshal(b, &rec) != nil || rec.PID <= 0 {
		return pidRecord{}, false
	}
	return rec, alive(rec)
}

// alive reports whether the recorded process still runs (not a zombie)
// and is the one recorded.
func alive(rec pidRecord) bool {
	if syscall.Kill(rec.PID, 0) != nil {
		return false
	}
	start, state := procStat(rec.PID)
	if state == "Z" || state == "X" {
		return false
	}
	return rec.Start == 0 || start == rec.Start
}

// stopProcess sends SIGTERM, waits up to grace for the process to exit,
// then sends SIGKILL. The PID file is removed either way.
func stopProcess(pidPath string, grace time.Duration) error {
	rec, ok := readPID(pidPath)
	defer os.Remove(pidPath)
	if !ok {
		return nil
	}
	if err := syscall.Kill(rec.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !alive(rec) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := syscall.Kill(rec.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	for i := 0; i < 500 && alive(rec); i++ { // up to 10 s: teardown of a large process on a loaded machine
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// killProcess sends SIGKILL at once: a crash, for failure tests.
func killProcess(pidPath string) error {
	rec, ok := readPID(pidPath)
	defer os.Remove(pidPath)
	if !ok {
		return nil
	}
	if err := syscall.Kill(rec.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	for i := 0; i < 250 && alive(rec); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func procStartTime(pid int) (uint64, error) {
	start, _ := procStat(pid)
	if start == 0 {
		return 0, fmt.Errorf("no /proc/%d/stat", pid)
	}
	return start, nil
}

// procStat returns the start time and state of a process from
// /proc/<pid>/stat (zero and "" where /proc is unavailable).
func procStat(pid int) (start uint64, state string) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, ""
	}
	// The command name (field 2) may hold spaces; fields after its closing
	// parenthesis are fixed: state is field 3, starttime field 22.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, ""
	}
	start, _ = strconv.ParseUint(f[19], 10, 64)
	return start, f[0]
}

// memory returns the resident set size and its peak (VmRSS, VmHWM) in
// kilobytes from /proc/<pid>/status.
func memory(pid int) (rssKB, peakKB int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rssKB = v
		case "VmHWM:":
			peakKB = v
		}
	}
	return rssKB, peakKB
}
