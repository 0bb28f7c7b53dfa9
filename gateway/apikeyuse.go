package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certledger/certledger/gateway/keystore"
)

// keyUse remembers when this gateway last accepted each API key. It is
// kept in memory, updated with one atomic store per request, and written
// to a file at most once per keyUseSaveEvery and at shutdown, so "last
// used" survives a restart without a write per request. Each gateway sees
// only its own requests.
type keyUse struct {
	path string // "" keeps it in memory only
	log  *slog.Logger

	mu       sync.Mutex
	byID     map[string]*atomic.Int64 // Unix nanoseconds; 0 never
	dirty    atomic.Bool
	lastSave atomic.Int64 // Unix nanoseconds of the gateway clock
	saving   atomic.Bool
	saveMu   sync.Mutex
}

// keyUseSaveEvery bounds how often the file is written.
const keyUseSaveEvery = time.Minute

type keyUseFile struct {
	Version  int                  `json:"version"`
	LastUsed map[string]time.Time `json:"lastUsed"`
}

// openKeyUse reads what an earlier run recorded at path; a missing or
// unreadable file starts empty (it records a convenience, not a secret).
func openKeyUse(path string, now time.Time, log *slog.Logger) *keyUse {
	u := &keyUse{path: path, log: log, byID: map[string]*atomic.Int64{}}
	u.lastSave.Store(now.UnixNano())
	if path == "" {
		return u
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return u
	}
	var f keyUseFile
	if err == nil {
		err = json.Unmarshal(b, &f)
	}
	if err != nil {
		log.Warn("API key use file unreadable; last-used times start afresh", slog.String("path", path), slog.String("error", err.Error()))
		return u
	}
	for id, t := range f.LastUsed {
		u.of(id).Store(t.UnixNano())
	}
	return u
}

// of returns the cell recording key id's last use.
func (u *keyUse) of(id string) *atomic.Int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	p, ok := u.byID[id]
	if !ok {
		p = new(atomic.Int64)
		u.byID[id] = p
	}
	return p
}

// last returns when key id was last accepted here; zero if never.
func (u *keyUse) last(id string) time.Time {
	u.mu.Lock()
	p := u.byID[id]
	u.mu.Unlock()
	if p == nil || p.Load() == 0 {
		return time.Time{}
	}
	return time.Unix(0, p.Load()).UTC()
}

// saw records a use at now, and writes the file when the last write is
// older than keyUseSaveEvery (one request pays for it, the others go on).
func (u *keyUse) saw(p *atomic.Int64, now time.Time) {
	p.Store(now.UnixNano())
	if !u.dirty.Load() {
		u.dirty.Store(true)
	}
	since := now.UnixNano() - u.lastSave.Load() // negative after the clock was set back: write
	if u.path == "" || since >= 0 && since < int64(keyUseSaveEvery) || !u.saving.CompareAndSwap(false, true) {
		return
	}
	defer u.saving.Store(false)
	u.lastSave.Store(now.UnixNano())
	if err := u.save(); err != nil {
		u.log.Warn("writing the API key use file failed", slog.String("path", u.path), slog.String("error", err.Error()))
	}
}

// save writes the file if anything changed since the last write.
func (u *keyUse) save() error {
	if u.path == "" {
		return nil
	}
	u.saveMu.Lock()
	defer u.saveMu.Unlock()
	if !u.dirty.Swap(false) {
		return nil
	}
	f := keyUseFile{Version: 1, LastUsed: map[string]time.Time{}}
	u.mu.Lock()
	for id, p := range u.byID {
		if n := p.Load(); n != 0 {
			f.LastUsed[id] = time.Unix(0, n).UTC()
		}
	}
	u.mu.Unlock()
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := keystore.WriteFileAtomic(u.path, append(b, '\n'), 0o600); err != nil {
		u.dirty.Store(true)
		return fmt.Errorf("gateway: %w", err)
	}
	return nil
}
