package fabricledger

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/network/profile"
	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// Ledger is credential.Ledger on a Fabric channel.
type Ledger struct {
	profile *profile.Profile
	opts    Options
	log     *slog.Logger
	depts   []*dept // profile order
	byMSP   map[string]*dept
	gov     *dept
	blocks  *blockCache
	records *recordCache // fed by events (events.go)
	events  *listener    // nil when the record cache is off
	hook    changeHook   // called by events with each changed record
	apiKeys apiKeyHook   // called by events with each created or revoked API key

	// Reads of one credential go to its issuing department's peers, which
	// committed its issuance and every change before answering, so a
	// client that just issued or revoked reads its own write.
	routeMu      sync.RWMutex
	byUSCC       map[string]*dept
	routeFetched time.Time
}

var _ credential.Ledger = (*Ledger)(nil)

// Open connects to every peer of the profile, one identity per department.
// It does not wait for the network: calls retry while it (re)starts.
func Open(ctx context.Context, p *profile.Profile, o Options) (*Ledger, error) {
	o = o.WithDefaults()
	l := &Ledger{profile: p, opts: o, log: o.Logger, byMSP: map[string]*dept{},
		blocks: newBlockCache(o.BlockCacheSize), records: newRecordCache(o.RecordCacheSize), byUSCC: map[string]*dept{}}
	cc := p.Chaincode
	if cc == "" {
		cc = chaincode.Name
	}
	for i := range p.Departments {
		pd := &p.Departments[i]
		d, err := connect(p, pd, cc)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("fabricledger: %w", err)
		}
		l.depts = append(l.depts, d)
		l.byMSP[d.mspID] = d
		if pd.Governance && l.gov == nil {
			l.gov = d
		}
	}
	if len(l.depts) == 0 {
		return nil, fmt.Errorf("fabricledger: the connection profile names no departments")
	}
	if l.gov == nil {
		l.gov = l.depts[0]
	}
	l.startListener(p.Channel, cc)
	return l, nil
}

// Close closes every connection.
func (l *Ledger) Close() error {
	if l.events != nil {
		l.events.stop()
	}
	for _, d := range l.depts {
		d.close()
	}
	return nil
}

// dept returns the department calling as mspID.
func (l *Ledger) dept(mspID string) (*dept, error) {
	d, ok := l.byMSP[mspID]
	if !ok {
		return nil, credential.Errorf(credential.ReasonUnknownDepartment, "MSP %q is not an organization of this network", mspID)
	}
	return d, nil
}

// readPeers lists the peers for a public read: the preferred department's
// first, then every other department's, each signing as its own department
// (any channel member may read public state).
func (l *Ledger) readPeers(first *dept) []*peer {
	now := time.Now()
	out := first.candidates(now)
	for _, d := range l.depts {
		if d != first {
			out = append(out, d.candidates(now)...)
		}
	}
	return out
}

// evaluate runs a read-only contract function on the first peer that
// answers. Contract errors come back as *credential.Error; "not ready" and
// unreachable peers are retried until Options.StartupRetry.
func (l *Ledger) evaluate(ctx context.Context, peers func() []*peer, qscc bool, fn string, args ...string) ([]byte, error) {
	until := time.Now().Add(l.opts.StartupRetry)
	for {
		var lastErr error
		for _, p := range peers() {
			c := p.contract
			if qscc {
				c = p.qscc
			}
			ectx, cancel := context.WithTimeout(ctx, l.opts.EvaluateTimeout)
			out, err := c.EvaluateWithContext(ectx, fn, client.WithArguments(args...))
			cancel()
			if err == nil {
				p.markUp()
				return out, nil
			}
			if e, ok := contractError(err); ok {
				p.markUp()
				return nil, e
			}
			lastErr = err
			if !peerUnreachable(ctx, err) {
				l.log.Warn("fabric: evaluate failed", slog.String("fn", fn), slog.String("peer", p.name), slog.String("error", describe(err)))
				break
			}
			p.markDown(time.Now(), l.opts.PeerDownFor)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		switch {
		case !transient(lastErr):
			l.log.Error("fabric: read failed", slog.String("fn", fn), slog.String("error", describe(lastErr)))
			return nil, internalError("answer the query", "")
		case time.Now().After(until):
			l.log.Error("fabric: read failed until the retries ran out", slog.String("fn", fn), slog.String("error", describe(lastErr)))
			return nil, unavailableError("answer the query", "")
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

func (l *Ledger) deptPeers(d *dept) func() []*peer {
	return func() []*peer { return d.candidates(time.Now()) }
}

func (l *Ledger) publicPeers(d *dept) func() []*peer {
	return func() []*peer { return l.readPeers(d) }
}

// Registry reads the registry, from the governance department's peers first.
func (l *Ledger) Registry(ctx context.Context) (credential.Registry, error) {
	var reg credential.Registry
	raw, err := l.evaluate(ctx, l.publicPeers(l.gov), false, chaincode.FnGetRegistry)
	if err != nil {
		return reg, err
	}
	if err := decode(raw, &reg, "registry"); err != nil {
		return reg, err
	}
	l.setRoutes(reg)
	return reg, nil
}

// PutDepartment adds or replaces a department as mspID, then waits until
// the department's own peers read its keys as written.
func (l *Ledger) PutDepartment(ctx context.Context, mspID string, dep credential.Department) error {
	if err := l.putJSON(ctx, mspID, chaincode.FnPutDepartment, dep); err != nil {
		return err
	}
	l.awaitKeys(ctx, dep)
	return nil
}

// PutCredentialType adds or replaces a credential type as mspID.
func (l *Ledger) PutCredentialType(ctx context.Context, mspID string, t credential.CredentialType) error {
	return l.putJSON(ctx, mspID, chaincode.FnPutCredentialType, t)
}

func (l *Ledger) putJSON(ctx context.Context, mspID, fn string, v any) error {
	d, err := l.dept(mspID)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return credential.Wrapf(err, credential.ReasonInvalidRequest, "the arguments of %s cannot be encoded", fn)
	}
	_, err = l.submit(ctx, d, submitCall{fn: fn, args: []string{string(b)}})
	l.forgetRoutes()
	return err
}

// Issue records a credential as mspID. The request, which holds personal
// data, travels only as transient data. Concurrent issuances of a
// department share IssueBatch transactions (see issueBatcher); a batch
// whose items are all idempotent replays is answered from the endorsement
// without ordering anything.
func (l *Ledger) Issue(ctx context.Context, mspID string, req credential.IssueRequest) (credential.IssueResult, error) {
	d, err := l.dept(mspID)
	if err != nil {
		return credential.IssueResult{}, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return credential.IssueResult{}, credential.Wrapf(err, credential.ReasonInvalidRequest, "the issue request cannot be encoded")
	}
	if len(body) > chaincode.MaxRequestSize {
		return credential.IssueResult{}, credential.Errorf(credential.ReasonInvalidRequest, "the issue request is larger than %d bytes", chaincode.MaxRequestSize)
	}
	b, err := l.batcher(d)
	if err != nil {
		return credential.IssueResult{}, err
	}
	return b.issue(ctx, body)
}

// ChangeStatus suspends, reinstates or revokes a credential as mspID.
func (l *Ledger) ChangeStatus(ctx context.Context, mspID, id string, ch credential.StatusChange) (credential.Record, error) {
	return l.changeRecord(ctx, mspID, chaincode.FnChangeStatus, id, ch, "the status change")
}

// RotateToken gives a credential its next access token generation as mspID.
func (l *Ledger) RotateToken(ctx context.Context, mspID, id string, r credential.TokenRotation) (credential.Record, error) {
	return l.changeRecord(ctx, mspID, chaincode.FnRotateToken, id, r, "the token rotation")
}

// changeRecord submits fn(id, change) as mspID and answers the changed
// record with the block of its issuance, which it also offers the record
// cache. what names the change in an encoding error.
func (l *Ledger) changeRecord(ctx context.Context, mspID, fn, id string, change any, what string) (credential.Record, error) {
	var rec credential.Record
	d, err := l.dept(mspID)
	if err != nil {
		return rec, err
	}
	b, err := json.Marshal(change)
	if err != nil {
		return rec, credential.Wrapf(err, credential.ReasonInvalidRequest, "%s cannot be encoded", what)
	}
	out, err := l.submit(ctx, d, submitCall{fn: fn, args: []string{id, string(b)}})
	if err != nil {
		return rec, err
	}
	if err := decode(out.result, &rec, "record"); err != nil {
		return rec, err
	}
	rec.BlockNumber = l.blockOf(ctx, l.deptPeers(d), rec.IssueTxID)
	l.records.offer(rec, out.block)
	return rec, nil
}

// Record reads a credential's public record, with the block of its
// issuance: from the record cache when it holds it (see events.go).
func (l *Ledger) Record(ctx context.Context, id string) (credential.Record, error) {
	if rec, ok, err := l.cachedRecord(ctx, id); ok {
		return rec, err
	}
	var rec credential.Record
	peers := l.publicPeers(l.issuerOf(ctx, id))
	raw, err := l.evaluate(ctx, peers, false, chaincode.FnGetRecord, id)
	if err != nil {
		return rec, err
	}
	if err := decode(raw, &rec, "record"); err != nil {
		return rec, err
	}
	rec.BlockNumber = l.blockOf(ctx, peers, rec.IssueTxID)
	return rec, nil
}

// Document reads the full document from the private data collection, as
// mspID (the contract decides who may).
func (l *Ledger) Document(ctx context.Context, mspID, id string) (credential.Document, error) {
	var doc credential.Document
	d, err := l.dept(mspID)
	if err != nil {
		return doc, err
	}
	raw, err := l.evaluate(ctx, l.deptPeers(d), false, chaincode.FnGetDocument, id)
	if err != nil {
		return doc, err
	}
	return doc, decode(raw, &doc, "document")
}

// History lists every change of a credential, oldest first.
func (l *Ledger) History(ctx context.Context, id string) ([]credential.Change, error) {
	var h []credential.Change
	raw, err := l.evaluate(ctx, l.publicPeers(l.issuerOf(ctx, id)), false, chaincode.FnGetHistory, id)
	if err != nil {
		return nil, err
	}
	return h, decode(raw, &h, "history")
}

// blockOf returns the block of a transaction, from the cache or from qscc.
// A failed lookup is logged and answered 0 (unknown): a verification is
// not failed for want of the block number.
func (l *Ledger) blockOf(ctx context.Context, peers func() []*peer, txID string) uint64 {
	if txID == "" {
		return 0
	}
	if n, ok := l.blocks.get(txID); ok {
		return n
	}
	raw, err := l.evaluate(ctx, peers, true, "GetBlockByTxID", l.profile.Channel, txID)
	if err != nil {
		l.log.Warn("fabric: block of transaction not found", slog.String("tx", txID), slog.String("error", describe(err)))
		return 0
	}
	n, err := blockNumber(raw)
	if err != nil {
		l.log.Warn("fabric: undecodable block", slog.String("tx", txID), slog.String("error", describe(err)))
		return 0
	}
	l.blocks.put(txID, n)
	return n
}

// issuerOf finds the department that issued credential id from the
// issuer USCC inside the identifier, falling back on the governance
// department for identifiers of unknown issuers.
func (l *Ledger) issuerOf(ctx context.Context, id string) *dept {
	ident, err := credential.ParseIdentifier(id)
	if err != nil {
		return l.gov
	}
	l.routeMu.RLock()
	d, ok := l.byUSCC[ident.Issuer]
	stale := time.Since(l.routeFetched) > 5*time.Second
	l.routeMu.RUnlock()
	if ok {
		return d
	}
	if stale {
		if _, err := l.Registry(ctx); err == nil {
			l.routeMu.RLock()
			d, ok = l.byUSCC[ident.Issuer]
			l.routeMu.RUnlock()
			if ok {
				return d
			}
		}
	}
	return l.gov
}

func (l *Ledger) setRoutes(reg credential.Registry) {
	m := make(map[string]*dept, len(reg.Departments))
	for _, rd := range reg.Departments {
		if d, ok := l.byMSP[rd.MSPID]; ok && rd.USCC != "" {
			m[rd.USCC] = d
		}
	}
	l.routeMu.Lock()
	l.byUSCC, l.routeFetched = m, time.Now()
	l.routeMu.Unlock()
}

func (l *Ledger) forgetRoutes() {
	l.routeMu.Lock()
	l.routeFetched = time.Time{}
	l.routeMu.Unlock()
}

func decode(raw []byte, v any, what string) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return credential.Wrapf(err, credential.ReasonLedgerFailure, "the ledger answered an undecodable %s", what)
	}
	return nil
}
