package network

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// Logs writes the last tail lines (all when tail <= 0) of a node's log to w,
// then, with follow, whatever the node logs next until ctx ends.
func Logs(ctx context.Context, dir, name string, tail int, follow bool, w io.Writer) error {
	if dir == "" {
		dir = DefaultDir
	}
	path := layout{dir}.logFile(name)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("network: no log for node %q: %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	if _, err := w.Write(lastLines(b, tail)); err != nil {
		return err
	}
	if !follow {
		return nil
	}
	buf := make([]byte, 32*1024)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			continue
		}
		if err != nil && err != io.EOF {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// lastLines returns the last n lines of b (all of b when n <= 0).
func lastLines(b []byte, n int) []byte {
	if n <= 0 {
		return b
	}
	end := len(b)
	if end > 0 && b[end-1] == '\n' {
		end--
	}
	for i := 0; i < n; i++ {
		j := bytes.LastIndexByte(b[:end], '\n')
		if j < 0 {
			return b
		}
		end = j
	}
	return b[end+1:]
}
