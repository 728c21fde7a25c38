package paillier

import (
	"context"
	"fmt"
	"math/big"
	"runtime"
	"sync"
	"sync/atomic"
)

// parallel calls f(i) for every i in [0, n) on GOMAXPROCS goroutines. It stops
// handing out work at the first error, which it returns, or when ctx is done,
// in which case it returns ctx's error.
func parallel(ctx context.Context, n int, f func(i int) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	workers := min(runtime.GOMAXPROCS(0), n)
	var (
		next     atomic.Int64
		failed   atomic.Bool
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for !failed.Load() && ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// checkPool reports whether r makes factors for pk.
func (pk *PublicKey) checkPool(r *Randomness) error {
	if r == nil || !r.pk.Equal(pk) {
		return fmt.Errorf("paillier: randomness pool belongs to another key")
	}
	return nil
}

// EncryptBatch encrypts every message in ms with factors from r, using all
// cores. It wipes each factor once used. On error, including a cancelled ctx,
// it returns no ciphertexts.
func (pk *PublicKey) EncryptBatch(ctx context.Context, r *Randomness, ms []*big.Int) ([]*Ciphertext, error) {
	if err := pk.checkPool(r); err != nil {
		return nil, err
	}
	out := make([]*Ciphertext, len(ms))
	err := parallel(ctx, len(ms), func(i int) error {
		if err := pk.checkMessage(ms[i]); err != nil {
			return fmt.Errorf("paillier: message %d: %w", i, err)
		}
		rn, err := r.Next(ctx)
		if err != nil {
			return err
		}
		out[i], err = pk.Encrypt(ms[i], rn)
		wipeInt(rn)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("paillier: encrypting batch: %w", err)
	}
	return out, nil
}

// AddBatch returns Add(as[i], bs[i]) for every i, using all cores. as and bs
// must have the same length.
func (pk *PublicKey) AddBatch(ctx context.Context, as, bs []*Ciphertext) ([]*Ciphertext, error) {
	if len(as) != len(bs) {
		return nil, fmt.Errorf("paillier: adding batches of %d and %d ciphertexts", len(as), len(bs))
	}
	out := make([]*Ciphertext, len(as))
	err := parallel(ctx, len(as), func(i int) error {
		out[i] = pk.Add(as[i], bs[i])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("paillier: adding batch: %w", err)
	}
	return out, nil
}

// RerandomizeBatch rerandomises every ciphertext in cs with factors from r,
// using all cores, and wipes each factor once used.
func (pk *PublicKey) RerandomizeBatch(ctx context.Context, r *Randomness, cs []*Ciphertext) ([]*Ciphertext, error) {
	if err := pk.checkPool(r); err != nil {
		return nil, err
	}
	out := make([]*Ciphertext, len(cs))
	err := parallel(ctx, len(cs), func(i int) error {
		rn, err := r.Next(ctx)
		if err != nil {
			return err
		}
		out[i] = pk.Rerandomize(cs[i], rn)
		wipeInt(rn)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("paillier: rerandomising batch: %w", err)
	}
	return out, nil
}

// DecryptBatch decrypts every ciphertext in cs, using all cores. On error,
// including a cancelled ctx, it returns no plaintexts.
func (sk *PrivateKey) DecryptBatch(ctx context.Context, cs []*Ciphertext) ([]*big.Int, error) {
	if sk.wiped {
		return nil, ErrWiped
	}
	out := make([]*big.Int, len(cs))
	err := parallel(ctx, len(cs), func(i int) error {
		m, err := sk.Decrypt(cs[i])
		if err != nil {
			return fmt.Errorf("ciphertext %d: %w", i, err)
		}
		out[i] = m
		return nil
	})
	if err != nil {
		for _, m := range out {
			wipeInt(m)
		}
		return nil, fmt.Errorf("paillier: decrypting batch: %w", err)
	}
	return out, nil
}
