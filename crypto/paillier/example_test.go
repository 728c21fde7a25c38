package paillier_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"math/big"

	"github.com/triad-mpc/triad/crypto/paillier"
)

func Example() {
	ctx := context.Background()
	// 1024 bits keeps the example fast; use paillier.DefaultBits.
	sk, err := paillier.GenerateKey(rand.Reader, 1024)
	if err != nil {
		log.Fatal(err)
	}
	defer sk.Wipe()
	pk := sk.Public()

	// Randomness factors are computed in the background, ahead of need.
	pool, err := paillier.NewRandomness(ctx, pk, rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	cs, err := pk.EncryptBatch(ctx, pool, []*big.Int{big.NewInt(20), big.NewInt(22)})
	if err != nil {
		log.Fatal(err)
	}
	sum := pk.Add(cs[0], cs[1])
	m, err := sk.Decrypt(sum)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m)
	// Output: 42
}

// ExampleLayout masks a packed row: each slot decrypts to value + mask, and
// the masks' owner keeps the negated masks as its additive shares.
func ExampleLayout() {
	ctx := context.Background()
	sk, err := paillier.GenerateKey(rand.Reader, 1024)
	if err != nil {
		log.Fatal(err)
	}
	defer sk.Wipe()
	pk := sk.Public()
	pool, err := paillier.NewRandomness(ctx, pk, rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	layout, err := paillier.NewLayout(32, 40, pk.Bits())
	if err != nil {
		log.Fatal(err)
	}
	row := []*big.Int{big.NewInt(7), big.NewInt(1 << 20), big.NewInt(0)}
	packed, err := layout.Pack(row)
	if err != nil {
		log.Fatal(err)
	}
	packedMasks, masks, err := layout.Mask(rand.Reader, len(row))
	if err != nil {
		log.Fatal(err)
	}
	cs, err := pk.EncryptBatch(ctx, pool, []*big.Int{packed, packedMasks})
	if err != nil {
		log.Fatal(err)
	}
	rn, err := pool.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	blinded := pk.Rerandomize(pk.Add(cs[0], cs[1]), rn)

	p, err := sk.Decrypt(blinded)
	if err != nil {
		log.Fatal(err)
	}
	slots, err := layout.Unpack(p, len(row))
	if err != nil {
		log.Fatal(err)
	}
	for i, s := range slots {
		fmt.Println(new(big.Int).Sub(s, masks[i])) // the two shares add up to the value
	}
	// Output:
	// 7
	// 1048576
	// 0
}
