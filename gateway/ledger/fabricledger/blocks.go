package fabricledger

import (
	"errors"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
)

// blockCache maps transaction IDs to block numbers. It is bounded: when
// full, the oldest entries go first (a ring of keys in insertion order), so
// memory stays flat however many credentials are verified.
type blockCache struct {
	mu    sync.RWMutex
	max   int
	m     map[string]uint64
	order []string // ring of keys, next slot at head
	head  int
}

func newBlockCache(max int) *blockCache {
	return &blockCache{max: max, m: make(map[string]uint64, min(max, 1024))}
}

func (c *blockCache) get(txID string) (uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.m[txID]
	return n, ok
}

func (c *blockCache) put(txID string, block uint64) {
	if txID == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[txID]; ok {
		c.m[txID] = block
		return
	}
	if len(c.order) < c.max {
		c.order = append(c.order, txID)
	} else {
		delete(c.m, c.order[c.head])
		c.order[c.head] = txID
		c.head = (c.head + 1) % c.max
	}
	c.m[txID] = block
}

// blockNumber reads the number from a serialized common.Block without
// decoding its transactions: Block.header (field 1) is a BlockHeader whose
// number is field 1 (varint). A block holds up to hundreds of transactions,
// and only its number is wanted.
func blockNumber(block []byte) (uint64, error) {
	header, err := field(block, 1, protowire.BytesType)
	if err != nil {
		return 0, err
	}
	if header == nil {
		return 0, nil // block 0 of a channel may leave the header's number out
	}
	raw, err := field(header, 1, protowire.VarintType)
	if err != nil || raw == nil {
		return 0, err
	}
	n, l := protowire.ConsumeVarint(raw)
	if l < 0 {
		return 0, protowire.ParseError(l)
	}
	return n, nil
}

// field returns the first occurrence of field num of wire type typ in a
// protobuf message: the payload for bytes, the varint's bytes for varints.
func field(msg []byte, num protowire.Number, typ protowire.Type) ([]byte, error) {
	for len(msg) > 0 {
		n, t, l := protowire.ConsumeTag(msg)
		if l < 0 {
			return nil, protowire.ParseError(l)
		}
		msg = msg[l:]
		if n == num && t == typ {
			switch typ {
			case protowire.BytesType:
				v, l := protowire.ConsumeBytes(msg)
				if l < 0 {
					return nil, protowire.ParseError(l)
				}
				return v, nil
			case protowire.VarintType:
				_, l := protowire.ConsumeVarint(msg)
				if l < 0 {
					return nil, protowire.ParseError(l)
				}
				return msg[:l], nil
			}
			return nil, errors.New("unsupported wire type")
		}
		l = protowire.ConsumeFieldValue(n, t, msg)
		if l < 0 {
			return nil, protowire.ParseError(l)
		}
		msg = msg[l:]
	}
	return nil, nil
}
