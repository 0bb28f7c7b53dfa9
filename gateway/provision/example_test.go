package provision_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/certledger/certledger/gateway/provision"
)

func ExampleDemo() {
	dir, _ := os.MkdirTemp("", "provision-example")
	defer os.RemoveAll(dir)
	kek := atrest.Generate() // the operator's key-encryption key
	ledger, _ := embedded.Open(dir, kek)
	defer ledger.Close()
	ks, _ := keystore.Open(dir, kek)

	res, err := provision.Demo(context.Background(), ledger, ks, dir, time.Now())
	fmt.Println(err, len(res.Registered), res.NewAPIKeys)
	keys, _ := provision.ReadDemoKeys(dir)
	fmt.Println(keys["samr"].MSPID, keys["samr"].Types)

	// Running it again changes nothing and keeps the keys.
	res, _ = provision.Demo(context.Background(), ledger, ks, dir, time.Now())
	fmt.Println(len(res.Registered), len(res.NewAPIKeys))
	// Output:
	// <nil> 10 [gov samr edu hrss]
	// SamrMSP [business-licence]
	// 0 0
}
