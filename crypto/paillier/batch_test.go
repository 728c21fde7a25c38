package paillier

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
)

func TestBatchesMatchSingleOperations(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	pool := testPool(t, pk)
	ctx := context.Background()
	const count = 37 // not a multiple of the worker count
	ms := make([]*big.Int, count)
	for i := range ms {
		ms[i] = randBelow(t, pk.n)
	}
	ms[0], ms[1] = big.NewInt(0), new(big.Int).Sub(pk.n, one)

	cs, err := pk.EncryptBatch(ctx, pool, ms)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := sk.DecryptBatch(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ms {
		if ds[i].Cmp(ms[i]) != 0 || decrypt(t, sk, cs[i]).Cmp(ms[i]) != 0 {
			t.Fatalf("message %d: batch round trip gives %v, want %v", i, ds[i], ms[i])
		}
	}

	sums, err := pk.AddBatch(ctx, cs, cs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cs {
		if sums[i].c.Cmp(pk.Add(cs[i], cs[i]).c) != 0 {
			t.Fatalf("AddBatch[%d] ≠ Add", i)
		}
	}

	rs, err := pk.RerandomizeBatch(ctx, pool, cs)
	if err != nil {
		t.Fatal(err)
	}
	rds, err := sk.DecryptBatch(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cs {
		if rs[i].c.Cmp(cs[i].c) == 0 {
			t.Fatalf("RerandomizeBatch[%d] left the ciphertext unchanged", i)
		}
		if rds[i].Cmp(ms[i]) != 0 {
			t.Fatalf("RerandomizeBatch[%d] decrypts to %v, want %v", i, rds[i], ms[i])
		}
	}

	empty, err := pk.EncryptBatch(ctx, pool, nil)
	if err != nil || len(empty) != 0 {
		t.Fatalf("EncryptBatch(nil) = %v, %v", empty, err)
	}
}

func TestBatchesHonourCancelledContext(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	pool := testPool(t, pk)
	cs := []*Ciphertext{encrypt(t, pk, pool, big.NewInt(1)), encrypt(t, pk, pool, big.NewInt(2))}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	check := func(name string, out any, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v, want context.Canceled", name, err)
		}
		switch o := out.(type) {
		case []*Ciphertext:
			if o != nil {
				t.Errorf("%s returned results despite the error", name)
			}
		case []*big.Int:
			if o != nil {
				t.Errorf("%s returned results despite the error", name)
			}
		}
	}
	e, err := pk.EncryptBatch(ctx, pool, []*big.Int{big.NewInt(1)})
	check("EncryptBatch", e, err)
	a, err := pk.AddBatch(ctx, cs, cs)
	check("AddBatch", a, err)
	r, err := pk.RerandomizeBatch(ctx, pool, cs)
	check("RerandomizeBatch", r, err)
	d, err := sk.DecryptBatch(ctx, cs)
	check("DecryptBatch", d, err)
}

// TestBatchStopsMidway cancels a batch while it runs and expects it to stop
// early rather than finish.
func TestBatchStopsMidway(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int64
	err := parallel(ctx, 1000, func(i int) error {
		if i == 10 {
			cancel()
		}
		calls.Add(1)
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("parallel after cancel: %v", err)
	}
	if calls.Load() >= 1000 {
		t.Fatal("parallel ran every item after cancellation")
	}
}

func TestBatchErrorsNameTheItem(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	pool := testPool(t, pk)
	ctx := context.Background()
	ms := []*big.Int{big.NewInt(1), big.NewInt(2), pk.N(), big.NewInt(3)}
	if _, err := pk.EncryptBatch(ctx, pool, ms); !errors.Is(err, ErrOutOfRange) || !strings.Contains(err.Error(), "message 2") {
		t.Errorf("EncryptBatch with message n at index 2: %v", err)
	}
	cs := []*Ciphertext{encrypt(t, pk, pool, big.NewInt(1)), {c: big.NewInt(0)}}
	if _, err := sk.DecryptBatch(ctx, cs); !errors.Is(err, ErrOutOfRange) || !strings.Contains(err.Error(), "ciphertext 1") {
		t.Errorf("DecryptBatch with a zero ciphertext at index 1: %v", err)
	}
	if _, err := pk.AddBatch(ctx, cs, cs[:1]); err == nil {
		t.Error("AddBatch accepted batches of different lengths")
	}
	otherPool := testPool(t, testKey(t, 1).Public(), WithPoolSize(1), WithLimit(1))
	if _, err := pk.EncryptBatch(ctx, otherPool, ms[:1]); err == nil {
		t.Error("EncryptBatch accepted another key's pool")
	}
	if _, err := pk.RerandomizeBatch(ctx, otherPool, cs[:1]); err == nil {
		t.Error("RerandomizeBatch accepted another key's pool")
	}
}
