package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// The subscription API: a department subscribes to its own credentials'
// events, the governance department to every department's. Any API key of
// the department may manage its subscriptions.

type subscriptionRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Types  []string `json:"types"`
}

type subscriptionView struct {
	ID         string    `json:"id"`
	Department string    `json:"department"`
	Scope      string    `json:"scope"` // own | all
	URL        string    `json:"url"`
	Events     []string  `json:"events"`
	Types      []string  `json:"types"`
	Created    time.Time `json:"created"`
	Pending    int       `json:"pending"`
	Dropped    int       `json:"dropped"`
}

type subscriptionCreated struct {
	ID     string `json:"id"`
	Secret string `json:"secret"` // shown once
}

type deliveryView struct {
	ID            string          `json:"id"`
	MessageID     string          `json:"messageId"`
	Event         string          `json:"event"`
	CredentialID  string          `json:"credentialId"`
	TransactionID string          `json:"transactionId"`
	State         string          `json:"state"`
	Created       time.Time       `json:"created"`
	Attempts      int             `json:"attempts"`
	NextAttempt   *time.Time      `json:"nextAttempt,omitempty"`
	LastAttempt   *time.Time      `json:"lastAttempt,omitempty"`
	LastStatus    int             `json:"lastStatus,omitempty"`
	LastError     string          `json:"lastError,omitempty"`
	Redelivers    string          `json:"redelivers,omitempty"`
	Body          json.RawMessage `json:"body"`
}

// maxSubscriptionsPerDept bounds what one department can make a gateway
// deliver to.
const maxSubscriptionsPerDept = 20

func (s *Server) webhookAPI() (*webhooks, error) {
	if s.webhooks == nil {
		return nil, credential.Errorf(credential.ReasonWebhooksOff, "this gateway keeps no webhook subscriptions: it needs a state folder, a KEK and a ledger with a change feed")
	}
	return s.webhooks, nil
}

func subView(sub webhookSub) subscriptionView {
	scope := "own"
	if sub.All {
		scope = "all"
	}
	types := sub.Types
	if types == nil {
		types = []string{}
	}
	return subscriptionView{ID: sub.ID, Department: sub.Dept, Scope: scope, URL: sub.URL, Events: sub.Events, Types: types,
		Created: sub.Created, Pending: sub.Pending, Dropped: sub.Dropped}
}

func (s *Server) handleCreateSubscription(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	w, err := s.webhookAPI()
	if err != nil {
		return err
	}
	var req subscriptionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	var probs []FieldProblem
	if len(req.Events) == 0 {
		probs = append(probs, FieldProblem{Pointer: "#/events", Reason: string(credential.ReasonInvalidField), Detail: "name at least one event"})
	}
	events := []string{}
	for i, e := range req.Events {
		if !knownWebhookEvent(e) {
			probs = append(probs, FieldProblem{Pointer: "#/events/" + strconv.Itoa(i), Reason: string(credential.ReasonInvalidField),
				Detail: "one of issued, suspended, reinstated, revoked, renewed, changed"})
		} else if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	reg, err := s.registry.get(ctx)
	if err != nil {
		return err
	}
	var types []string
	for i, t := range req.Types {
		ct, ok := reg.Type(t)
		if !ok {
			probs = append(probs, FieldProblem{Pointer: "#/types/" + strconv.Itoa(i), Reason: string(credential.ReasonUnknownType), Detail: "no credential type with this ID or code"})
		} else if !slices.Contains(types, ct.Code) {
			types = append(types, ct.Code)
		}
	}
	if len(probs) > 0 {
		return invalidFields(probs)
	}
	u, err := w.targets.checkURL(ctx, req.URL, w.resolve)
	if err != nil {
		return err
	}
	subs, err := w.store.subs()
	if err != nil {
		return err
	}
	n := 0
	for _, o := range subs {
		if o.Dept == dept.ID {
			n++
		}
	}
	if n >= maxSubscriptionsPerDept {
		return credential.Errorf(credential.ReasonInvalidRequest, "a department may have at most %d subscriptions on a gateway", maxSubscriptionsPerDept)
	}
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	slices.Sort(events)
	sub := webhookSub{ID: "sub_" + hex.EncodeToString(id), Dept: dept.ID, All: dept.HasRole(credential.RoleGovernance), URL: u.String(),
		Events: events, Types: types, Created: s.now()}
	secret := newWebhookSecret()
	if err := w.subscribed(ctx, sub, secret); err != nil {
		return err
	}
	s.log.Info("webhook subscription created", slog.String("id", sub.ID), slog.String("dept", dept.ID), slog.String("url", sub.URL),
		slog.Any("events", events), slog.String("byKey", actingKey(c)))
	c.Location("/api/v1/subscriptions/" + sub.ID)
	return c.Status(fiber.StatusCreated).JSON(subscriptionCreated{ID: sub.ID, Secret: secret})
}

// ownSubscription finds the caller's subscription; another department's is
// not found, as if it did not exist.
func (s *Server) ownSubscription(c *fiber.Ctx) (*webhooks, credential.Department, webhookSub, error) {
	dept, err := s.authenticate(c)
	if err != nil {
		return nil, dept, webhookSub{}, err
	}
	w, err := s.webhookAPI()
	if err != nil {
		return nil, credential.Department{}, webhookSub{}, err
	}
	sub, err := w.store.sub(c.Params("id"))
	if err != nil || sub.Dept != dept.ID {
		return nil, dept, webhookSub{}, credential.Errorf(credential.ReasonSubscriptionNotFound, "no subscription %s of department %s on this gateway", truncate(c.Params("id"), 40), dept.ID)
	}
	return w, dept, sub, nil
}

func (s *Server) handleListSubscriptions(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	w, err := s.webhookAPI()
	if err != nil {
		return err
	}
	subs, err := w.store.subs()
	if err != nil {
		return err
	}
	out := []subscriptionView{}
	for _, sub := range subs {
		if sub.Dept == dept.ID {
			out = append(out, subView(sub))
		}
	}
	return c.JSON(fiber.Map{"subscriptions": out})
}

func (s *Server) handleGetSubscription(c *fiber.Ctx) error {
	_, _, sub, err := s.ownSubscription(c)
	if err != nil {
		return err
	}
	return c.JSON(subView(sub))
}

func (s *Server) handleDeleteSubscription(c *fiber.Ctx) error {
	w, dept, sub, err := s.ownSubscription(c)
	if err != nil {
		return err
	}
	if err := w.store.delete(sub.ID); err != nil {
		return err
	}
	s.log.Info("webhook subscription deleted", slog.String("id", sub.ID), slog.String("dept", dept.ID), slog.String("byKey", actingKey(c)))
	return c.SendStatus(fiber.StatusNoContent)
}

func newDeliveryView(d webhookDelivery) deliveryView {
	v := deliveryView{ID: deliveryID(d.Seq), MessageID: d.MessageID, Event: d.Event, CredentialID: d.CredentialID, TransactionID: d.TxID,
		State: d.State, Created: d.Created, Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError,
		Redelivers: d.Redelivers, Body: d.Body}
	if !d.NextAttempt.IsZero() {
		v.NextAttempt = &d.NextAttempt
	}
	if !d.LastAttempt.IsZero() {
		v.LastAttempt = &d.LastAttempt
	}
	return v
}

// maxDeliveriesListed bounds one answer of the delivery log.
const maxDeliveriesListed = 100

func (s *Server) handleListDeliveries(c *fiber.Ctx) error {
	w, _, sub, err := s.ownSubscription(c)
	if err != nil {
		return err
	}
	limit := c.QueryInt("limit", maxDeliveriesListed)
	if limit < 1 || limit > maxDeliveriesListed {
		limit = maxDeliveriesListed
	}
	ds, err := w.store.deliveries(sub.ID, limit)
	if err != nil {
		return err
	}
	out := make([]deliveryView, 0, len(ds))
	for _, d := range ds {
		out = append(out, newDeliveryView(d))
	}
	return c.JSON(fiber.Map{"deliveries": out})
}

func (s *Server) handleRedeliver(c *fiber.Ctx) error {
	w, dept, sub, err := s.ownSubscription(c)
	if err != nil {
		return err
	}
	seq, ok := parseDeliveryID(c.Params("deliveryId"))
	if !ok {
		return credential.Errorf(credential.ReasonDeliveryNotFound, "%q is not a delivery ID (dl_ and 16 hex digits)", truncate(c.Params("deliveryId"), 40))
	}
	d, err := w.store.redeliver(sub.ID, seq, w.cfg.Clock(), w.cfg.QueueLimit)
	if err != nil {
		return err
	}
	w.kick()
	s.log.Info("webhook delivery queued again", slog.String("subscription", sub.ID), slog.String("delivery", deliveryID(seq)),
		slog.String("dept", dept.ID), slog.String("byKey", actingKey(c)))
	return c.Status(fiber.StatusAccepted).JSON(newDeliveryView(d))
}
