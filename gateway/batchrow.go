package gateway

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/batchfile"
)

// A stored row is its fields length-prefixed after a version byte: an
// import reads each row back once, and decoding JSON was a tenth of an
// import's CPU. Rows stored as JSON by earlier versions start with '{'
// and are still read.
const rowCodecV1 = 1

var errRowCodec = errors.New("a stored row is damaged")

func encodeRow(r batchfile.Row) []byte {
	b := binary.AppendUvarint([]byte{rowCodecV1}, uint64(r.Number))
	b = appendRowString(b, r.Key)
	b = appendRowString(b, r.Body.Type)
	if h := r.Body.Holder; h != nil {
		b = append(b, 1)
		b = appendRowString(b, h.Name)
		b = appendRowString(b, h.IDType)
		b = appendRowString(b, h.IDNumber)
	} else {
		b = append(b, 0)
	}
	b = appendRowString(b, r.Body.ValidFrom)
	b = appendRowString(b, r.Body.ValidUntil)
	b = binary.AppendUvarint(b, uint64(len(r.Body.Fields)))
	names := make([]string, 0, len(r.Body.Fields))
	for name := range r.Body.Fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b = appendRowString(b, name)
		b = appendRowString(b, string(r.Body.Fields[name]))
	}
	return b
}

func appendRowString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func decodeRow(b []byte) (batchfile.Row, error) {
	var r batchfile.Row
	if len(b) > 0 && b[0] == '{' {
		return r, json.Unmarshal(b, &r)
	}
	if len(b) == 0 || b[0] != rowCodecV1 {
		return r, errRowCodec
	}
	d := rowDecoder{b: b[1:]}
	r.Number = int(d.uvarint())
	r.Key = d.string()
	r.Body.Type = d.string()
	if d.byte() == 1 {
		r.Body.Holder = &credential.Holder{Name: d.string(), IDType: d.string(), IDNumber: d.string()}
	}
	r.Body.ValidFrom = d.string()
	r.Body.ValidUntil = d.string()
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return r, errRowCodec
	}
	if n > 0 {
		r.Body.Fields = make(map[string]json.RawMessage, n)
	}
	for range n {
		name := d.string()
		r.Body.Fields[name] = json.RawMessage(d.string())
	}
	if d.bad || len(d.b) != 0 {
		return r, errRowCodec
	}
	return r, nil
}

// rowDecoder reads what encodeRow wrote; bad is set at the first value
// that does not fit.
type rowDecoder struct {
	b   []byte
	bad bool
}

func (d *rowDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *rowDecoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *rowDecoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
