package embedded

import (
	"os"
	"syscall"
)

// fdatasync flushes a file's data without its timestamps: enough for an
// overwrite in place that does not change the file's size.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
