package credential_test

import (
	"bytes"
	"testing"

	"github.com/certledger/certledger/credential"
)

func TestBase45Vectors(t *testing.T) {
	// The examples of RFC 9285 section 4.
	tests := []struct{ raw, enc string }{
		{"AB", "BB8"},
		{"Hello!!", "%69 VD92EX0"},
		{"base-45", "UJCLQE7W581"},
		{"ietf!", "QED8WEX0"},
		{"", ""},
		{"\x00", "00"},
		{"\xff\xff", "FGW"},
	}
	for _, tc := range tests {
		t.Run(tc.enc, func(t *testing.T) {
			if got := credential.EncodeBase45([]byte(tc.raw)); got != tc.enc {
				t.Fatalf("EncodeBase45(%q) = %q, want %q", tc.raw, got, tc.enc)
			}
			got, err := credential.DecodeBase45(tc.enc)
			if err != nil || string(got) != tc.raw {
				t.Fatalf("DecodeBase45(%q) = %q, %v", tc.enc, got, err)
			}
			if n := credential.Base45EncodedLen(len(tc.raw)); n != len(tc.enc) {
				t.Fatalf("Base45EncodedLen(%d) = %d", len(tc.raw), n)
			}
		})
	}
}

func TestBase45RejectsInvalidText(t *testing.T) {
	for name, s := range map[string]string{
		"lower case":          "bb8",
		"dangling character":  "BB8A",
		"group over 65535":    "GGW",
		"final pair over 255": "GG",
		"outside alphabet":    "BB#",
		"non-ASCII":           "证",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := credential.DecodeBase45(s)
			wantCode(t, err, credential.CodeInvalid)
		})
	}
}

func FuzzBase45(f *testing.F) {
	f.Add([]byte("Hello!!"), "%69 VD92EX0")
	f.Add([]byte{0, 255, 1}, "FGW")
	f.Fuzz(func(t *testing.T, raw []byte, text string) {
		enc := credential.EncodeBase45(raw)
		back, err := credential.DecodeBase45(enc)
		if err != nil || !bytes.Equal(back, raw) {
			t.Fatalf("round trip of %x: %x, %v", raw, back, err)
		}
		// Accepted text has exactly one spelling.
		if b, err := credential.DecodeBase45(text); err == nil && credential.EncodeBase45(b) != text {
			t.Fatalf("DecodeBase45(%q) accepted a second spelling of %x", text, b)
		}
	})
}
