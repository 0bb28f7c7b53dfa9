package gateway

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/atrest"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// WebhooksFile is the gateway's webhook state in Config.StateDir: the
// subscriptions (secrets sealed under the KEK), the change feed's position,
// and each subscription's queue and delivery log. A feed position and the
// deliveries it produced are written in one transaction, so a restart
// neither loses nor repeats a change.
const WebhooksFile = "webhooks.db"

// purposeWebhookSecrets derives the key sealing subscription secrets.
const purposeWebhookSecrets = "certledger gateway webhook secrets v1"

var (
	bucketSubs       = []byte("subscriptions") // id -> webhookSub
	bucketFeed       = []byte("feed")          // "position" -> credential.FeedPosition
	bucketDeliveries = []byte("deliveries")    // sub id -> bucket: seq -> webhookDelivery
	keyPosition      = []byte("position")
)

// Delivery states.
const (
	deliveryPending   = "pending"
	deliveryDelivered = "delivered"
	deliveryFailed    = "failed" // retried for Config.Webhooks.RetryFor without success
	deliveryDropped   = "dropped"
)

// webhookSub is a stored subscription.
type webhookSub struct {
	ID      string    `json:"id"`
	Dept    string    `json:"dept"`
	All     bool      `json:"all,omitempty"` // governance: every department's credentials
	URL     string    `json:"url"`
	Events  []string  `json:"events"`
	Types   []string  `json:"types,omitempty"` // type codes; empty: all
	Created time.Time `json:"created"`
	Sealed  []byte    `json:"sealedSecret"`
	// Pending and Finished count the deliveries in its log by state;
	// Dropped counts events not queued because the queue was full.
	Pending  int `json:"pending"`
	Finished int `json:"finished"`
	Dropped  int `json:"dropped,omitempty"`
}

// webhookDelivery is one message to one subscription and its attempts.
type webhookDelivery struct {
	Seq          uint64          `json:"-"`
	MessageID    string          `json:"messageId"` // webhook-id: the same for every attempt and redelivery
	Event        string          `json:"event"`
	CredentialID string          `json:"credentialId"`
	TxID         string          `json:"txId"`
	Body         json.RawMessage `json:"body"`
	State        string          `json:"state"`
	Created      time.Time       `json:"created"`
	Attempts     int             `json:"attempts"`
	NextAttempt  time.Time       `json:"nextAttempt,omitzero"`
	LastAttempt  time.Time       `json:"lastAttempt,omitzero"`
	LastStatus   int             `json:"lastStatus,omitempty"`
	LastError    string          `json:"lastError,omitempty"`
	Redelivers   string          `json:"redelivers,omitempty"` // the delivery this one repeats
}

func deliveryID(seq uint64) string { return fmt.Sprintf("dl_%016x", seq) }

func parseDeliveryID(id string) (uint64, bool) {
	var seq uint64
	if len(id) != 19 {
		return 0, false
	}
	if _, err := fmt.Sscanf(id, "dl_%016x", &seq); err != nil {
		return 0, false
	}
	return seq, true
}

// webhookStore is the bbolt file of webhook state.
type webhookStore struct {
	db     *bolt.DB
	sealer *atrest.Sealer
}

var errSubNotFound = credential.Errorf(credential.ReasonSubscriptionNotFound, "no such subscription")

func openWebhookStore(dir string, kek atrest.KEK) (*webhookStore, error) {
	db, err := bolt.Open(filepath.Join(dir, WebhooksFile), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", filepath.Join(dir, WebhooksFile), err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSubs, bucketFeed, bucketDeliveries} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return webhooksFile.claim(tx, filepath.Join(dir, WebhooksFile), kek)
	}); err != nil {
		db.Close()
		return nil, err
	}
	return &webhookStore{db: db, sealer: kek.Sealer(purposeWebhookSecrets)}, nil
}

// webhooksFile is the store as `certledger kek rotate` sees it: only the
// subscriptions' secrets are sealed.
var webhooksFile = sealedStateFile{name: WebhooksFile, purpose: purposeWebhookSecrets, reseal: resealWebhookValue}

func resealWebhookValue(path [][]byte, _, v []byte, from, to *atrest.Sealer) ([]byte, error) {
	if len(path) != 1 || string(path[0]) != string(bucketSubs) {
		return v, nil
	}
	var s webhookSub
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, err
	}
	secret, err := from.Open(nil, s.Sealed, []byte(s.ID))
	if err != nil {
		return nil, fmt.Errorf("the secret of subscription %s: %w", s.ID, err)
	}
	if to == nil {
		return v, nil
	}
	s.Sealed = to.Seal(nil, secret, []byte(s.ID))
	return json.Marshal(s)
}

func (w *webhookStore) close() error { return w.db.Close() }

func seqBytes(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func getSub(tx *bolt.Tx, id string) (webhookSub, error) {
	v := tx.Bucket(bucketSubs).Get([]byte(id))
	if v == nil {
		return webhookSub{}, errSubNotFound
	}
	var s webhookSub
	return s, json.Unmarshal(v, &s)
}

func putSub(tx *bolt.Tx, s webhookSub) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketSubs).Put([]byte(s.ID), b)
}

func putDelivery(b *bolt.Bucket, d webhookDelivery) error {
	v, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return b.Put(seqBytes(d.Seq), v)
}

func decodeDelivery(k, v []byte) (webhookDelivery, error) {
	var d webhookDelivery
	err := json.Unmarshal(v, &d)
	d.Seq = binary.BigEndian.Uint64(k)
	return d, err
}

// create stores a new subscription with its secret sealed.
func (w *webhookStore) create(s webhookSub, secret string) error {
	s.Sealed = w.sealer.Seal(nil, []byte(secret), []byte(s.ID))
	return w.db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.Bucket(bucketDeliveries).CreateBucket([]byte(s.ID)); err != nil {
			return err
		}
		return putSub(tx, s)
	})
}

// secret opens a subscription's sealed secret.
func (w *webhookStore) secret(s webhookSub) (string, error) {
	b, err := w.sealer.Open(nil, s.Sealed, []byte(s.ID))
	return string(b), err
}

func (w *webhookStore) sub(id string) (s webhookSub, err error) {
	err = w.db.View(func(tx *bolt.Tx) error {
		s, err = getSub(tx, id)
		return err
	})
	return s, err
}

func (w *webhookStore) subs() ([]webhookSub, error) {
	var out []webhookSub
	err := w.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSubs).ForEach(func(_, v []byte) error {
			var s webhookSub
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			out = append(out, s)
			return nil
		})
	})
	return out, err
}

// delete drops a subscription with its queue and log.
func (w *webhookStore) delete(id string) error {
	return w.db.Update(func(tx *bolt.Tx) error {
		if _, err := getSub(tx, id); err != nil {
			return err
		}
		if err := tx.Bucket(bucketDeliveries).DeleteBucket([]byte(id)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		return tx.Bucket(bucketSubs).Delete([]byte(id))
	})
}

// position is the stored feed position; ok is false before the first.
func (w *webhookStore) position() (pos credential.FeedPosition, ok bool, err error) {
	err = w.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketFeed).Get(keyPosition)
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &pos)
	})
	return pos, ok, err
}

func putPosition(tx *bolt.Tx, pos credential.FeedPosition) error {
	b, err := json.Marshal(pos)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketFeed).Put(keyPosition, b)
}

// clearPosition forgets the feed position.
func (w *webhookStore) clearPosition() error {
	return w.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketFeed).Delete(keyPosition) })
}

func (w *webhookStore) setPosition(pos credential.FeedPosition) error {
	return w.db.Update(func(tx *bolt.Tx) error { return putPosition(tx, pos) })
}

// queued is what one feed transaction gives one subscription.
type queued struct {
	sub string
	d   webhookDelivery
}

// enqueue appends the deliveries of one feed transaction to their queues
// and moves the feed position past it, atomically. A full queue drops the
// event for that subscription and counts it.
func (w *webhookStore) enqueue(pos credential.FeedPosition, items []queued, limit int) error {
	return w.db.Update(func(tx *bolt.Tx) error {
		for _, it := range items {
			s, err := getSub(tx, it.sub)
			if err != nil {
				continue // deleted meanwhile
			}
			if s.Pending >= limit {
				s.Dropped++
			} else {
				b := tx.Bucket(bucketDeliveries).Bucket([]byte(s.ID))
				if it.d.Seq, err = b.NextSequence(); err != nil {
					return err
				}
				if err := putDelivery(b, it.d); err != nil {
					return err
				}
				s.Pending++
			}
			if err := putSub(tx, s); err != nil {
				return err
			}
		}
		return putPosition(tx, pos)
	})
}

// head is the oldest pending delivery of a subscription; ok is false when
// none is pending.
func (w *webhookStore) head(subID string) (d webhookDelivery, ok bool, err error) {
	err = w.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDeliveries).Bucket([]byte(subID))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var err error
			if d, err = decodeDelivery(k, v); err != nil {
				return err
			}
			if d.State == deliveryPending {
				ok = true
				return nil
			}
		}
		return nil
	})
	return d, ok, err
}

// finishAttempt stores an attempt's outcome; a delivery leaving the queue
// is counted as finished, and the oldest finished ones beyond keep go.
func (w *webhookStore) finishAttempt(subID string, d webhookDelivery, keep int) error {
	return w.db.Update(func(tx *bolt.Tx) error {
		s, err := getSub(tx, subID)
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketDeliveries).Bucket([]byte(subID))
		if b.Get(seqBytes(d.Seq)) == nil {
			return nil
		}
		if err := putDelivery(b, d); err != nil {
			return err
		}
		if d.State == deliveryPending {
			return nil
		}
		s.Pending--
		s.Finished++
		c := b.Cursor()
		for k, v := c.First(); k != nil && s.Finished > keep; k, v = c.Next() {
			old, err := decodeDelivery(k, v)
			if err != nil {
				return err
			}
			if old.State != deliveryPending {
				if err := c.Delete(); err != nil {
					return err
				}
				s.Finished--
			}
		}
		return putSub(tx, s)
	})
}

// deliveries lists a subscription's log, newest first, at most limit.
func (w *webhookStore) deliveries(subID string, limit int) ([]webhookDelivery, error) {
	var out []webhookDelivery
	err := w.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDeliveries).Bucket([]byte(subID))
		if b == nil {
			return errSubNotFound
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			d, err := decodeDelivery(k, v)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// redeliver queues a copy of a logged delivery at the end of the queue.
func (w *webhookStore) redeliver(subID string, seq uint64, now time.Time, limit int) (webhookDelivery, error) {
	var nd webhookDelivery
	err := w.db.Update(func(tx *bolt.Tx) error {
		s, err := getSub(tx, subID)
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketDeliveries).Bucket([]byte(subID))
		v := b.Get(seqBytes(seq))
		if v == nil {
			return credential.Errorf(credential.ReasonDeliveryNotFound, "no delivery %s in this subscription's log", deliveryID(seq))
		}
		old, err := decodeDelivery(seqBytes(seq), v)
		if err != nil {
			return err
		}
		if s.Pending >= limit {
			return credential.Errorf(credential.ReasonInvalidRequest, "the subscription's queue is full")
		}
		nd = webhookDelivery{MessageID: old.MessageID, Event: old.Event, CredentialID: old.CredentialID, TxID: old.TxID,
			Body: old.Body, State: deliveryPending, Created: now, Redelivers: deliveryID(seq)}
		if nd.Seq, err = b.NextSequence(); err != nil {
			return err
		}
		if err := putDelivery(b, nd); err != nil {
			return err
		}
		s.Pending++
		return putSub(tx, s)
	})
	return nd, err
}
