package gateway

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// endedSessions remembers the sessions ended by signing out until their
// absolute expiry, after which their cookies are refused anyway. A session
// cookie is sealed and self-contained, so this set is the only thing that
// makes a copied cookie useless once its holder has signed out.
type endedSessions interface {
	// end records that session id is over; until is its absolute expiry.
	end(id string, until time.Time) error
	// ended reports whether session id was ended.
	ended(id string) (bool, error)
	close() error
}

// SessionsFile is the gateway's file of ended sessions in Config.StateDir.
const SessionsFile = "sessions.db"

// pruneEvery spaces out the sweeps that drop entries past their expiry.
const pruneEvery = 10 * time.Minute

// errTooManyEnded refuses to record more ended sessions than the memory
// set holds; the caller keeps the session and says to try later.
var errTooManyEnded = errors.New("too many sessions ended recently")

// maxEndedInMemory bounds the memory set (about 100 bytes an entry). Only a
// gateway without a state folder uses it; serve always has one.
const maxEndedInMemory = 100_000

func openEndedSessions(dir string, now func() time.Time) (endedSessions, error) {
	if dir == "" {
		return &memoryEnded{ids: map[string]time.Time{}, now: now}, nil
	}
	db, err := bolt.Open(filepath.Join(dir, SessionsFile), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", filepath.Join(dir, SessionsFile), err)
	}
	b := &boltEnded{db: db, now: now}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(endedBucket)
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	if err := b.prune(); err != nil {
		db.Close()
		return nil, err
	}
	return b, nil
}

// memoryEnded is the set in memory, forgotten on restart.
type memoryEnded struct {
	mu        sync.Mutex
	ids       map[string]time.Time
	now       func() time.Time
	lastPrune time.Time
}

func (m *memoryEnded) end(id string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if len(m.ids) >= maxEndedInMemory || now.Sub(m.lastPrune) >= pruneEvery {
		for k, exp := range m.ids {
			if !exp.After(now) {
				delete(m.ids, k)
			}
		}
		m.lastPrune = now
	}
	if len(m.ids) >= maxEndedInMemory {
		return errTooManyEnded
	}
	m.ids[id] = until
	return nil
}

func (m *memoryEnded) ended(id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.ids[id]
	return ok, nil
}

func (m *memoryEnded) close() error { return nil }

// boltEnded keeps the set in a bbolt file, so a restart does not revive
// a session its holder ended. Lookups are read transactions on the mapped
// file; each sign-out is one small committed write.
type boltEnded struct {
	db        *bolt.DB
	now       func() time.Time
	mu        sync.Mutex // guards lastPrune
	lastPrune time.Time
}

var endedBucket = []byte("ended")

func (b *boltEnded) end(id string, until time.Time) error {
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(until.Unix()))
	if err := b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(endedBucket).Put([]byte(id), v[:])
	}); err != nil {
		return err
	}
	b.mu.Lock()
	due := b.now().Sub(b.lastPrune) >= pruneEvery
	b.mu.Unlock()
	if due {
		return b.prune()
	}
	return nil
}

func (b *boltEnded) ended(id string) (bool, error) {
	var found bool
	err := b.db.View(func(tx *bolt.Tx) error {
		found = tx.Bucket(endedBucket).Get([]byte(id)) != nil
		return nil
	})
	return found, err
}

// prune drops the entries whose session has expired on its own.
func (b *boltEnded) prune() error {
	now := b.now()
	b.mu.Lock()
	b.lastPrune = now
	b.mu.Unlock()
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(endedBucket)
		var over [][]byte // a cursor that deletes as it goes may skip keys
		if err := bk.ForEach(func(k, v []byte) error {
			if len(v) != 8 || int64(binary.BigEndian.Uint64(v)) <= now.Unix() {
				over = append(over, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range over {
			if err := bk.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func (b *boltEnded) close() error { return b.db.Close() }
