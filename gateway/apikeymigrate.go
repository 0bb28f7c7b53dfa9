package gateway

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/keystore"
)

// LegacyAPIKeyStore is a keystore that may still hold the API key hashes
// an earlier release kept there (*keystore.Store).
type LegacyAPIKeyStore interface {
	LegacyAPIKeys() []keystore.LegacyAPIKey
	ForgetAPIKeys(hashes []string) error
}

// MigrateAPIKeys records on the ledger the API keys a keystore.json of an
// earlier release holds, so they keep working (now on every gateway of the
// ledger) and can be listed and revoked like any other, then drops them
// from the keystore. Each is recorded as created by its own department (by
// governance when this gateway cannot act as that department) with a
// label saying where it came from; its public prefix is unknown. A key
// whose department is not in the registry stays in the keystore, unused,
// and is tried again at the next start. It returns how many keys moved.
func MigrateAPIKeys(ctx context.Context, l credential.Ledger, ks LegacyAPIKeyStore, log *slog.Logger) (int, error) {
	legacy := ks.LegacyAPIKeys()
	if len(legacy) == 0 {
		return 0, nil
	}
	reg, err := l.Registry(ctx)
	if err != nil {
		return 0, fmt.Errorf("moving API keys to the ledger: %w", err)
	}
	recorded, err := l.APIKeys(ctx, "")
	if err != nil {
		return 0, fmt.Errorf("moving API keys to the ledger: %w", err)
	}
	onLedger := map[string]bool{}
	for _, k := range recorded {
		onLedger[k.SHA256] = true
	}
	var govMSP string
	for _, d := range reg.Departments {
		if d.HasRole(credential.RoleGovernance) {
			govMSP = d.MSPID
			break
		}
	}
	var done []string
	moved := 0
	for _, k := range legacy {
		id := credential.APIKeyIDOf(k.SHA256)
		if onLedger[k.SHA256] {
			done = append(done, k.SHA256) // an earlier start recorded it
			continue
		}
		d, ok := reg.Department(k.DeptID)
		if !ok {
			log.Warn("keystore API key of a department not in the registry left in the keystore", slog.String("dept", k.DeptID), slog.String("id", id))
			continue
		}
		req := credential.NewAPIKey{ID: id, Dept: d.ID, SHA256: k.SHA256,
			Label: "migrated from keystore.json (created " + k.Created.UTC().Format("2006-01-02") + ")"}
		_, err := l.CreateAPIKey(ctx, d.MSPID, req)
		if credential.ErrorReason(err) == credential.ReasonUnknownDepartment && govMSP != "" && govMSP != d.MSPID {
			_, err = l.CreateAPIKey(ctx, govMSP, req) // this gateway holds no identity of d
		}
		if err != nil && credential.ErrorReason(err) != credential.ReasonAPIKeyExists {
			return moved, fmt.Errorf("moving API key %s of %s to the ledger: %w", id, d.ID, err)
		}
		log.Info("keystore API key moved to the ledger", slog.String("dept", d.ID), slog.String("id", id))
		done = append(done, k.SHA256)
		moved++
	}
	if err := ks.ForgetAPIKeys(done); err != nil {
		return moved, fmt.Errorf("dropping the API keys moved to the ledger from the keystore: %w", err)
	}
	return moved, nil
}
