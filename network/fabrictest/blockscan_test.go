package fabrictest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/certledger/certledger/network/rawfabric"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// TestNoPersonalDataInBlocks: after issuances to persons and a company
// with names and ID numbers found nowhere else, a suspension and a token
// rotation, no block of the channel, from the genesis block to the
// current height, holds any of those names or numbers in any form a
// careless encoding would leave them in (docs/security.md: personal data
// only in transient data and private collections). The scan must see the
// credential identifiers, which are public, or it proves nothing.
func TestNoPersonalDataInBlocks(t *testing.T) {
	need(t)
	g := gateway(t)
	personA, personB := residentID("35010219870314041"), residentID("44030619920817253")
	company := usccOf("91350102MA8TQ7XK3")
	secrets := []string{"欧阳青禾", "司马振岳", "闽江扫链测试科技有限公司", "诸葛明远", personA, personB, company}

	holder := func(name, idType, number string) map[string]any {
		return map[string]any{"name": name, "idType": idType, "idNumber": number}
	}
	var ids []string
	issueTo := func(dept string, n int, h map[string]any, fields map[string]any) issued {
		t.Helper()
		req := requestFor(dept, n)
		req["holder"] = h
		for k, v := range fields {
			req["fields"].(map[string]any)[k] = v
		}
		var out issued
		if _, err := call(g.URL(), "POST", "/api/v1/credentials", g.Keys()[dept].APIKey, req, &out); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, out.ID)
		return out
	}
	diploma := issueTo("edu", 9301, holder("欧阳青禾", "resident_id", personA), nil)
	issueTo("hrss", 9302, holder("司马振岳", "resident_id", personB), nil)
	issueTo("edu", 9303, holder("司马振岳", "resident_id", personB), nil)
	licence := issueTo("samr", 9304, holder("闽江扫链测试科技有限公司", "uscc", company),
		map[string]any{"companyName": "闽江扫链测试科技有限公司", "legalRepresentative": "诸葛明远"})

	if _, err := call(g.URL(), "POST", "/api/v1/credentials/"+licence.ID+"/suspend", g.Keys()["samr"].APIKey,
		map[string]string{"reason": "登记事项核查中"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := call(g.URL(), "POST", "/api/v1/credentials/"+diploma.ID+"/token/rotate", g.Keys()["edu"].APIKey, nil, nil); err != nil {
		t.Fatal(err)
	}

	// Every change above was acknowledged after its commit, so the height
	// read now covers all of them.
	blocks := channelBlocks(t)
	seen := map[string]int{} // identifier -> blocks naming it
	var total int
	for n, b := range blocks {
		total += len(b)
		for _, id := range ids {
			if bytes.Contains(b, []byte(id)) {
				seen[id]++
			}
		}
		for _, s := range secrets {
			if form, ok := leaks(b, s); ok {
				t.Errorf("block %d holds %q as %s", n, s, form)
			}
		}
	}
	t.Logf("scanned %d blocks, %d bytes; blocks naming each credential: %v", len(blocks), total, seen)
	for _, id := range ids {
		if seen[id] == 0 {
			t.Errorf("no block names credential %s: the scan did not see its issuance", id)
		}
	}
	// The suspension and the rotation are transactions of their own on the
	// same credential, in later blocks than its issuance.
	for _, id := range []string{licence.ID, diploma.ID} {
		if seen[id] < 2 {
			t.Errorf("credential %s is named in %d blocks; want its issuance and its later change", id, seen[id])
		}
	}
}

// channelBlocks reads every block of the channel, as samr through its
// peer, in the bytes qscc serves them.
func channelBlocks(t *testing.T) [][]byte {
	t.Helper()
	c, err := rawfabric.Dial(profile, "samr")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	qscc := c.Network().GetContract("qscc")
	raw, err := qscc.EvaluateWithContext(ctx, "GetChainInfo", client.WithArguments(profile.Channel))
	if err != nil {
		t.Fatal(err)
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(raw, &info); err != nil || info.Height < 2 {
		t.Fatalf("chain info: height %d, %v", info.Height, err)
	}
	out := make([][]byte, 0, info.Height)
	for n := uint64(0); n < info.Height; n++ {
		b, err := qscc.EvaluateWithContext(ctx, "GetBlockByNumber", client.WithArguments(profile.Channel, strconv.FormatUint(n, 10)))
		if err != nil {
			t.Fatalf("block %d: %v", n, err)
		}
		var blk common.Block
		if err := proto.Unmarshal(b, &blk); err != nil || blk.GetHeader().GetNumber() != n {
			t.Fatalf("block %d: not that block (%v)", n, err)
		}
		out = append(out, b)
	}
	return out
}

// leaks reports whether b holds s raw, JSON \u-escaped, base64 (standard
// or URL alphabet, at any of the three byte alignments) or hex, and in
// which form.
func leaks(b []byte, s string) (string, bool) {
	for _, f := range encodings(s) {
		if bytes.Contains(b, []byte(f.text)) {
			return f.name, true
		}
	}
	return "", false
}

type encoded struct{ name, text string }

func encodings(s string) []encoded {
	out := []encoded{{"UTF-8", s}, {"hex", hex.EncodeToString([]byte(s))}}
	var lower, upper strings.Builder
	for _, r := range s {
		// Escape every character, as some encoders do for non-ASCII and a
		// paranoid one for all.
		if r > 0xFFFF {
			r1, r2 := utf16Pair(r)
			fmt.Fprintf(&lower, `\u%04x\u%04x`, r1, r2)
			fmt.Fprintf(&upper, `\u%04X\u%04X`, r1, r2)
			continue
		}
		fmt.Fprintf(&lower, `\u%04x`, r)
		fmt.Fprintf(&upper, `\u%04X`, r)
	}
	out = append(out, encoded{"JSON \\u escapes", lower.String()}, encoded{"JSON \\u escapes", upper.String()})
	for _, enc := range []struct {
		name string
		e    *base64.Encoding
	}{{"base64", base64.StdEncoding}, {"base64url", base64.URLEncoding}} {
		for shift := 0; shift < 3; shift++ {
			out = append(out, encoded{fmt.Sprintf("%s at offset %d", enc.name, shift), base64Core(enc.e, s, shift)})
		}
	}
	return out
}

// base64Core is the part of the base64 text of s, preceded by shift other
// bytes, that depends on s alone: the groups mixing s with its
// neighbours, whatever they are, are left off.
func base64Core(e *base64.Encoding, s string, shift int) string {
	text := e.EncodeToString(append(make([]byte, shift), s...))
	if shift > 0 {
		text = text[4:]
	}
	return text[:len(text)-4]
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xD800 + (r>>10)&0x3FF, 0xDC00 + r&0x3FF
}

// residentID completes 17 digits with their GB 11643 check character.
func residentID(first17 string) string {
	sum := 0
	for i := 0; i < 17; i++ {
		w := 1
		for j := 0; j < 17-i; j++ {
			w = w * 2 % 11
		}
		sum += int(first17[i]-'0') * w
	}
	return first17 + string("10X98765432"[sum%11])
}

// usccOf completes 17 characters with their GB 32100 check character.
func usccOf(first17 string) string {
	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(chars, first17[i]) * weights[i]
	}
	return first17 + string(chars[(31-sum%31)%31])
}

// TestLeakFormsAreFound: the scan's matcher finds a name and an ID number
// hidden in each form amid other bytes, so a clean scan means something.
func TestLeakFormsAreFound(t *testing.T) {
	for _, s := range []string{"欧阳青禾", residentID("35010219870314041")} {
		if !utf8.ValidString(s) {
			t.Fatal("not UTF-8")
		}
		for _, f := range encodings(s) {
			name := f.name
			for pad := 0; pad < 3; pad++ {
				var hidden []byte
				switch {
				case strings.HasPrefix(name, "base64url"):
					hidden = []byte(base64.URLEncoding.EncodeToString(append(bytes.Repeat([]byte{0xfb}, pad+7), s+"\x00tail"...)))
				case strings.HasPrefix(name, "base64"):
					hidden = []byte(base64.StdEncoding.EncodeToString(append(bytes.Repeat([]byte{0xfb}, pad+7), s+"\x00tail"...)))
				default:
					hidden = []byte(f.text)
				}
				b := append(append([]byte("\x0a\x12header"), hidden...), "\x1a\x04rest"...)
				if _, ok := leaks(b, s); !ok {
					t.Errorf("%q as %s after %d bytes is not found", s, name, pad+7)
				}
			}
		}
	}
	if _, ok := leaks([]byte("nothing personal here"), "欧阳青禾"); ok {
		t.Error("a leak is found where there is none")
	}
}

// TestNoPersonalDataInConsentBlocks: a demo citizen signed in at the demo
// identity provider is issued a diploma and a qualification, hrss asks for
// them naming the citizen by ID number, the citizen approves, and hrss
// reads the presentations (which disclose the name). No block of the
// channel holds the citizen's name or ID number in any form, while the
// scan sees the request in the blocks of its creation, decision and read.
func TestNoPersonalDataInConsentBlocks(t *testing.T) {
	need(t)
	z := signInCitizen(t, "wangfang")
	got := runConsent(t, z, 9601)
	blocks := channelBlocks(t)
	seen := map[string]int{}
	for n, b := range blocks {
		for _, id := range []string{got.request, got.diploma, got.qualific} {
			if bytes.Contains(b, []byte(id)) {
				seen[id]++
			}
		}
		for _, s := range []string{z.who.Name, z.who.IDNumber} {
			if form, ok := leaksDistinctly(b, s); ok {
				t.Errorf("block %d holds %q as %s", n, s, form)
			}
		}
	}
	t.Logf("scanned %d blocks; blocks naming the request and its credentials: %v", len(blocks), seen)
	if seen[got.request] < 3 {
		t.Errorf("request %s is named in %d blocks; want its creation, its approval and its read", got.request, seen[got.request])
	}
	for _, id := range []string{got.diploma, got.qualific} {
		if seen[id] < 2 {
			t.Errorf("credential %s is named in %d blocks; want its issuance and the approval", id, seen[id])
		}
	}
}

// leaksDistinctly is leaks without the forms too short to mean anything: a
// two-character name is six bytes, whose base64 core is four characters
// that any block's certificates may hold by chance.
func leaksDistinctly(b []byte, s string) (string, bool) {
	for _, f := range encodings(s) {
		if len(f.text) >= 8 && bytes.Contains(b, []byte(f.text)) {
			return f.name, true
		}
	}
	return "", false
}
