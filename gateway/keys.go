package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/gofiber/fiber/v2"
)

// KeyStorer is implemented by keystores that can keep a new signing key
// (*keystore.Store does). Without it the gateway cannot rotate keys.
type KeyStorer interface {
	PutSigningKey(k keystore.SigningKey) error
}

// keyAnswer is the body of every key operation: the key as now registered
// and the department with all its keys.
type keyAnswer struct {
	Key        credential.Key        `json:"key"`
	Department credential.Department `json:"department"`
}

// compromiseBody is the JSON body of the compromise operation.
type compromiseBody struct {
	CompromisedAt string `json:"compromisedAt"`
	Reason        string `json:"reason"`
}

// maxCompromiseReason bounds the reason, which is recorded in the registry.
const maxCompromiseReason = 500

// keyManager authorizes a key operation on the department in the path: the
// department itself or the governance department. It returns the target
// department from a fresh registry and the MSP ID the ledger write is made
// with: the governance department's, since the contract lets only
// governance change the registry (docs/decisions/0003-key-management.md).
func (s *Server) keyManager(ctx context.Context, c *fiber.Ctx) (caller, target credential.Department, govMSP string, err error) {
	caller, err = s.authenticate(c)
	if err != nil {
		return
	}
	reg, err := s.registry.fresh(ctx)
	if err != nil {
		return
	}
	id := c.Params("dept")
	target, ok := reg.Department(id)
	if !ok {
		err = credential.Errorf(credential.ReasonDepartmentNotFound, "department %q is not in the registry", truncate(id, 40))
		return
	}
	if caller.ID != target.ID && !caller.HasRole(credential.RoleGovernance) {
		err = credential.Errorf(credential.ReasonNotKeyOwner, "only department %s itself or the governance department may manage its keys", target.ID)
		return
	}
	for _, d := range reg.Departments {
		if d.HasRole(credential.RoleGovernance) {
			govMSP = d.MSPID
			break
		}
	}
	if govMSP == "" {
		err = newAPIError(kindUnavailable, "the registry has no governance department to record key changes")
	}
	return
}

// putKeys records target with its changed keys and refreshes the cached
// registry, so the next issuance already signs with the right key.
func (s *Server) putKeys(ctx context.Context, govMSP string, target credential.Department) error {
	if err := s.ledger.PutDepartment(ctx, govMSP, target); err != nil {
		return err
	}
	_, err := s.registry.fresh(ctx)
	return err
}

// handleAddKey generates a new Ed25519 key for the department, keeps the
// private key in this gateway's keystore and registers the public key as
// active from now. The newest active key signs new credentials, so this is
// the first half of a rotation; retiring the old key is the second.
func (s *Server) handleAddKey(c *fiber.Ctx) error {
	store, ok := s.keys.(KeyStorer)
	if !ok {
		return newAPIError(kindUnavailable, "this gateway's keystore cannot store new signing keys")
	}
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	ctx, cancel := s.requestContext(c)
	defer cancel()
	caller, target, govMSP, err := s.keyManager(ctx, c)
	if err != nil {
		return err
	}
	now := s.now().Truncate(time.Millisecond)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	sk := keystore.SigningKey{DeptID: target.ID, KeyID: newKeyID(target, now), Private: priv, Created: now}
	// The private key is stored before the public key is registered: a
	// registered key whose private half was lost could never sign, while a
	// stored key the ledger refused is simply never used.
	if err := store.PutSigningKey(sk); err != nil {
		return fmt.Errorf("storing the new key: %w", err)
	}
	k := credential.Key{ID: sk.KeyID, PublicKey: sk.PublicBase64(), ValidFrom: now, Status: credential.KeyActive}
	target.Keys = append(target.Keys, k)
	if err := s.putKeys(ctx, govMSP, target); err != nil {
		return err
	}
	s.metrics.keyChanges.WithLabelValues("add").Inc()
	s.log.Info("signing key added", slog.String("dept", target.ID), slog.String("kid", k.ID), slog.String("by", caller.ID))
	return c.Status(fiber.StatusCreated).JSON(keyAnswer{Key: k, Department: target})
}

// newKeyID names a key "<dept>-<UTC time>", with a counter when the
// department already has a key of that name (two keys in one second).
func newKeyID(d credential.Department, now time.Time) string {
	base := d.ID + "-" + now.UTC().Format("20060102T150405Z")
	id := base
	for n := 2; ; n++ {
		if _, taken := d.Key(id); !taken {
			return id
		}
		id = fmt.Sprintf("%s-%d", base, n)
	}
}

// handleRetireKey ends an active key's validity now: what it signed before
// stays valid, nothing it signs afterwards is accepted. The department must
// keep another active key, so that retiring never stops issuance by
// accident (add the new key first).
func (s *Server) handleRetireKey(c *fiber.Ctx) error {
	return s.changeKey(c, "retire", func(_, target credential.Department, i int) (credential.Key, error) {
		return retiredKey(target, i, s.now().Truncate(time.Millisecond))
	})
}

// retiredKey returns key i of target retired at now, or why it cannot be.
func retiredKey(target credential.Department, i int, now time.Time) (credential.Key, error) {
	k := target.Keys[i]
	if k.Status != credential.KeyActive {
		return k, credential.Errorf(credential.ReasonKeyChangeNotAllowed, "key %s is %s, not active", k.ID, k.Status)
	}
	if !now.After(k.ValidFrom) {
		return k, credential.Errorf(credential.ReasonKeyChangeNotAllowed, "key %s only becomes valid at %s and cannot be retired before", k.ID, k.ValidFrom.Format(time.RFC3339Nano))
	}
	others := false
	for j, o := range target.Keys {
		if j != i && o.Status == credential.KeyActive && o.CoversTime(now) {
			others = true
		}
	}
	if !others {
		return k, credential.Errorf(credential.ReasonKeyChangeNotAllowed, "key %s is the last active key of %s: add a new key first, or mark it compromised if it leaked", k.ID, target.ID)
	}
	if !k.ValidUntil.IsZero() && k.ValidUntil.Before(now) {
		now = k.ValidUntil // already ended: keep the earlier end
	}
	k.Status, k.ValidUntil = credential.KeyRetired, now
	return k, nil
}

// handleCompromiseKey marks a key compromised from a point in time:
// credentials it signed from then on are forged, those before stay valid.
// The contract makes this final. A department dating the compromise
// further back than the compromise window only requests it (202): the key
// stops signing, and the compromise waits for governance's confirmation.
func (s *Server) handleCompromiseKey(c *fiber.Ctx) error {
	// The body is read inside changeKey, after the caller is authenticated
	// and allowed: an anonymous caller learns nothing from its checks.
	return s.changeKey(c, "compromise", func(caller, target credential.Department, i int) (credential.Key, error) {
		at, reason, err := s.compromiseInput(c)
		if err != nil {
			return credential.Key{}, err
		}
		now := s.now().Truncate(time.Millisecond)
		k := target.Keys[i]
		if k.Status == credential.KeyCompromised {
			return k, credential.Errorf(credential.ReasonKeyChangeNotAllowed, "key %s was already marked compromised at %s; that is final", k.ID, k.CompromisedAt.Format(time.RFC3339Nano))
		}
		if at.Before(now.Add(-s.cfg.CompromiseWindow)) && !caller.HasRole(credential.RoleGovernance) {
			return requestedCompromise(k, caller.ID, at, reason, now)
		}
		k.Status, k.CompromisedAt, k.CompromiseReason, k.CompromiseRequest = credential.KeyCompromised, at, reason, nil
		return k, k.CheckCompromiseTime()
	})
}

// requestedCompromise records a department's report of a compromise
// beyond the window as pending, replacing an earlier report. The key is
// retired now if it was active: a department that reports a leak must not
// keep signing with the key while governance decides.
func requestedCompromise(k credential.Key, by string, at time.Time, reason string, now time.Time) (credential.Key, error) {
	k.CompromiseRequest = &credential.CompromiseRequest{CompromisedAt: at, Reason: reason, RequestedBy: by, RequestedAt: now}
	if err := k.CheckCompromiseTime(); err != nil {
		return k, err
	}
	if k.Status == credential.KeyActive {
		k.Status, k.ValidUntil = credential.KeyRetired, now
	}
	return k, nil
}

// handleConfirmCompromise makes a pending compromise take effect as
// reported. Only the governance department may.
func (s *Server) handleConfirmCompromise(c *fiber.Ctx) error {
	return s.changeKey(c, "confirm-compromise", func(caller, target credential.Department, i int) (credential.Key, error) {
		k := target.Keys[i]
		if !caller.HasRole(credential.RoleGovernance) {
			return k, credential.Errorf(credential.ReasonNotGovernance, "only the governance department may confirm a compromise")
		}
		r := k.CompromiseRequest
		if r == nil || k.Status == credential.KeyCompromised {
			return k, credential.Errorf(credential.ReasonCompromiseNotPending, "key %s has no compromise waiting for confirmation", k.ID)
		}
		k.Status, k.CompromisedAt, k.CompromiseReason, k.CompromiseRequest = credential.KeyCompromised, r.CompromisedAt, r.Reason, nil
		return k, k.CheckCompromiseTime()
	})
}

// changeKey applies change to the key named by the route's :kid and records
// the department on the ledger. Key changes of this gateway are serialized,
// since PutDepartment replaces the whole department entry.
func (s *Server) changeKey(c *fiber.Ctx, op string, change func(caller, target credential.Department, i int) (credential.Key, error)) error {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	ctx, cancel := s.requestContext(c)
	defer cancel()
	caller, target, govMSP, err := s.keyManager(ctx, c)
	if err != nil {
		return err
	}
	i, err := keyIndex(target, c.Params("kid"))
	if err != nil {
		return err
	}
	k, err := change(caller, target, i)
	if err != nil {
		return err
	}
	target.Keys[i] = k
	if err := s.putKeys(ctx, govMSP, target); err != nil {
		return err
	}
	s.metrics.keyChanges.WithLabelValues(op).Inc()
	attrs := []any{slog.String("dept", target.ID), slog.String("kid", k.ID), slog.String("by", caller.ID)}
	switch {
	case k.Status == credential.KeyCompromised:
		attrs = append(attrs, slog.Time("compromisedAt", k.CompromisedAt), slog.String("reason", k.CompromiseReason))
		s.log.Warn("signing key marked compromised", attrs...)
	case k.CompromiseRequest != nil:
		attrs = append(attrs, slog.Time("compromisedAt", k.CompromiseRequest.CompromisedAt), slog.String("reason", k.CompromiseRequest.Reason))
		s.log.Warn("signing key reported compromised, waiting for governance's confirmation", attrs...)
		return c.Status(fiber.StatusAccepted).JSON(keyAnswer{Key: k, Department: target})
	default:
		s.log.Info("signing key "+op+"d", attrs...)
	}
	return c.JSON(keyAnswer{Key: k, Department: target})
}

func keyIndex(d credential.Department, kid string) (int, error) {
	for i, k := range d.Keys {
		if k.ID == kid {
			return i, nil
		}
	}
	return 0, credential.Errorf(credential.ReasonKeyNotFound, "department %s has no key %q", d.ID, truncate(kid, 64))
}

// compromiseInput reads and checks the body of a compromise: from when and
// why.
func (s *Server) compromiseInput(c *fiber.Ctx) (at time.Time, reason string, err error) {
	var body compromiseBody
	if err := decodeJSON(c, &body); err != nil {
		return time.Time{}, "", err
	}
	now := s.now().Truncate(time.Millisecond)
	var probs []FieldProblem
	at = now
	if strings.TrimSpace(body.CompromisedAt) != "" {
		// A plain date is the start of that day in the deployment's zone.
		t, err := credential.ParseTime(body.CompromisedAt, s.cfg.TimeZone, credential.DayStart)
		switch {
		case err != nil:
			probs = append(probs, FieldProblem{Pointer: "#/compromisedAt", Detail: "compromisedAt must be an RFC 3339 time (2026-01-02T15:04:05+08:00) or a date (2026-01-02)"})
		case t.After(now):
			probs = append(probs, FieldProblem{Pointer: "#/compromisedAt", Detail: "compromisedAt cannot be in the future"})
		default:
			at = t.UTC()
		}
	}
	reason = strings.TrimSpace(body.Reason)
	if reason == "" || len([]rune(reason)) > maxCompromiseReason {
		probs = append(probs, FieldProblem{Pointer: "#/reason", Detail: fmt.Sprintf("a compromise needs a reason of 1-%d characters", maxCompromiseReason)})
	}
	if len(probs) > 0 {
		return time.Time{}, "", invalidFields(probs)
	}
	return at, reason, nil
}
