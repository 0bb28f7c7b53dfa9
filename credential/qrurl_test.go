package credential_test

import (
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
)

func TestVerifyURLRoundTrip(t *testing.T) {
	id := sampleID.String()
	tests := []struct {
		name, base, token string
	}{
		{"with token", "https://verify.example.gov.cn", "AbC-_0123456789abcdefg"},
		{"trailing slash and path prefix", "http://127.0.0.1:8080/certledger/", "tok"},
		{"without token", "http://localhost:8080", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := credential.VerifyURL(tc.base, id, tc.token)
			if strings.Contains(u, "//v/") {
				t.Fatalf("VerifyURL(%q) = %s has a double slash", tc.base, u)
			}
			gotID, gotToken, err := credential.ParseVerifyURL(u)
			if err != nil {
				t.Fatalf("ParseVerifyURL(%s): %v", u, err)
			}
			if gotID != id || gotToken != tc.token {
				t.Fatalf("ParseVerifyURL(%s) = %q, %q; want %q, %q", u, gotID, gotToken, id, tc.token)
			}
		})
	}
}

func TestParseVerifyURLRejects(t *testing.T) {
	id := sampleID.String()
	bad := id[:len(id)-1] + "0"
	if bad == id {
		bad = id[:len(id)-1] + "1"
	}
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"bare identifier", id},
		{"ftp scheme", "ftp://host/v/" + id},
		{"no host", "http:///v/" + id},
		{"no /v/ path", "http://host/c/" + id},
		{"wrong check character", "http://host/v/" + bad},
		{"trailing slash after id", "http://host/v/" + id + "/"},
		{"two tokens", "http://host/v/" + id + "?t=a&t=b"},
		{"empty token", "http://host/v/" + id + "?t="},
		{"token with padding", "http://host/v/" + id + "?t=abc%3D"},
		{"token too long", "http://host/v/" + id + "?t=" + strings.Repeat("a", 129)},
		{"malformed query", "http://host/v/" + id + "?t=%zz"},
		{"too long", "http://host/v/" + id + "?x=" + strings.Repeat("a", credential.MaxVerifyURLLength)},
		{"compact payload", "CL1:NCFOXN%TSMAHN-H"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gotID, gotToken, err := credential.ParseVerifyURL(tc.in)
			wantCode(t, err, credential.CodeInvalid)
			if gotID != "" || gotToken != "" {
				t.Fatalf("rejected input returned %q, %q", gotID, gotToken)
			}
		})
	}
}

func TestParseVerifyURLIgnoresOtherQueryParameters(t *testing.T) {
	id := sampleID.String()
	gotID, tok, err := credential.ParseVerifyURL("  https://h.example/v/" + id + "?lang=zh&t=xyz  ")
	if err != nil || gotID != id || tok != "xyz" {
		t.Fatalf("got %q %q %v", gotID, tok, err)
	}
}

// FuzzParseVerifyURL checks that the QR text parser never panics, and that
// whatever it accepts is a valid identifier that round-trips through
// VerifyURL.
func FuzzParseVerifyURL(f *testing.F) {
	id := sampleID.String()
	f.Add("https://verify.example/v/" + id + "?t=AbC-_0123456789abcdefg")
	f.Add("http://127.0.0.1:8080/v/" + id)
	f.Add("http://h/p/v/" + id + "?t=a&lang=en")
	f.Add("http://h/v/" + id + "?t=%zz")
	f.Add(id)
	f.Fuzz(func(t *testing.T, text string) {
		gotID, tok, err := credential.ParseVerifyURL(text)
		if err != nil {
			if credential.ErrorCode(err) != credential.CodeInvalid {
				t.Fatalf("error %v has code %s, want invalid", err, credential.ErrorCode(err))
			}
			return
		}
		if _, err := credential.ParseIdentifier(gotID); err != nil {
			t.Fatalf("accepted identifier %q does not parse: %v", gotID, err)
		}
		id2, tok2, err := credential.ParseVerifyURL(credential.VerifyURL("https://x.example", gotID, tok))
		if err != nil || id2 != gotID || tok2 != tok {
			t.Fatalf("round trip of %q, %q gave %q, %q, %v", gotID, tok, id2, tok2, err)
		}
	})
}
