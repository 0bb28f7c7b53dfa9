package chaincode

import (
	"encoding/json"
	"errors"

	"github.com/certledger/certledger/credential"
)

// errorJSON is an error as the contract answers it over Fabric: the
// members of credential.Error, and the cause's text for the gateway's log.
type errorJSON struct {
	*credential.Error
	Cause string `json:"cause,omitempty"`
}

// EncodeError returns err as the Fabric adapter answers it. A peer passes
// a chaincode error to the client only as text, so the text is the
// application error as JSON; any other error is a failure of the contract
// itself and becomes an internal error, its cause kept apart from the
// message a client could see.
func EncodeError(err error) error {
	if err == nil {
		return nil
	}
	var e *credential.Error
	if !errors.As(err, &e) {
		e = credential.Wrapf(err, credential.ReasonInternal, "the contract failed")
	}
	out := errorJSON{Error: e}
	if e.Cause != nil {
		out.Cause = e.Cause.Error()
	}
	b, jerr := json.Marshal(out)
	if jerr != nil { // strings and a number only: cannot happen
		return err
	}
	return errors.New(string(b))
}

// DecodeError reads the text of an EncodeError answer back; ok is false
// when text is not one.
func DecodeError(text string) (e *credential.Error, ok bool) {
	var in errorJSON
	if err := json.Unmarshal([]byte(text), &in); err != nil || in.Error == nil || !in.Code.Known() || in.Reason == "" {
		return nil, false
	}
	if in.Cause != "" {
		in.Error.Cause = errors.New(in.Cause)
	}
	return in.Error, true
}
