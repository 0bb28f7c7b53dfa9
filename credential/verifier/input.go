// Package verifier is the logic of `certledger verify`: it recognizes what
// a verifier was handed (a credential or presentation JSON file, the text
// of a QR code, or a picture of one), verifies it offline against a cached
// trust list or online through a gateway, and describes the outcome in
// plain words.
package verifier

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/qrscan"
)

// Kind is what an input turned out to be.
type Kind string

// Input kinds.
const (
	KindDocument     Kind = "document"     // a full credential document (JSON)
	KindPresentation Kind = "presentation" // a document withholding some claims (JSON)
	KindCompact      Kind = "compact"      // CL1: text of an offline QR code
	KindReference    Kind = "reference"    // a verification URL or a bare identifier
)

// MaxInputSize bounds an input file: a phone photo or a JSON document.
const MaxInputSize = 16 << 20

// Input is a recognized input. Exactly one of Document or Text is set.
type Input struct {
	Kind     Kind
	Document *credential.Document // document and presentation
	Text     string               // compact and reference
	FromQR   bool                 // Text was read from a QR code image
}

// Describe names the input for the first line of a report.
func (in Input) Describe() string {
	from := ""
	if in.FromQR {
		from = " read from a QR code image"
	}
	switch in.Kind {
	case KindDocument:
		return "credential document" + from
	case KindPresentation:
		return "presentation (some fields withheld)" + from
	case KindCompact:
		return "compact offline QR payload" + from
	}
	return "by-reference QR text (verification URL)" + from
}

// Read recognizes data: a PNG or JPEG image is scanned for a QR code whose
// text is then recognized; JSON is a credential document or presentation
// (bare, or the "document", "presentation" or "payload" member of a gateway
// answer); any other text is QR text.
func Read(data []byte) (Input, error) {
	if len(data) > MaxInputSize {
		return Input{}, fmt.Errorf("the input is larger than %d MiB", MaxInputSize>>20)
	}
	if qrscan.IsImage(data) {
		text, err := qrscan.Decode(data)
		if err != nil {
			return Input{}, err
		}
		in, err := readText(text)
		in.FromQR = true
		return in, err
	}
	if !utf8.Valid(data) {
		return Input{}, fmt.Errorf("the input is neither a PNG or JPEG image nor UTF-8 text")
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return readJSON(trimmed)
	}
	return readText(string(trimmed))
}

func readText(text string) (Input, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return Input{}, fmt.Errorf("the input is empty")
	case credential.IsCompact(text):
		return Input{Kind: KindCompact, Text: text}, nil
	case strings.HasPrefix(text, credential.IdentifierPrefix):
		if _, err := credential.ParseIdentifier(text); err != nil {
			return Input{}, fmt.Errorf("not a credential identifier: %s", credential.ErrorMessage(err))
		}
		return Input{Kind: KindReference, Text: text}, nil
	}
	if _, _, err := credential.ParseVerifyURL(text); err != nil {
		return Input{}, fmt.Errorf("the text is not a CertLedger QR code (neither %s... nor a verification URL): %s", credential.CompactPrefix, credential.ErrorMessage(err))
	}
	return Input{Kind: KindReference, Text: text}, nil
}

// readJSON accepts a document, or a gateway answer wrapping one.
func readJSON(data []byte) (Input, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return Input{}, fmt.Errorf("the JSON does not parse: %v", err)
	}
	if raw, ok := probe["payload"]; ok {
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return Input{}, fmt.Errorf("payload is not a string")
		}
		return readText(text)
	}
	for _, member := range []string{"presentation", "document"} {
		if raw, ok := probe[member]; ok && string(raw) != "null" {
			return readJSON(raw)
		}
	}
	if _, ok := probe["proof"]; !ok {
		return Input{}, fmt.Errorf("the JSON is not a CertLedger credential document or presentation (no proof)")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d credential.Document
	if err := dec.Decode(&d); err != nil {
		return Input{}, fmt.Errorf("the JSON is not a CertLedger credential document: %v", err)
	}
	if d.IsPresentation() {
		return Input{Kind: KindPresentation, Document: &d}, nil
	}
	return Input{Kind: KindDocument, Document: &d}, nil
}
