package credential

import "strings"

// Holder is the person or organization a credential is issued to.
type Holder struct {
	Name     string `json:"name"`
	IDType   string `json:"idType"`
	IDNumber string `json:"idNumber"`
}

// Holder identity document types (GB/T 36903 holder code types, named).
const (
	IDResidentCard = "resident_id" // 居民身份证, GB 11643
	IDUSCC         = "uscc"        // 统一社会信用代码, GB 32100
	IDPassport     = "passport"    // 护照
	IDOther        = "other"
)

// Normalize returns h with surrounding white space removed and, for the ID
// types whose standards define upper-case check characters (GB 11643's X,
// GB 32100's letters), the ID number in upper case, so "11010519491231002x"
// typed on a form is accepted and recorded as the card shows it.
func (h Holder) Normalize() Holder {
	h.Name = strings.TrimSpace(h.Name)
	h.IDType = strings.TrimSpace(h.IDType)
	h.IDNumber = strings.TrimSpace(h.IDNumber)
	if h.IDType == IDResidentCard || h.IDType == IDUSCC {
		h.IDNumber = strings.ToUpper(h.IDNumber)
	}
	return h
}

// Validate checks the holder's name and identity number against its type.
func (h Holder) Validate() error {
	name := strings.TrimSpace(h.Name)
	switch {
	case name == "":
		return holderError("name", "holder.name is required")
	case len([]rune(name)) > 200:
		return holderError("name", "holder.name is longer than 200 characters")
	case h.IDNumber == "":
		return holderError("idNumber", "holder.idNumber is required")
	case len(h.IDNumber) > 64:
		return holderError("idNumber", "holder.idNumber is longer than 64 characters")
	}
	switch h.IDType {
	case IDResidentCard:
		if !ValidResidentID(h.IDNumber) {
			return holderError("idNumber", "holder.idNumber is not a valid resident identity card number (check digit)")
		}
	case IDUSCC:
		if !ValidUSCC(h.IDNumber) {
			return holderError("idNumber", "holder.idNumber is not a valid unified social credit code (check character)")
		}
	case IDPassport, IDOther:
	case "":
		return holderError("idType", "holder.idType is required (%s, %s, %s or %s)", IDResidentCard, IDUSCC, IDPassport, IDOther)
	default:
		return holderError("idType", "holder.idType %q is not one of %s, %s, %s, %s", h.IDType, IDResidentCard, IDUSCC, IDPassport, IDOther)
	}
	return nil
}

// holderError is an invalid holder member, located for the client.
func holderError(member, format string, args ...any) error {
	e := Errorf(ReasonInvalidField, format, args...)
	e.Pointer = "/holder/" + member
	return e
}
