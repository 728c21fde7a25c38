package join

import (
	"context"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/triad-mpc/triad/crypto/keyedhash"
	"github.com/triad-mpc/triad/crypto/paillier"
	"github.com/triad-mpc/triad/crypto/shamir"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/wire"
)

// hash is steps 1 and 2: shuffle the rows, agree on a key with the other controller by
// commit-then-reveal, tag every identifier, and wipe the key and the identifiers, on
// every path. Both shares are wiped too: this controller's share and the copy it sent
// (once encoded), the other's opening and the frame it arrived in.
func (p *Party) hash(ctx context.Context) error {
	t := p.table
	defer t.wipeIDs()
	if err := shuffle(p.random, len(t.IDs), func(i, j int) {
		t.IDs[i], t.IDs[j] = t.IDs[j], t.IDs[i]
		t.Rows[i], t.Rows[j] = t.Rows[j], t.Rows[i]
	}); err != nil {
		return err
	}
	share, err := keyedhash.NewShare(p.random)
	if err != nil {
		return err
	}
	defer share.Wipe()
	other := p.other()
	c := share.Commitment()
	if err := p.link.send(ctx, other, envCommitment(&wire.Commitment{Commitment: c[:]})); err != nil {
		return err
	}
	cm, err := expect(ctx, &p.link, other, (*wire.Envelope).GetCommitment, "a key commitment")
	if err != nil {
		return err
	}
	var theirs keyedhash.Commitment
	if len(cm.Commitment) != len(theirs) {
		return fmt.Errorf("key commitment from %s is %d bytes, want %d", other, len(cm.Commitment), len(theirs))
	}
	copy(theirs[:], cm.Commitment)
	mine := share.Opening()
	err = p.link.send(ctx, other, envOpening(&wire.Opening{Opening: mine}))
	clear(mine)
	if err != nil {
		return err
	}
	op, err := expectSecret(ctx, &p.link, other, (*wire.Envelope).GetOpening, "a key opening")
	if err != nil {
		return err
	}
	key, err := keyedhash.JointKey(share, theirs, op.Opening) // wipes share and op.Opening
	if err != nil {
		return fmt.Errorf("key agreement with %s: %w", other, err)
	}
	defer key.Wipe()
	p.tags = make([][32]byte, len(t.IDs))
	for i, id := range t.IDs {
		p.tags[i], err = key.Tag(id)
		clear(id)
		if err != nil {
			return err
		}
		if i%4096 == 0 {
			p.progress(int64(i), int64(len(t.IDs)))
		}
	}
	return nil
}

// encrypt is step 3: a fresh Paillier key pair, its public key to the other two parties,
// and every row packed, encrypted and streamed to the third party with its tag.
func (p *Party) encrypt(ctx context.Context) error {
	sk, err := paillier.GenerateKey(p.random, p.params.PaillierBits)
	if err != nil {
		return err
	}
	p.sk = sk
	if err := p.exchangeKeys(ctx); err != nil {
		return err
	}
	pk := p.pk[p.role]
	t := p.table
	offset := p.params.Fixed.OffsetBig()
	per := p.layout.Ciphertexts(len(t.Columns))
	// This controller owns the key, so its factors come by CRT over p² and q², with
	// exponents uniform in the subgroup (crypto/paillier/doc.go).
	pool, err := paillier.NewRandomness(ctx, pk, p.random, paillier.WithLimit(len(t.Rows)*per), paillier.WithPrivateKey(p.sk))
	if err != nil {
		return err
	}
	defer pool.Close()

	size := pk.CiphertextSize()
	rows := len(t.Rows)
	sent := p.link.sendStream(ctx, protocol.ThirdParty, rows, p.batch/(32+per*size), func(lo, hi int) (*wire.Envelope, error) {
		plain := make([]*big.Int, 0, (hi-lo)*per)
		vals := make([]*big.Int, len(t.Columns))
		for i := lo; i < hi; i++ {
			for j, v := range t.Rows[i] {
				vals[j] = new(big.Int).Add(big.NewInt(v), offset)
			}
			packed, err := p.packRow(vals)
			for _, v := range vals {
				wipeBig(v)
			}
			if err != nil {
				return nil, fmt.Errorf("row %d: %w", i, err)
			}
			plain = append(plain, packed...)
		}
		cts, err := pk.EncryptBatch(ctx, pool, plain)
		for _, m := range plain {
			wipeBig(m)
		}
		if err != nil {
			return nil, err
		}
		msg := &wire.Rows{PerRow: uint32(per), Last: hi == rows}
		msg.Tags = make([]byte, 0, 32*(hi-lo))
		for i := lo; i < hi; i++ {
			msg.Tags = append(msg.Tags, p.tags[i][:]...)
		}
		msg.Ciphertexts = make([]byte, 0, len(cts)*size)
		for _, c := range cts {
			msg.Ciphertexts = pk.AppendCiphertext(msg.Ciphertexts, c)
		}
		p.progress(int64(hi), int64(rows))
		return envRows(msg), nil
	})
	if err := <-sent; err != nil {
		return err
	}
	// The plaintext rows and tags are no longer needed.
	for _, row := range t.Rows {
		clear(row)
	}
	t.Rows, p.tags = nil, nil
	return nil
}

// exchangeKeys sends this controller's public key to the other two parties and receives
// the other controller's.
func (p *Party) exchangeKeys(ctx context.Context) error {
	pub := p.sk.Public()
	b, err := pub.MarshalBinary()
	if err != nil {
		return err
	}
	for _, to := range p.role.Others() {
		if err := p.link.send(ctx, to, envPublicKey(&wire.PublicKey{Key: b})); err != nil {
			return err
		}
	}
	p.pk[p.role] = pub
	theirs, err := p.recvKey(ctx, p.other())
	if err != nil {
		return err
	}
	p.pk[p.other()] = theirs
	return p.setLayout()
}

func (p *Party) recvKey(ctx context.Context, from protocol.Role) (*paillier.PublicKey, error) {
	m, err := expect(ctx, &p.link, from, (*wire.Envelope).GetPublicKey, "a public key")
	if err != nil {
		return nil, err
	}
	pk, err := paillier.ParsePublicKey(m.Key)
	if err != nil {
		return nil, fmt.Errorf("public key from %s: %w", from, err)
	}
	if pk.Bits() != p.params.PaillierBits {
		return nil, fmt.Errorf("public key from %s has %d bits, want %d", from, pk.Bits(), p.params.PaillierBits)
	}
	return pk, nil
}

func (p *Party) setLayout() error {
	l, err := paillier.NewLayout(p.params.Fixed.Bits, p.params.Kappa, p.params.PaillierBits)
	if err != nil {
		return err
	}
	p.layout = l
	return nil
}

// packRow packs one row's values into as many plaintexts as the layout needs.
func (p *Party) packRow(vals []*big.Int) ([]*big.Int, error) {
	slots := p.layout.Slots()
	out := make([]*big.Int, 0, p.layout.Ciphertexts(len(vals)))
	for lo := 0; lo < len(vals); lo += slots {
		m, err := p.layout.Pack(vals[lo:min(lo+slots, len(vals))])
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// awaitCount is a controller's side of step 4: the third party says how many rows matched.
func (p *Party) awaitCount(ctx context.Context) error {
	m, err := expect(ctx, &p.link, protocol.ThirdParty, (*wire.Envelope).GetCount, "the intersection size")
	if err != nil {
		return err
	}
	if m.Rows > 1<<40 {
		return fmt.Errorf("intersection size %d from the third party is not plausible", m.Rows)
	}
	p.rows = int(m.Rows)
	if err := p.log.Record(4, protocol.ThirdParty, "intersection_size", p.rows); err != nil {
		return err
	}
	if p.rows == 0 {
		return &NoMatchError{IDColumn: p.table.IDColumn, CaseFold: p.params.CaseFold}
	}
	return nil
}

// NoMatchError reports an empty intersection: no identifier of one controller matched
// one of the other's. All three parties return it after step 4, once the controllers
// have the intersection size, and nothing else is opened; none of them sends an abort,
// since each finds it at the same point.
type NoMatchError struct {
	IDColumn string // the controller's identifier column; empty at the third party
	CaseFold bool   // whether identifiers were case-folded before hashing
}

func (e *NoMatchError) Error() string {
	col := "each controller's identifier column"
	if e.IDColumn != "" {
		col = fmt.Sprintf("the identifier column (here %q)", e.IDColumn)
	}
	fold := "off: set case folding on if the two sites write letters in different case"
	if e.CaseFold {
		fold = "on"
	}
	return "no identifier matched between the two controllers: the intersection is empty. " +
		"Check that " + col + " holds the same kind of identifier at both sites, written alike: " +
		"leading zeros (00123 and 123 differ), white space or punctuation inside identifiers, " +
		"prefixes, and letter case (case folding is " + fold + ")"
}

// mask is a controller's side of steps 5 and 6. It draws a κ-bit statistical mask for
// every matched cell of the other controller, sends the masks encrypted under the other's
// key to the third party, and its share of those cells is minus the mask. Meanwhile it
// receives its own matched cells plus the other's masks, decrypts them, and its share of
// its own cells is the decrypted value minus the encoding offset. Then it wipes its
// private key.
func (p *Party) mask(ctx context.Context) error {
	p.progress(0, int64(p.rows))
	p.adds = make([]fr.Vector, len(p.schema.Columns))
	for j := range p.adds {
		p.adds[j] = make(fr.Vector, p.rows)
	}
	other := p.other()
	pk := p.pk[other]
	per := p.layout.Ciphertexts(len(p.columnsOf(other)))
	// The masks are encrypted under the other controller's key.
	pool, err := paillier.NewRandomness(ctx, pk, p.random, paillier.WithLimit(p.rows*per))
	if err != nil {
		return err
	}
	defer pool.Close()
	sent := p.link.sendStream(ctx, protocol.ThirdParty, p.rows, p.batch/(per*pk.CiphertextSize()), p.maskBatch(ctx, pool))
	if err := p.receiveOwn(ctx); err != nil {
		return err
	}
	if err := <-sent; err != nil {
		return fmt.Errorf("masks: %w", err)
	}
	p.sk.Wipe()
	p.sk = nil
	return nil
}

// maskBatch returns the builder of the messages of encrypted masks for the other
// controller's columns, rows [lo, hi) in the third party's row order.
func (p *Party) maskBatch(ctx context.Context, pool *paillier.Randomness) func(lo, hi int) (*wire.Envelope, error) {
	cols := p.columnsOf(p.other())
	pk := p.pk[p.other()]
	slots := p.layout.Slots()
	return func(lo, hi int) (*wire.Envelope, error) {
		plain := make([]*big.Int, 0, (hi-lo)*p.layout.Ciphertexts(len(cols)))
		for i := lo; i < hi; i++ {
			for c := 0; c < len(cols); c += slots {
				n := min(slots, len(cols)-c)
				packed, masks, err := p.layout.Mask(p.random, n)
				if err != nil {
					return nil, err
				}
				for k, r := range masks {
					e := shamir.FromBig(r)
					p.adds[cols[c+k]][i].Neg(&e)
					wipeBig(r)
				}
				plain = append(plain, packed)
			}
		}
		cts, err := pk.EncryptBatch(ctx, pool, plain)
		for _, m := range plain {
			wipeBig(m)
		}
		if err != nil {
			return nil, err
		}
		msg := &wire.Ciphertexts{Data: make([]byte, 0, len(cts)*pk.CiphertextSize()), Last: hi == p.rows}
		for _, c := range cts {
			msg.Data = pk.AppendCiphertext(msg.Data, c)
		}
		return envCiphertexts(msg), nil
	}
}

// receiveOwn decrypts this controller's matched cells plus masks, in row order.
func (p *Party) receiveOwn(ctx context.Context) error {
	cols := p.columnsOf(p.role)
	pk := p.pk[p.role]
	per := p.layout.Ciphertexts(len(cols))
	slots := p.layout.Slots()
	offset := p.params.Fixed.OffsetBig()
	row := 0
	err := recvStream(ctx, &p.link, protocol.ThirdParty, (*wire.Envelope).GetCiphertexts, "masked ciphertexts",
		(*wire.Ciphertexts).GetLast, func(m *wire.Ciphertexts) error {
			cts, err := parseCiphertexts(pk, m.Data)
			if err != nil {
				return fmt.Errorf("masked ciphertexts: %w", err)
			}
			if len(cts)%per != 0 || row+len(cts)/per > p.rows {
				return fmt.Errorf("masked ciphertexts: %d more do not fit %d rows of %d", len(cts), p.rows-row, per)
			}
			plain, err := p.sk.DecryptBatch(ctx, cts)
			if err != nil {
				return err
			}
			defer func() {
				for _, pt := range plain {
					wipeBig(pt)
				}
			}()
			for k, pt := range plain {
				i, c := row+k/per, (k%per)*slots
				n := min(slots, len(cols)-c)
				vals, err := p.layout.Unpack(pt, n)
				if err != nil {
					return err
				}
				for s, v := range vals {
					v.Sub(v, offset)
					p.adds[cols[c+s]][i] = shamir.FromBig(v)
					wipeBig(v)
				}
			}
			row += len(cts) / per
			p.progress(int64(row), int64(p.rows))
			return nil
		})
	if err != nil {
		return err
	}
	if row != p.rows {
		return fmt.Errorf("masked ciphertexts: got %d rows, want %d", row, p.rows)
	}
	return nil
}

// parseCiphertexts splits concatenated fixed-width ciphertexts.
func parseCiphertexts(pk *paillier.PublicKey, data []byte) ([]*paillier.Ciphertext, error) {
	size := pk.CiphertextSize()
	if len(data)%size != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of %d-byte ciphertexts", len(data), size)
	}
	out := make([]*paillier.Ciphertext, len(data)/size)
	for i := range out {
		c, err := pk.ParseCiphertext(data[i*size : (i+1)*size])
		if err != nil {
			return nil, fmt.Errorf("ciphertext %d: %w", i, err)
		}
		out[i] = c
	}
	return out, nil
}
