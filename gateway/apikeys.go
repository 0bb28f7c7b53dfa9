package gateway

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// API keys live on the ledger (chaincode/apikey.go), so every gateway of
// the ledger accepts a key and refuses it once revoked. The governance
// department creates keys for any department; a department creates, lists
// and revokes its own. The contract checks the same from the caller's MSP.

// newAPIKeyBody is the optional body of POST .../api-keys.
type newAPIKeyBody struct {
	Label     string `json:"label"`
	ExpiresAt string `json:"expiresAt"`
	// Roles the key acts with; none gives it every role.
	Roles []string `json:"roles"`
}

// apiKeyView is an API key as the API shows it: never the key, nor its
// hash. LastUsed is when this gateway last accepted it.
type apiKeyView struct {
	ID             string                 `json:"id"`
	Department     string                 `json:"department"`
	Prefix         string                 `json:"prefix,omitempty"`
	Label          string                 `json:"label,omitempty"`
	Status         credential.APIKeyState `json:"status"`
	Created        time.Time              `json:"created"`
	CreatedBy      string                 `json:"createdBy"`
	Roles          []credential.StaffRole `json:"roles"`
	CreatedByKey   string                 `json:"createdByKey,omitempty"`
	CreatedByStaff string                 `json:"createdByStaff,omitempty"`
	CreateTxID     string                 `json:"createTxId"`
	ExpiresAt      time.Time              `json:"expiresAt,omitzero"`
	RevokedAt      time.Time              `json:"revokedAt,omitzero"`
	RevokedBy      string                 `json:"revokedBy,omitempty"`
	RevokedByKey   string                 `json:"revokedByKey,omitempty"`
	RevokedByStaff string                 `json:"revokedByStaff,omitempty"`
	RevokeTxID     string                 `json:"revokeTxId,omitempty"`
	LastUsed       time.Time              `json:"lastUsed,omitzero"`
}

// apiKeyAnswer carries a new API key, the only time it is shown.
type apiKeyAnswer struct {
	ID         string     `json:"id"`
	Department string     `json:"department"`
	APIKey     string     `json:"apiKey"`
	Key        apiKeyView `json:"key"`
	Note       string     `json:"note"`
}

// apiKeyListAnswer is the body of GET .../api-keys.
type apiKeyListAnswer struct {
	Department string       `json:"department"`
	APIKeys    []apiKeyView `json:"apiKeys"`
}

// revokedKeyAnswer is the body of DELETE .../api-keys/{id}.
type revokedKeyAnswer struct {
	Key apiKeyView `json:"key"`
}

func (s *Server) apiKeyView(k credential.APIKey) apiKeyView {
	roles := k.Roles
	if len(roles) == 0 {
		roles = credential.AllStaffRoles
	}
	return apiKeyView{Roles: roles, CreatedByStaff: k.CreatedByStaff, RevokedByStaff: k.RevokedByStaff,
		ID: k.ID, Department: k.Dept, Prefix: k.Prefix, Label: k.Label, Status: k.State(s.now()),
		Created: k.Created, CreatedBy: k.CreatedBy, CreatedByKey: k.CreatedByKey, CreateTxID: k.CreateTxID,
		ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, RevokedBy: k.RevokedBy, RevokedByKey: k.RevokedByKey, RevokeTxID: k.RevokeTxID,
		LastUsed: s.apiKeys.use.last(k.ID),
	}
}

// apiKeyOwner authenticates the request and resolves the department in the
// path, which the caller must be or keep the registry (governance).
// refusal is the reason given to any other department.
func (s *Server) apiKeyOwner(ctx context.Context, c *fiber.Ctx, refusal credential.Reason) (caller, target credential.Department, err error) {
	if caller, err = s.authenticate(c); err != nil {
		return
	}
	id := c.Params("dept")
	reg, err := s.registry.get(ctx)
	if err != nil {
		return
	}
	target, ok := reg.Department(id)
	if !ok {
		if reg, err = s.registry.fresh(ctx); err != nil {
			return
		}
		if target, ok = reg.Department(id); !ok {
			err = credential.Errorf(credential.ReasonDepartmentNotFound, "department %q is not in the registry; register it first with PUT /api/v1/departments/{dept}", truncate(id, 40))
			return
		}
	}
	if caller.ID != target.ID && !caller.HasRole(credential.RoleGovernance) {
		err = credential.Errorf(refusal, "only department %s itself or the governance department may manage its API keys", target.ID)
	}
	return
}

// handleNewAPIKey creates an API key for a department and records it on
// the ledger (its hash, never the key), so the answer is the one time it
// is shown. Every gateway of the ledger accepts it within seconds.
func (s *Server) handleNewAPIKey(c *fiber.Ctx) error {
	ctx, cancel := s.requestContext(c)
	defer cancel()
	caller, target, err := s.apiKeyOwner(ctx, c, credential.ReasonNotGovernance)
	if err != nil {
		return err
	}
	secret, req := credential.GenerateAPIKey(target.ID)
	if err := s.newAPIKeyInput(c, &req); err != nil {
		return err
	}
	req.ActingKey, req.ActingStaff = actingKey(c), actingStaff(c)
	k, err := s.ledger.CreateAPIKey(ctx, caller.MSPID, req)
	if err != nil {
		return err
	}
	s.apiKeys.apply(k)
	s.metrics.keyChanges.WithLabelValues("api-key-create").Inc()
	s.log.Info("API key created", slog.String("dept", k.Dept), slog.String("id", k.ID), slog.String("prefix", k.Prefix),
		slog.String("label", k.Label), slog.Time("expiresAt", k.ExpiresAt), slog.String("by", caller.ID), slog.String("byKey", req.ActingKey), slog.String("byStaff", req.ActingStaff), slog.Any("roles", k.Roles),
		slog.String("tx", k.CreateTxID))
	// The key is a secret: no cache may keep the answer.
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Location("/api/v1/departments/" + k.Dept + "/api-keys")
	return c.Status(fiber.StatusCreated).JSON(apiKeyAnswer{ID: k.ID, Department: k.Dept, APIKey: secret, Key: s.apiKeyView(k),
		Note: "This key is shown once; the ledger keeps only its hash. Hand it to the department over a secure channel."})
}

// newAPIKeyInput reads the optional body of a key creation into req: a
// label and an expiry, which must lie in the future.
func (s *Server) newAPIKeyInput(c *fiber.Ctx, req *credential.NewAPIKey) error {
	var body newAPIKeyBody
	if len(strings.TrimSpace(string(c.BodyRaw()))) > 0 {
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
	}
	var probs fieldProblems
	label, ok := credential.NormalizeAPIKeyLabel(body.Label)
	if !ok {
		probs.add("#/label", "label must be at most %d characters without control characters; it is public, so name a use, not a person", credential.MaxAPIKeyLabel)
	}
	req.Label = label
	roles, ok := credential.NormalizeStaffRoles(body.Roles)
	if !ok || (body.Roles != nil && len(roles) == 0) {
		probs.add("#/roles", "roles must be a non-empty list among clerk, approver and admin; leave them out for a key with every role")
	}
	if len(roles) == len(credential.AllStaffRoles) {
		roles = nil // every role, recorded as a key from before roles is
	}
	req.Roles = roles
	if v := strings.TrimSpace(body.ExpiresAt); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		switch {
		case err != nil:
			probs.add("#/expiresAt", "expiresAt must be an RFC 3339 time (2027-01-02T15:04:05Z)")
		case !t.After(s.now()):
			probs.add("#/expiresAt", "expiresAt must be in the future")
		default:
			req.ExpiresAt = t.UTC()
		}
	}
	if len(probs) > 0 {
		return invalidFields(probs)
	}
	return nil
}

// handleListAPIKeys lists a department's API keys, revoked and expired ones
// included, with who created and who revoked each: a key governance made
// for the department shows here.
func (s *Server) handleListAPIKeys(c *fiber.Ctx) error {
	ctx, cancel := s.requestContext(c)
	defer cancel()
	caller, target, err := s.apiKeyOwner(ctx, c, credential.ReasonNotKeyOwner)
	if err != nil {
		return err
	}
	keys, err := s.ledger.APIKeys(ctx, target.ID)
	if err != nil {
		return err
	}
	out := apiKeyListAnswer{Department: target.ID, APIKeys: make([]apiKeyView, 0, len(keys))}
	for _, k := range keys {
		out.APIKeys = append(out.APIKeys, s.apiKeyView(k))
	}
	s.log.Info("API keys listed", slog.String("dept", target.ID), slog.Int("keys", len(keys)), slog.String("by", caller.ID), slog.String("byKey", actingKey(c)))
	return c.JSON(out)
}

// handleRevokeAPIKey revokes a key for good. The ledger records who did it;
// this gateway refuses the key at once, every other gateway of the ledger
// within its APIKeyTTL.
func (s *Server) handleRevokeAPIKey(c *fiber.Ctx) error {
	ctx, cancel := s.requestContext(c)
	defer cancel()
	caller, target, err := s.apiKeyOwner(ctx, c, credential.ReasonNotKeyOwner)
	if err != nil {
		return err
	}
	id := c.Params("id")
	if !credential.ValidAPIKeyID(id) {
		return credential.Errorf(credential.ReasonAPIKeyNotFound, "%q is not an API key id (ak_ and 16 hex digits)", truncate(id, 40))
	}
	k, err := s.ledger.RevokeAPIKey(ctx, caller.MSPID, credential.APIKeyRevocation{Dept: target.ID, ID: id, ActingKey: actingKey(c), ActingStaff: actingStaff(c)})
	if err != nil {
		return err
	}
	s.apiKeys.apply(k)
	s.metrics.keyChanges.WithLabelValues("api-key-revoke").Inc()
	s.log.Warn("API key revoked", slog.String("dept", k.Dept), slog.String("id", k.ID), slog.String("prefix", k.Prefix),
		slog.String("by", caller.ID), slog.String("byKey", actingKey(c)), slog.String("tx", k.RevokeTxID))
	return c.JSON(revokedKeyAnswer{Key: s.apiKeyView(k)})
}
