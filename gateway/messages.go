package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/certledger/certledger/credential"
)

// reasonsFile is the message catalogue of problem reasons: for every reason
// a problem can carry, what the console and the pages tell their reader in
// Chinese and in English. The domain owns the reasons; how to word them is
// the gateway's.
const reasonsFile = "web/i18n/reasons.json"

// reasonMessage words one reason. The field forms stand next to the form
// field a problem points at, with its label in place of %s; without them
// the plain text serves there too.
type reasonMessage struct {
	Zh      string `json:"zh"`
	En      string `json:"en"`
	ZhField string `json:"zhField,omitempty"`
	EnField string `json:"enField,omitempty"`
}

// Catalog keys under which each reason's messages join the page catalogs,
// and so the console's message block.
const (
	reasonKeyPrefix = "reason."
	reasonKeyField  = ".field"
)

// loadReasonMessages reads the reason catalogue, refusing members it does
// not know so that a misspelt language drops no text unnoticed.
func loadReasonMessages(fsys fs.FS) (map[string]reasonMessage, error) {
	b, err := fs.ReadFile(fsys, reasonsFile)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var msgs map[string]reasonMessage
	if err := dec.Decode(&msgs); err != nil {
		return nil, fmt.Errorf("%s: %w", reasonsFile, err)
	}
	return msgs, nil
}

// addReasonMessages puts each reason's text in lang into msgs, as
// reason.<reason> and reason.<reason>.field.
func addReasonMessages(msgs map[string]string, reasons map[string]reasonMessage, lang string) {
	for r, m := range reasons {
		text, field := m.En, m.EnField
		if lang == langZh {
			text, field = m.Zh, m.ZhField
		}
		if text != "" {
			msgs[reasonKeyPrefix+r] = text
		}
		if field != "" {
			msgs[reasonKeyPrefix+r+reasonKeyField] = field
		}
	}
}

// Reason returns the message for a problem's reason, and whether the
// catalogue has one.
func (c catalog) Reason(reason string) (string, bool) {
	m, ok := c.msgs[reasonKeyPrefix+reason]
	return m, ok && reason != ""
}

// problemText words err for a page: the message of its reason, or of
// fallback when err carries none (a picture without a QR code is not an
// application error). Only when the catalogue has neither does the page
// show the error's own English text.
func (c catalog) problemText(err error, fallback credential.Reason) string {
	var ce *credential.Error
	reason := fallback
	if errors.As(err, &ce) && ce.Reason != "" {
		reason = ce.Reason
	}
	if m, ok := c.Reason(string(reason)); ok {
		return m
	}
	if ce != nil {
		return ce.Message
	}
	return err.Error()
}
