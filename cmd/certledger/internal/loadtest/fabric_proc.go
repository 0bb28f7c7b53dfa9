package loadtest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuTimes reads the user+system CPU time of each process from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks of 10 ms).
func cpuTimes(procs map[string]int) map[string]time.Duration {
	out := make(map[string]time.Duration, len(procs))
	for name, pid := range procs {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		text := string(raw)
		if i := strings.LastIndexByte(text, ')'); i >= 0 {
			text = text[i+1:]
		}
		f := strings.Fields(text) // f[0] is field 3 (state)
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[name] = time.Duration(u+st) * 10 * time.Millisecond
	}
	return out
}

// procMemory reads a process's resident memory now and at its peak, in KB.
func procMemory(pid int) (rss, peak int64) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			peak = n
		}
	}
	return rss, peak
}
