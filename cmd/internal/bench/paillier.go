// Package bench holds the in-process benchmarks of triad bench: Paillier's operations
// and the secure lasso fit. Each prints what it measured, as JSON or a table.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/triad-mpc/triad/cmd/internal/cli"
	"github.com/triad-mpc/triad/crypto/paillier"
)

// paillierBench is the result of "triad bench paillier". Every rate counts
// operations per second of wall time with all cores busy.
type paillierBench struct {
	Bits              int     `json:"bits"`
	Ops               int     `json:"ops"`
	Rows              int     `json:"rows"` // the join the pools are sized for, which sets their tables' window
	Cores             int     `json:"cores"`
	Rounds            int     `json:"rounds"` // the measurements take turns, round by round
	KeygenMs          float64 `json:"keygen_ms"`
	RandomnessSetupMs float64 `json:"randomness_setup_ms"` // fixed-base table, once per pool
	EncryptPerS       float64 `json:"encrypt_per_s"`       // online: one multiplication by a pooled factor
	RandomnessPerS    float64 `json:"randomness_per_s"`    // offline: pool factors hs^a mod n², short exponents
	// The key owner's factors, by CRT over p² and q² (WithPrivateKey), and
	// the uniform ones a party re-randomises with for the owner (WithUniform).
	RandomnessOwnerPerS   float64 `json:"randomness_owner_per_s"`
	RandomnessUniformPerS float64 `json:"randomness_uniform_per_s"`
	EncryptNaivePerS      float64 `json:"encrypt_naive_per_s"` // fresh r^n mod n² each time, no pool
	DecryptPerS           float64 `json:"decrypt_per_s"`       // CRT over p² and q²
	DecryptNaivePerS      float64 `json:"decrypt_naive_per_s"` // L(c^λ mod n²)·μ mod n
}

// paillierRounds is how many turns the measurements take: interleaving them
// spreads a shared machine's changing load evenly over all of them, so that
// their ratios stay meaningful.
const paillierRounds = 4

// Paillier runs "triad bench paillier [--bits 2048] [--ops N]": it
// measures the Paillier operations of steps 3–6 in one run and prints one JSON
// object. It checks every decryption against the message it encrypted.
func Paillier(ctx context.Context, args []string, stdout io.Writer) error {
	fs := cli.NewFlags("bench paillier", "[--bits B] [--ops N] [--rows N]", "measure Paillier's operations of steps 3–6 with and without the speed-ups, as JSON")
	bits := fs.Int("bits", paillier.DefaultBits, "modulus size in bits (2048 or 3072)")
	ops := fs.Int("ops", 200, "operations per measurement")
	rows := fs.Int("rows", 100_000, "the join the pools are sized for, in rows per controller: a pool's table window follows the factors it will draw")
	if err := cli.Parse(fs, args, stdout); err != nil {
		return err
	}
	if *ops < 1 || *rows < 1 {
		return cli.Usagef(fs, "bench paillier: --ops and --rows must be positive, have %d and %d", *ops, *rows)
	}
	res := paillierBench{Bits: *bits, Ops: *ops, Rows: *rows, Cores: runtime.GOMAXPROCS(0), Rounds: min(*ops, paillierRounds)}

	start := time.Now()
	sk, err := paillier.GenerateKey(rand.Reader, *bits)
	if err != nil {
		return fmt.Errorf("bench paillier: %w", err)
	}
	defer sk.Wipe()
	pk := sk.Public()
	res.KeygenMs = paillierMillis(time.Since(start))

	var setup, fill, fillOwner, fillUniform, online, naiveEnc, crt, naiveDec time.Duration
	for r := range res.Rounds {
		k := *ops / res.Rounds
		if r < *ops%res.Rounds {
			k++
		}
		msgs := make([]*big.Int, k)
		for i := range msgs {
			if msgs[i], err = rand.Int(rand.Reader, pk.N()); err != nil {
				return fmt.Errorf("bench paillier: %w", err)
			}
		}

		// Offline: a pool sized for the join, as a controller's pool for the
		// other's masks is (its window follows), timed until it holds k factors.
		start = time.Now()
		sized, err := paillier.NewRandomness(ctx, pk, rand.Reader, paillier.WithPoolSize(k), paillier.WithLimit(*rows))
		if err != nil {
			return fmt.Errorf("bench paillier: %w", err)
		}
		setup += time.Since(start)
		start = time.Now()
		err = paillierWaitFull(ctx, sized, k)
		fill += time.Since(start)
		sized.Close()
		if err != nil {
			return fmt.Errorf("bench paillier: %w", err)
		}
		// Online: a pool of exactly k factors, whose workers stop once it is
		// full, so that the encryptions have the cores to themselves.
		var untimed time.Duration
		pool, err := paillierFilled(ctx, pk, k, k, &untimed)
		if err != nil {
			return fmt.Errorf("bench paillier: %w", err)
		}

		start = time.Now()
		cts, err := pk.EncryptBatch(ctx, pool, msgs)
		online += time.Since(start)
		pool.Close()
		if err != nil {
			return fmt.Errorf("bench paillier: %w", err)
		}

		// The same for the key owner's and the uniform pools; the owner's
		// factors encrypt the messages again, for the check below.
		owner, err := paillierFilled(ctx, pk, k, *rows, &fillOwner, paillier.WithPrivateKey(sk))
		if err != nil {
			return fmt.Errorf("bench paillier: %w", err)
		}
		ownCts, err := pk.EncryptBatch(ctx, owner, msgs)
		owner.Close()
		if err != nil {
			return fmt.Errorf("bench paillier: %w", err)
		}
		uniform, err := paillierFilled(ctx, pk, k, *rows, &fillUniform, paillier.WithUniform())
		if err != nil {
			return fmt.Errorf("bench paillier: %w", err)
		}
		uniform.Close()

		start = time.Now()
		naive := make([]*paillier.Ciphertext, k)
		err = paillierParallel(ctx, k, func(i int) (err error) {
			naive[i], err = pk.EncryptReference(rand.Reader, msgs[i])
			return err
		})
		naiveEnc += time.Since(start)
		if err != nil {
			return fmt.Errorf("bench paillier: %w", err)
		}

		start = time.Now()
		plain, err := sk.DecryptBatch(ctx, cts)
		crt += time.Since(start)
		if err != nil {
			return fmt.Errorf("bench paillier: %w", err)
		}

		start = time.Now()
		plainNaive := make([]*big.Int, k)
		err = paillierParallel(ctx, k, func(i int) (err error) {
			plainNaive[i], err = sk.DecryptReference(naive[i])
			return err
		})
		naiveDec += time.Since(start)
		if err != nil {
			return fmt.Errorf("bench paillier: %w", err)
		}

		plainOwn, err := sk.DecryptBatch(ctx, ownCts)
		if err != nil {
			return fmt.Errorf("bench paillier: %w", err)
		}
		for i, m := range msgs {
			if plain[i].Cmp(m) != 0 || plainNaive[i].Cmp(m) != 0 || plainOwn[i].Cmp(m) != 0 {
				return fmt.Errorf("bench paillier: message %d of round %d did not survive encryption and decryption", i, r)
			}
		}
	}

	n := *ops
	res.RandomnessSetupMs = paillierMillis(setup / time.Duration(res.Rounds))
	res.RandomnessPerS = paillierRate(n, fill)
	res.RandomnessOwnerPerS = paillierRate(n, fillOwner)
	res.RandomnessUniformPerS = paillierRate(n, fillUniform)
	res.EncryptPerS = paillierRate(n, online)
	res.EncryptNaivePerS = paillierRate(n, naiveEnc)
	res.DecryptPerS = paillierRate(n, crt)
	res.DecryptNaivePerS = paillierRate(n, naiveDec)
	return json.NewEncoder(stdout).Encode(res)
}

// paillierFilled makes a pool of n factors for pk with opts, sized for limit
// factors (which sets its window), waits until it holds n and adds the time it
// took, after its table was built, to *fill.
func paillierFilled(ctx context.Context, pk *paillier.PublicKey, n, limit int, fill *time.Duration, opts ...paillier.RandomnessOption) (*paillier.Randomness, error) {
	opts = append(opts, paillier.WithPoolSize(n), paillier.WithLimit(limit))
	pool, err := paillier.NewRandomness(ctx, pk, rand.Reader, opts...)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	err = paillierWaitFull(ctx, pool, n)
	*fill += time.Since(start)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// paillierWaitFull waits until pool holds n factors.
func paillierWaitFull(ctx context.Context, pool *paillier.Randomness, n int) error {
	tick := time.NewTicker(200 * time.Microsecond)
	defer tick.Stop()
	for pool.Len() < n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// paillierParallel calls f(i) for i in [0, n) on GOMAXPROCS goroutines and returns
// the first error.
func paillierParallel(ctx context.Context, n int, f func(i int) error) error {
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					errOnce.Do(func() { firstErr = err })
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

// paillierMillis returns d in milliseconds, to 0.1 ms.
func paillierMillis(d time.Duration) float64 { return math.Round(d.Seconds()*1e4) / 10 }

// paillierRate returns n operations per d as a rate per second, to 0.1/s.
func paillierRate(n int, d time.Duration) float64 { return math.Round(float64(n)/d.Seconds()*10) / 10 }
