package fabricledger_test

import (
	"context"
	"fmt"
	"log"

	"github.com/certledger/certledger/gateway/ledger/fabricledger"
	"github.com/certledger/certledger/network/profile"
)

// Open connects to the network that `certledger network up` made, one
// Fabric identity per department; a record read through it names the
// transaction and block of its issuance. (Not run: it needs a network.)
func ExampleOpen() {
	ctx := context.Background()
	p, err := profile.Load("./certledger-network")
	if err != nil {
		log.Fatal(err)
	}
	ledger, err := fabricledger.Open(ctx, p, fabricledger.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer ledger.Close()
	rec, err := ledger.Record(ctx, "1.2.156.3005.2.11100000MB02000124001.11100000MB02000124.MWWLH3CLM7T8NJKD.001.L")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.Status, rec.IssueTxID, rec.BlockNumber)
}
