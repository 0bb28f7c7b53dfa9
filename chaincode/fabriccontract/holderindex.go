package fabriccontract

import (
	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// StateRangeN closes the peer's iterator after n keys. The peer hands a
// range to the chaincode in batches of 100 keys, so a scan stopped early has
// read at most the batch it stopped in.
func (t fabricTx) StateRangeN(start, end string, n int) ([]chaincode.KV, error) {
	var out []chaincode.KV
	if n <= 0 {
		return out, nil
	}
	it, err := t.stub().GetStateByRange(start, end)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	for len(out) < n && it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, chaincode.KV{Key: kv.Key, Value: kv.Value})
	}
	return out, nil
}

var _ chaincode.BoundedRanger = fabricTx{}

// GetCredentialsByHolder returns one page of the holder index's answer to
// a HolderQuery (JSON) as a HolderPage.
func (c *Contract) GetCredentialsByHolder(ctx contractapi.TransactionContextInterface, queryJSON string) (string, error) {
	var q credential.HolderQuery
	if err := decodeArg(queryJSON, "holder query", &q); err != nil {
		return "", chaincode.EncodeError(err)
	}
	return asJSON(chaincode.GetCredentialsByHolder(fabricTx{ctx}, q))
}

// IndexHolders lists in the holder index up to chaincode.IndexBatch records
// after identifier after ("" from the start) and returns the IndexProgress.
func (c *Contract) IndexHolders(ctx contractapi.TransactionContextInterface, after string) (string, error) {
	return asJSON(chaincode.IndexHolders(writer(ctx), after))
}
