package credential_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
)

func FuzzParseIdentifier(f *testing.F) {
	valid := sampleID.String()
	f.Add(valid, "MABCDEF0123456Z9", 1)
	f.Add(valid[:len(valid)-1]+"0", "A", 999)
	f.Add(strings.ToLower(valid), "a", 0)
	f.Add("1.2.156.3005.2.....", "", -1)
	f.Add("1.2.156.3005.2."+licenceCode+"."+samrUSCC+".X.+01.Z", "SERIAL-1", 1000)
	f.Add("证照", "证", 5)
	f.Fuzz(func(t *testing.T, s, serial string, version int) {
		// Whatever parses is exactly the text its String gives back.
		if id, err := credential.ParseIdentifier(s); err == nil {
			if id.Validate() != nil {
				t.Fatalf("ParseIdentifier(%q) returned an invalid %+v", s, id)
			}
			if got := id.String(); got != s {
				t.Fatalf("ParseIdentifier(%q).String() = %q", s, got)
			}
		} else if credential.ErrorCode(err) != credential.CodeInvalid {
			t.Fatalf("ParseIdentifier(%q): error %v is not 'invalid'", s, err)
		}
		// Whatever is valid formats to text that parses back to it.
		id := credential.Identifier{TypeCode: licenceCode, Issuer: samrUSCC, Serial: serial, Version: version}
		if id.Validate() != nil {
			return
		}
		back, err := credential.ParseIdentifier(id.String())
		if err != nil || back != id {
			t.Fatalf("ParseIdentifier(%q) = %+v, %v; want %+v", id.String(), back, err, id)
		}
	})
}

func FuzzDocumentDecode(f *testing.F) {
	reg := testRegistry()
	d := issueLicence(f, reg)
	full, _ := json.Marshal(d)
	f.Add(full)
	// A presentation: the holder's ID number hidden.
	p := cloneDoc(d)
	for i, c := range p.Claims {
		if c.Name == credential.ClaimHolderIDNumber {
			h, _ := c.Commitment()
			p.Claims = append(p.Claims[:i], p.Claims[i+1:]...)
			p.Hidden = []string{hex.EncodeToString(h[:])}
			break
		}
	}
	pres, _ := json.Marshal(p)
	f.Add(pres)
	f.Add(bytes.Replace(full, []byte("北京示例科技有限公司"), []byte("上海示例科技有限公司"), 1))
	f.Add([]byte(`{"format":"certledger/v1","claims":[{"name":"holder.name","type":"string","value":"张三","salt":"AAAAAAAAAAAAAAAAAAAAAA"}]}`))
	f.Add([]byte(`{"hidden":["00"],"issuedAt":"2026-01-01T00:00:00+08:00","version":-1}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{}`))
	record := recordOf(d)
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc credential.Document
		if json.Unmarshal(data, &doc) != nil {
			return
		}
		_, _, structErr := doc.CheckStructure(reg, len(doc.Hidden) == 0)
		digest, digestErr := doc.ComputeDigest()
		_ = doc.CheckIntegrity()
		_ = doc.Holder()
		for _, online := range []bool{true, false} {
			v := credential.Verify(credential.VerifyInput{Document: &doc, Registry: reg, Record: record, Online: online, Now: now})
			if v.Valid && !online {
				t.Fatal("offline verification answered valid")
			}
			if v.Valid && (digestErr != nil || structErr != nil) {
				t.Fatalf("valid although structure=%v digest=%v", structErr, digestErr)
			}
		}
		if structErr != nil || digestErr != nil {
			return
		}
		// A structurally valid document re-encodes to a fixed point with the
		// same digest.
		enc1, err := json.Marshal(&doc)
		if err != nil {
			t.Fatalf("re-encoding a valid document: %v", err)
		}
		var again credential.Document
		if err := json.Unmarshal(enc1, &again); err != nil {
			t.Fatalf("decoding the re-encoding: %v\n%s", err, enc1)
		}
		enc2, err := json.Marshal(&again)
		if err != nil || !bytes.Equal(enc1, enc2) {
			t.Fatalf("encoding is not deterministic:\n%s\n%s", enc1, enc2)
		}
		if d2, err := again.ComputeDigest(); err != nil || d2 != digest {
			t.Fatalf("digest after re-encoding %s, %v; want %s", d2, err, digest)
		}
	})
}
