package credential

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// These build COSE_Sign1 messages by hand, which the public encoder never
// produces, to check that the decoder refuses each deviation.
func TestDecodeCOSESign1Rejects(t *testing.T) {
	sig := bytes.Repeat([]byte{7}, 64)
	payload := []byte{0xa0}
	header := func(v any) []byte {
		b, err := cborEnc.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	msg := func(prot []byte, unprot map[int]cbor.RawMessage, payload, sig []byte) []byte {
		return header(cbor.Tag{Number: coseSign1Tag, Content: coseSign1{Protected: prot, Unprotected: unprot, Payload: payload, Signature: sig}})
	}
	good := header(coseProtected{Alg: coseAlgEdDSA, KID: []byte("k1")})
	if _, _, _, err := decodeCOSESign1(msg(good, map[int]cbor.RawMessage{}, payload, sig)); err != nil {
		t.Fatalf("the well-formed message fails: %v", err)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"ES256 instead of EdDSA", msg(header(coseProtected{Alg: -7, KID: []byte("k1")}), map[int]cbor.RawMessage{}, payload, sig), "not EdDSA"},
		{"no key id", msg(header(map[int]any{1: -8}), map[int]cbor.RawMessage{}, payload, sig), "key id"},
		{"extra protected header (crit)", msg(header(map[int]any{1: -8, 4: []byte("k1"), 2: []int{4}}), map[int]cbor.RawMessage{}, payload, sig), "protected header"},
		{"unprotected kid", msg(good, map[int]cbor.RawMessage{4: header([]byte("k2"))}, payload, sig), "unprotected header must be empty"},
		{"unprotected header as null", msg(good, nil, payload, sig), "canonical"},
		{"short signature", msg(good, map[int]cbor.RawMessage{}, payload, sig[:63]), "signature"},
		{"empty payload", msg(good, map[int]cbor.RawMessage{}, nil, sig), "empty"},
		{"key id not UTF-8", msg(header(coseProtected{Alg: coseAlgEdDSA, KID: []byte{0xff}}), map[int]cbor.RawMessage{}, payload, sig), "UTF-8"},
		{"non-canonical integer in the header", msg(append([]byte{0xa2, 0x01, 0x38, 0x07, 0x04, 0x42}, "k1"...), map[int]cbor.RawMessage{}, payload, sig), "canonical"},
		{"five-element array", header(cbor.Tag{Number: coseSign1Tag, Content: []any{good, map[int]int{}, payload, sig, 0}}), "COSE_Sign1 structure"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := decodeCOSESign1(tc.data)
			if err == nil || ErrorCode(err) != CodeInvalid || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an invalid error mentioning %q", err, tc.want)
			}
		})
	}
}
