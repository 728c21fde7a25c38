// Package paillier implements the Paillier cryptosystem as Triad uses it: an
// additively homomorphic public-key encryption scheme in which the product of
// two ciphertexts decrypts to the sum of their plaintexts.
//
// # Scheme
//
// A key is a modulus n = p·q of two random primes of equal size (n has exactly
// the requested number of bits: 2048 by default, 3072 for a longer horizon).
// The generator is g = n+1, so that g^m = 1 + m·n mod n², and a message
// m ∈ [0, n) encrypts as
//
//	c = (1 + m·n) · r^n mod n²
//
// where r^n is a random n-th residue modulo n². Decryption computes
// m = L(c^λ mod n²)·μ mod n with L(x) = (x−1)/n; [PrivateKey.Decrypt] does the
// same work modulo p² and q² separately and joins the halves with the Chinese
// remainder theorem: two exponents half as long, modulo numbers half as
// long, which makes it three to four times faster.
//
// # Randomness
//
// The factor r^n does not depend on the message, so [Randomness] computes it
// ahead of time in background goroutines and encryption is one modular
// multiplication. Factors follow Damgård, Jurik and Nielsen: a pool picks
// x uniformly in Z*_n once, sets h = −x² mod n and hs = h^n mod n², and each
// factor is hs^a mod n² for a fresh uniform exponent a of ℓ bits, evaluated
// with a fixed-base window table. ℓ is four times the security level s of the
// modulus (s = 112 for 2048 bits, 128 for 3072, as NIST SP 800-57 rates them),
// so ℓ = 448 and 512 bits: the best generic attack on a short exponent takes
// about 2^(ℓ/2) = 2^(2s) steps, and ℓ = 4s leaves a factor-2 margin on top.
//
// # Security
//
// Semantic security rests on the decisional composite residuosity assumption
// (DCR) for n, as for textbook Paillier, and additionally on two assumptions
// the pool makes for speed: that hs^a with a short uniform exponent a is
// indistinguishable from a uniform element of the subgroup hs generates (the
// short-exponent assumption of Koshiba and Kurosawa), and that this subgroup of
// n-th residues hides the message as a uniform n-th residue does (the argument
// of Damgård–Jurik–Nielsen). [PublicKey.EncryptReference] uses a fresh uniform
// r instead and needs DCR only; it is ~20 times slower.
//
// All secret values (primes, pool generator, exponents, masks) come from the
// io.Reader the caller passes, which must be a cryptographically secure
// generator such as crypto/rand.Reader. The scheme is malleable by design and
// offers no integrity: Triad's security model is semi-honest.
//
// Arithmetic is math/big's, which is not constant-time: how long Decrypt and
// the pool's exponentiations take depends on secret values. Triad decrypts
// and encrypts in batches whose per-item timing no other party observes; a
// deployment that must resist an attacker who shares the hardware and watches
// caches or timing needs constant-time arithmetic instead.
//
// # Packing
//
// A [Layout] places several non-negative values of one row side by side in
// one plaintext, in slots wide enough that adding a statistical mask of κ
// extra bits never carries into the neighbouring slot. One ciphertext then
// carries a whole row, and one decryption recovers all of its masked values.
//
// The package performs no I/O; the batch functions use all cores and stop when
// their context is cancelled.
package paillier
