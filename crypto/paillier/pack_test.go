package paillier

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"
	"testing"
)

func TestNewLayout(t *testing.T) {
	for _, tc := range []struct{ value, kappa, key int }{
		{1, 0, 1024}, {32, 40, 1024}, {64, 40, 2048}, {64, 40, 3072}, {100, 40, 2048}, {982, 40, 1024}, {2006, 40, 2048},
	} {
		l, err := NewLayout(tc.value, tc.kappa, tc.key)
		if err != nil {
			t.Errorf("NewLayout(%d, %d, %d): %v", tc.value, tc.kappa, tc.key, err)
			continue
		}
		w := l.SlotBits()
		if w != tc.value+tc.kappa+1 || l.ValueBits() != tc.value || l.Kappa() != tc.kappa {
			t.Errorf("NewLayout(%d, %d, %d): slot of %d bits", tc.value, tc.kappa, tc.key, w)
		}
		// As many slots as fit below 2^(key−1), and no more.
		if used := l.Slots() * w; used > tc.key-1 || used+w <= tc.key-1 {
			t.Errorf("NewLayout(%d, %d, %d): %d slots of %d bits", tc.value, tc.kappa, tc.key, l.Slots(), w)
		}
	}
	for _, tc := range []struct{ value, kappa, key int }{
		{0, 40, 2048}, {-1, 40, 2048}, {64, -1, 2048}, {983, 40, 1024}, {2007, 40, 2048}, {1, 0, 0},
	} {
		if _, err := NewLayout(tc.value, tc.kappa, tc.key); err == nil {
			t.Errorf("NewLayout(%d, %d, %d) succeeded", tc.value, tc.kappa, tc.key)
		}
	}
}

func TestLayoutCiphertexts(t *testing.T) {
	l, err := NewLayout(64, 40, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for values := range 100 {
		c := l.Ciphertexts(values)
		if c*l.Slots() < values || (c > 0 && (c-1)*l.Slots() >= values) {
			t.Errorf("Ciphertexts(%d) = %d with %d slots each", values, c, l.Slots())
		}
	}
}

func TestPackUnpackRoundTrip(t *testing.T) {
	l, err := NewLayout(48, 40, testBits)
	if err != nil {
		t.Fatal(err)
	}
	bound := new(big.Int).Lsh(one, uint(l.ValueBits()))
	for count := 0; count <= l.Slots(); count++ {
		vals := make([]*big.Int, count)
		for i := range vals {
			vals[i] = randBelow(t, bound)
		}
		p, err := l.Pack(vals)
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.Unpack(p, count)
		if err != nil {
			t.Fatal(err)
		}
		for i := range vals {
			if got[i].Cmp(vals[i]) != 0 {
				t.Fatalf("count %d, slot %d: unpacked %v, want %v", count, i, got[i], vals[i])
			}
		}
	}
}

func TestPackRejects(t *testing.T) {
	l, err := NewLayout(16, 8, testBits)
	if err != nil {
		t.Fatal(err)
	}
	ok := big.NewInt(7)
	tooMany := make([]*big.Int, l.Slots()+1)
	for i := range tooMany {
		tooMany[i] = ok
	}
	if _, err := l.Pack(tooMany); err == nil {
		t.Error("Pack accepted more values than slots")
	}
	for name, bad := range map[string]*big.Int{"negative": big.NewInt(-1), "2^v": big.NewInt(1 << 16), "nil": nil} {
		_, err := l.Pack([]*big.Int{ok, ok, ok, bad})
		if err == nil || !strings.Contains(err.Error(), "value 3") {
			t.Errorf("%s at index 3: Pack error %v", name, err)
		}
	}
	for name, p := range map[string]*big.Int{
		"negative":  big.NewInt(-1),
		"too large": new(big.Int).Lsh(one, uint(l.Slots()*l.SlotBits())),
		"nil":       nil,
	} {
		if _, err := l.Unpack(p, 1); err == nil {
			t.Errorf("Unpack accepted a %s plaintext", name)
		}
	}
	if _, err := l.Unpack(big.NewInt(1), l.Slots()+1); err == nil {
		t.Error("Unpack accepted more slots than the layout has")
	}
	if _, _, err := l.Mask(rand.Reader, l.Slots()+1); err == nil {
		t.Error("Mask accepted more slots than the layout has")
	}
}

func TestMask(t *testing.T) {
	l, err := NewLayout(20, 12, testBits)
	if err != nil {
		t.Fatal(err)
	}
	maskBits := l.ValueBits() + l.Kappa()
	topSeen := false
	for range 20 {
		packed, masks, err := l.Mask(rand.Reader, l.Slots())
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.Unpack(packed, l.Slots())
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range masks {
			if m.Sign() < 0 || m.BitLen() > maskBits {
				t.Fatalf("mask %d = %v outside [0, 2^%d)", i, m, maskBits)
			}
			if got[i].Cmp(m) != 0 {
				t.Fatalf("packed mask %d = %v, want %v", i, got[i], m)
			}
			topSeen = topSeen || m.BitLen() == maskBits
		}
	}
	if !topSeen {
		t.Fatal("no mask ever used its top bit: masks are not uniform over their range")
	}
	packed, masks, err := l.Mask(rand.Reader, 0)
	if err != nil || packed.Sign() != 0 || len(masks) != 0 {
		t.Fatalf("Mask(0) = %v, %v, %v", packed, masks, err)
	}
	if _, _, err := l.Mask(failingReader{}, 1); err == nil {
		t.Fatal("Mask with a failing reader succeeded")
	}
}

// TestMaskedSlotsNeverCarry runs the protocol's blind step on packed rows at
// the extremes: one controller encrypts its packed values, the other its
// packed masks under the same key, the third party adds and rerandomises, and
// the key owner must find value+mask in every slot, exactly.
func TestMaskedSlotsNeverCarry(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	pool := testPool(t, pk)
	ctx := context.Background()
	for _, dims := range []struct{ value, kappa int }{{16, 40}, {64, 40}, {1, 0}, {100, 20}} {
		l, err := NewLayout(dims.value, dims.kappa, pk.Bits())
		if err != nil {
			t.Fatal(err)
		}
		maxVal := new(big.Int).Sub(new(big.Int).Lsh(one, uint(dims.value)), one)
		maxMask := new(big.Int).Sub(new(big.Int).Lsh(one, uint(dims.value+dims.kappa)), one)
		zero := new(big.Int)
		fill := func(f func(i int) *big.Int) []*big.Int {
			out := make([]*big.Int, l.Slots())
			for i := range out {
				out[i] = f(i)
			}
			return out
		}
		constant := func(x *big.Int) func(int) *big.Int { return func(int) *big.Int { return x } }
		alternate := func(a, b *big.Int) func(int) *big.Int {
			return func(i int) *big.Int {
				if i%2 == 0 {
					return a
				}
				return b
			}
		}
		cases := map[string][2][]*big.Int{
			"zeros, zero masks":      {fill(constant(zero)), fill(constant(zero))},
			"maxima, zero masks":     {fill(constant(maxVal)), fill(constant(zero))},
			"zeros, maximal masks":   {fill(constant(zero)), fill(constant(maxMask))},
			"maxima, maximal masks":  {fill(constant(maxVal)), fill(constant(maxMask))},
			"alternating extremes":   {fill(alternate(maxVal, zero)), fill(alternate(maxMask, zero))},
			"alternating, crosswise": {fill(alternate(zero, maxVal)), fill(alternate(maxMask, zero))},
		}
		for name, tc := range cases {
			vals, masks := tc[0], tc[1]
			packed, err := l.Pack(vals)
			if err != nil {
				t.Fatal(err)
			}
			cv, err := pk.EncryptBatch(ctx, pool, []*big.Int{packed, l.pack(masks)})
			if err != nil {
				t.Fatal(err)
			}
			blinded := pk.Rerandomize(pk.Add(cv[0], cv[1]), mustNext(t, pool))
			slots, err := l.Unpack(decrypt(t, sk, blinded), l.Slots())
			if err != nil {
				t.Fatalf("v=%d κ=%d %s: %v", dims.value, dims.kappa, name, err)
			}
			for i := range slots {
				want := new(big.Int).Add(vals[i], masks[i])
				if slots[i].Cmp(want) != 0 {
					t.Fatalf("v=%d κ=%d %s: slot %d holds %v, want %v", dims.value, dims.kappa, name, i, slots[i], want)
				}
			}
		}
		// And with masks drawn as the protocol draws them.
		vals := fill(func(int) *big.Int { return randBelow(t, new(big.Int).Add(maxVal, one)) })
		packedMasks, masks, err := l.Mask(rand.Reader, l.Slots())
		if err != nil {
			t.Fatal(err)
		}
		packed, _ := l.Pack(vals)
		sum := pk.Add(encrypt(t, pk, pool, packed), encrypt(t, pk, pool, packedMasks))
		slots, err := l.Unpack(decrypt(t, sk, sum), l.Slots())
		if err != nil {
			t.Fatal(err)
		}
		for i := range slots {
			if want := new(big.Int).Add(vals[i], masks[i]); slots[i].Cmp(want) != 0 {
				t.Fatalf("v=%d κ=%d random: slot %d holds %v, want %v", dims.value, dims.kappa, i, slots[i], want)
			}
		}
	}
}
