package gateway

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/certledger/certledger/gateway/provision"
)

// receiver is a webhook endpoint that checks every signature and fails
// its first failures requests.
type receiver struct {
	mu       sync.Mutex
	secret   string
	failures int
	calls    int
	bad      int
	events   []webhookBody
	ids      []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	key, err := webhookKey(r.secret)
	ts, terr := strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64)
	want := signWebhook(key, req.Header.Get("webhook-id"), ts, body)
	if err != nil || terr != nil || !hmac.Equal([]byte(want), []byte(req.Header.Get("webhook-signature"))) {
		r.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.failures > 0 {
		r.failures--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var b webhookBody
	_ = json.Unmarshal(body, &b)
	r.events = append(r.events, b)
	r.ids = append(r.ids, req.Header.Get("webhook-id"))
}

func (r *receiver) seen() []webhookBody {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]webhookBody(nil), r.events...)
}

type webhookEnv struct {
	t      *testing.T
	ledger *embedded.Ledger
	ks     *keystore.Store
	keys   map[string]provision.DemoKey
	kek    atrest.KEK
	clock  *testClock
	state  string
}

func newWebhookEnv(t *testing.T) *webhookEnv {
	f := NewDemoFolder(t)
	return &webhookEnv{t: t, ledger: f.Ledger, ks: f.Keystore, keys: f.Keys, kek: f.KEK,
		clock: &testClock{t: time.Now().UTC()}, state: t.TempDir()}
}

// gateway starts a gateway on the env's ledger; with webhooks, on the
// env's state folder.
func (e *webhookEnv) gateway(webhooks bool) *Server {
	cfg := Config{PublicURL: "https://verify.example.test", Now: e.clock.Now, RegistryTTL: time.Nanosecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if webhooks {
		cfg.StateDir = e.state
		cfg.Webhooks = WebhookConfig{KEK: e.kek, AllowHTTP: true, AllowLoopback: true}
	}
	srv, err := New(cfg, e.ledger, e.ks)
	if err != nil {
		e.t.Fatal(err)
	}
	return srv
}

func (e *webhookEnv) call(srv *Server, method, path, dept string, body any) (int, []byte) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	if body == nil {
		b = nil
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.keys[dept].APIKey)
	resp, err := srv.App().Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// listen serves rcv on a loopback address until the test ends and returns
// its URL.
func (e *webhookEnv) listen(rcv *receiver) string {
	hook := httptest.NewServer(rcv)
	e.t.Cleanup(hook.Close)
	return hook.URL
}

// subscribe creates dept's subscription from body and gives rcv its
// secret, so the receiver can check each delivery's signature.
func (e *webhookEnv) subscribe(srv *Server, dept string, rcv *receiver, body map[string]any) subscriptionCreated {
	e.t.Helper()
	st, raw := e.call(srv, "POST", "/api/v1/subscriptions", dept, body)
	if st != 201 {
		e.t.Fatalf("subscribe: %d %s", st, raw)
	}
	var created subscriptionCreated
	_ = json.Unmarshal(raw, &created)
	rcv.mu.Lock()
	rcv.secret = created.Secret
	rcv.mu.Unlock()
	return created
}

func (e *webhookEnv) issue(srv *Server, n int) string {
	fields := map[string]any{"companyName": "公司" + strconv.Itoa(n), "entityType": "有限责任公司", "legalRepresentative": "张三",
		"establishedOn": "2020-03-15", "address": "福州市鼓楼区五四路100号"}
	st, raw := e.call(srv, "POST", "/api/v1/credentials", "samr", map[string]any{"type": "business-licence",
		"holder": credential.Holder{Name: "福州数字未来科技有限公司", IDType: credential.IDUSCC, IDNumber: "91350100M000100Y43"}, "fields": fields})
	if st != 201 {
		e.t.Fatalf("issue: %d %s", st, raw)
	}
	var a struct{ ID string }
	_ = json.Unmarshal(raw, &a)
	return a.ID
}

// waitFor polls until cond holds, advancing the clock past any backoff
// and kicking the deliveries, for at most 20 s of real time.
func waitFor(t *testing.T, clock *testClock, srv *Server, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		clock.mu.Lock()
		clock.t = clock.t.Add(time.Hour)
		clock.mu.Unlock()
		srv.webhooks.kick()
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWebhooksDeliverEveryChangeInOrder(t *testing.T) {
	e := newWebhookEnv(t)
	rcv := &receiver{failures: 3}
	hookURL := e.listen(rcv)
	gw := e.gateway(true)
	other := e.gateway(false) // a second gateway on the same ledger, without webhooks

	// Refused targets and events.
	if st, raw := e.call(gw, "POST", "/api/v1/subscriptions", "samr", map[string]any{"url": "http://169.254.169.254/x", "events": []string{"issued"}}); st != 400 || !bytes.Contains(raw, []byte("webhook_url_refused")) {
		t.Fatalf("link-local target: %d %s", st, raw)
	}
	if st, raw := e.call(gw, "POST", "/api/v1/subscriptions", "samr", map[string]any{"url": hookURL, "events": []string{"deleted"}}); st != 400 {
		t.Fatalf("unknown event: %d %s", st, raw)
	}
	created := e.subscribe(gw, "samr", rcv, map[string]any{"url": hookURL + "/samr",
		"events": []string{"issued", "suspended", "reinstated", "revoked"}, "types": []string{"business-licence"}})
	if st, _ := e.call(gw, "GET", "/api/v1/subscriptions/"+created.ID, "edu", nil); st != 404 {
		t.Fatalf("another department read the subscription: %d", st)
	}
	if st, raw := e.call(gw, "GET", "/api/v1/subscriptions/"+created.ID, "samr", nil); st != 200 || bytes.Contains(raw, []byte("whsec_")) {
		t.Fatalf("get: %d %s", st, raw)
	}

	// Changes: through this gateway, through the other one, and on the
	// ledger directly.
	a := e.issue(gw, 1)
	b := e.issue(other, 2)
	if st, raw := e.call(other, "POST", "/api/v1/credentials/"+a+"/suspend", "samr", map[string]any{"reason": "年报未报送"}); st != 200 {
		t.Fatalf("suspend: %d %s", st, raw)
	}
	samr, _ := mustRegistry(t, e.ledger).Department("samr")
	if _, err := e.ledger.ChangeStatus(context.Background(), samr.MSPID, a, credential.StatusChange{Action: credential.ActionReinstate, Reason: "已补报"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e.clock, gw, "four events", func() bool { return len(rcv.seen()) >= 4 })

	// A restart: a change while the gateway is down arrives afterwards.
	if err := gw.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ledger.ChangeStatus(context.Background(), samr.MSPID, a, credential.StatusChange{Action: credential.ActionRevoke, Code: credential.RevokedPenalty, Reason: "吊销"}); err != nil {
		t.Fatal(err)
	}
	gw = e.gateway(true)
	defer gw.Shutdown(context.Background())
	waitFor(t, e.clock, gw, "the change made while down", func() bool { return len(rcv.seen()) >= 5 })

	got := map[string][]string{}
	for _, ev := range rcv.seen() {
		got[ev.Data.CredentialID] = append(got[ev.Data.CredentialID], ev.Data.Event)
		if ev.Data.Issuer != "samr" || ev.Data.CredentialType == "" || ev.Data.TransactionID == "" {
			t.Errorf("body %+v", ev)
		}
	}
	if want := []string{"issued", "suspended", "reinstated", "revoked"}; !equalStrings(got[a], want) {
		t.Errorf("events of %s: %v, want %v", a, got[a], want)
	}
	if want := []string{"issued"}; !equalStrings(got[b], want) {
		t.Errorf("events of %s: %v, want %v", b, got[b], want)
	}
	rcv.mu.Lock()
	if rcv.bad != 0 || rcv.calls < 5+3 {
		t.Errorf("%d calls, %d badly signed", rcv.calls, rcv.bad)
	}
	rcv.mu.Unlock()
	for _, ev := range rcv.seen() {
		if ev.Data.Event == "suspended" && ev.Data.StatusReason != "年报未报送" {
			t.Errorf("the issuing department did not get the reason: %+v", ev.Data)
		}
	}

	// The log shows the retried delivery; redelivery sends it again.
	st, raw := e.call(gw, "GET", "/api/v1/subscriptions/"+created.ID+"/deliveries", "samr", nil)
	var log struct{ Deliveries []deliveryView }
	if err := json.Unmarshal(raw, &log); st != 200 || err != nil || len(log.Deliveries) != 5 {
		t.Fatalf("deliveries: %d %s", st, raw)
	}
	first := log.Deliveries[len(log.Deliveries)-1]
	if first.State != deliveryDelivered || first.Attempts != 4 {
		t.Errorf("the first delivery: %+v", first)
	}
	if st, raw := e.call(gw, "POST", "/api/v1/subscriptions/"+created.ID+"/deliveries/"+first.ID+"/redeliver", "samr", nil); st != 202 {
		t.Fatalf("redeliver: %d %s", st, raw)
	}
	waitFor(t, e.clock, gw, "the redelivery", func() bool { return len(rcv.seen()) >= 6 })
	rcv.mu.Lock()
	if rcv.ids[5] != first.MessageID {
		t.Errorf("redelivery id %s, want %s", rcv.ids[5], first.MessageID)
	}
	rcv.mu.Unlock()
	if st, _ := e.call(gw, "DELETE", "/api/v1/subscriptions/"+created.ID, "samr", nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
}

// A governance subscription sees every department's credentials, without
// the status reason text.
func TestWebhooksGovernanceSeesAll(t *testing.T) {
	e := newWebhookEnv(t)
	rcv := &receiver{}
	gw := e.gateway(true)
	defer gw.Shutdown(context.Background())
	e.subscribe(gw, "gov", rcv, map[string]any{"url": e.listen(rcv), "events": []string{"issued", "suspended"}})
	a := e.issue(gw, 1)
	if st, raw := e.call(gw, "POST", "/api/v1/credentials/"+a+"/suspend", "samr", map[string]any{"reason": "年报未报送"}); st != 200 {
		t.Fatalf("suspend: %d %s", st, raw)
	}
	waitFor(t, e.clock, gw, "two events", func() bool { return len(rcv.seen()) >= 2 })
	for _, ev := range rcv.seen() {
		if ev.Data.StatusReason != "" {
			t.Errorf("governance got the reason text: %+v", ev.Data)
		}
	}
}

func mustRegistry(t *testing.T, l credential.Ledger) credential.Registry {
	reg, err := l.Registry(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A renewal and a change of particulars reach a subscriber as renewed and
// changed, each on the new version it made.
func TestWebhooksRenewedAndChanged(t *testing.T) {
	e := newWebhookEnv(t)
	rcv := &receiver{}
	gw := e.gateway(true)
	defer gw.Shutdown(context.Background())
	e.subscribe(gw, "samr", rcv, map[string]any{"url": e.listen(rcv), "events": []string{"renewed", "changed"}})

	v1 := e.issue(gw, 1)
	newVersion := func(id, how string, body map[string]any) string {
		st, raw := e.call(gw, "POST", "/api/v1/credentials/"+id+"/"+how, "samr", body)
		if st != 201 && st != 200 {
			t.Fatalf("%s: %d %s", how, st, raw)
		}
		var a struct{ ID string }
		_ = json.Unmarshal(raw, &a)
		return a.ID
	}
	v2 := newVersion(v1, "renew", map[string]any{"validUntil": "2044-01-01", "reason": "营业期限延续"})
	v3 := newVersion(v2, "change", map[string]any{"fields": map[string]any{"address": "福州市台江区新路1号"}, "reason": "住所变更"})
	waitFor(t, e.clock, gw, "two events", func() bool { return len(rcv.seen()) >= 2 })

	got := map[string][]string{}
	for _, ev := range rcv.seen() {
		got[ev.Data.CredentialID] = append(got[ev.Data.CredentialID], ev.Data.Event)
	}
	if !equalStrings(got[v2], []string{"renewed"}) || !equalStrings(got[v3], []string{"changed"}) || len(got[v1]) != 0 {
		t.Fatalf("events %v; want renewed on %s, changed on %s, none on %s", got, v2, v3, v1)
	}
}

// TestWebhooksFollowOnlyWithASubscription: without a subscription the
// follower does not follow the feed and forgets its position; a first
// subscription takes the ledger's tip as the position before it is stored,
// so nothing committed before it is delivered and nothing after it is lost.
func TestWebhooksFollowOnlyWithASubscription(t *testing.T) {
	e := newWebhookEnv(t)
	store, err := openWebhookStore(e.state, e.kek)
	if err != nil {
		t.Fatal(err)
	}
	defer store.close()
	w := &webhooks{store: store, feed: e.ledger, subc: make(chan struct{}, 1), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := store.setPosition(credential.FeedPosition{Block: 1}); err != nil {
		t.Fatal(err)
	}
	// A context already ended: awaitSubscription makes its check once.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if w.awaitSubscription(done) {
		t.Fatal("the follower would follow without a subscription")
	}
	if _, ok, err := store.position(); ok || err != nil {
		t.Fatalf("the position of a gateway without subscriptions was kept (%v)", err)
	}
	tip, err := e.ledger.FeedTip(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sub := webhookSub{ID: "sub_1", Dept: "samr", URL: "https://example.org/hook", Events: []string{"issued"}}
	if err := w.subscribed(context.Background(), sub, newWebhookSecret()); err != nil {
		t.Fatal(err)
	}
	if pos, ok, err := store.position(); !ok || err != nil || pos != tip {
		t.Fatalf("position %+v %v %v after the first subscription, want the tip %+v", pos, ok, err, tip)
	}
	select {
	case <-w.subc:
	default:
		t.Fatal("the follower was not woken")
	}
	if !w.awaitSubscription(done) {
		t.Fatal("the follower would not follow with a subscription")
	}
}
