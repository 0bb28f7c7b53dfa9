package credential

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendDocumentJSON appends d as json.Marshal encodes it, byte for byte,
// without reflection: an anchored batch encodes thousands of documents,
// and the reflecting encoder was a sixth of an import's CPU. Values the
// fast path does not cover (strings needing escapes, an anchor proof)
// go through json.Marshal.
func appendDocumentJSON(b []byte, d *Document) ([]byte, error) {
	if d.Proof.Anchor != nil || !plainJSONTime(d.IssuedAt) || !plainJSONTime(d.ValidFrom) || !plainJSONTime(d.ValidUntil) {
		raw, err := json.Marshal(d)
		return append(b, raw...), err
	}
	b = append(b, `{"format":`...)
	b = AppendJSONString(b, d.Format)
	b = append(b, `,"id":`...)
	b = AppendJSONString(b, d.ID)
	b = append(b, `,"type":`...)
	b = AppendJSONString(b, d.Type)
	b = append(b, `,"issuer":`...)
	b = AppendJSONString(b, d.Issuer)
	b = append(b, `,"issuedAt":`...)
	b = appendJSONTime(b, d.IssuedAt)
	b = append(b, `,"validFrom":`...)
	b = appendJSONTime(b, d.ValidFrom)
	if !d.ValidUntil.IsZero() {
		b = append(b, `,"validUntil":`...)
		b = appendJSONTime(b, d.ValidUntil)
	}
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(d.Version), 10)
	if d.Renews != "" {
		b = append(b, `,"renews":`...)
		b = AppendJSONString(b, d.Renews)
	}
	b = append(b, `,"claims":`...)
	if d.Claims == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range d.Claims {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = AppendJSONString(b, c.Name)
			b = append(b, `,"type":`...)
			b = AppendJSONString(b, string(c.Type))
			b = append(b, `,"value":`...)
			b = AppendJSONString(b, c.Value)
			b = append(b, `,"salt":`...)
			b = AppendJSONString(b, c.Salt)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(d.Hidden) > 0 {
		b = append(b, `,"hidden":[`...)
		for i, h := range d.Hidden {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSONString(b, h)
		}
		b = append(b, ']')
	}
	b = append(b, `,"proof":{"alg":`...)
	b = AppendJSONString(b, d.Proof.Algorithm)
	b = append(b, `,"kid":`...)
	b = AppendJSONString(b, d.Proof.KeyID)
	b = append(b, `,"digest":`...)
	b = AppendJSONString(b, d.Proof.Digest)
	b = append(b, `,"signature":`...)
	b = AppendJSONString(b, d.Proof.Signature)
	return append(b, "}}"...), nil
}

// AppendJSONString appends s as json.Marshal encodes it, byte for byte;
// only a string json.Marshal escapes anything in goes through it.
func AppendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		// encoding/json escapes controls, quotes and backslashes, the
		// HTML-sensitive <, > and &, and U+2028/U+2029 (0xE2 ...).
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c == 0xE2 {
			raw, _ := json.Marshal(s) // a string always encodes
			return append(b, raw...)
		}
	}
	if !utf8.ValidString(s) {
		raw, _ := json.Marshal(s)
		return append(b, raw...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainJSONTime reports whether AppendFormat encodes t as
// time.Time.MarshalJSON does: a year of four digits, a whole-minute zone.
func plainJSONTime(t time.Time) bool {
	_, off := t.Zone()
	y := t.Year()
	return y >= 0 && y <= 9999 && off%60 == 0
}

func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}
