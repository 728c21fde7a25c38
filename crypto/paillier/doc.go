// Package paillier implements the Paillier cryptosystem as Triad uses it: an
// additively homomorphic public-key encryption scheme in which the product of
// two ciphertexts decrypts to the sum of their plaintexts.
//
// # Scheme
//
// A key is a modulus n = p·q of two random primes of equal size (n has exactly
// the requested number of bits: 2048 by default, 3072 for a longer horizon),
// built so that decryption needs only short exponents: Paillier's third
// scheme (Eurocrypt 1999, §5), in the subgroup setting of Groth
// ("Cryptography in subgroups of Z*_n", TCC 2005). The primes are
//
//	p = 2·α_p·β_p + 1,  q = 2·α_q·β_q + 1
//
// where α_p and α_q are secret random primes of [SubgroupBits] bits (256 for
// 2048- and 3072-bit keys) and β_p and β_q are random. The public key is n and
// hs = h^n mod n² for a random h ∈ Z*_n of order α = α_p·α_q; hs has order α
// too. The generator is g = n+1, so that g^m = 1 + m·n mod n², and a message
// m ∈ [0, n) encrypts as
//
//	c = (1 + m·n) · hs^a mod n²
//
// for a random exponent a. Since hs^α_p ≡ 1 mod p², c^α_p ≡ 1 + m·α_p·n
// mod p², whose L_p(x) = (x−1)/p is m·α_p·q mod p: [PrivateKey.Decrypt]
// recovers m mod p and m mod q with the 256-bit exponents α_p and α_q rather
// than the p−1 and q−1 of textbook CRT decryption (1024 bits each for a
// 2048-bit key), and joins the halves with the Chinese remainder theorem,
// three to four times faster.
//
// Decrypt handles only ciphertexts of that form: those that Encrypt, the batch
// functions and the homomorphic operations make from factors of a
// [Randomness] for the key, which are all of Triad's. It refuses any other
// ciphertext, which it detects at no cost as c^α_p ≢ 1 mod p or
// c^α_q ≢ 1 mod q. [PublicKey.EncryptReference] encrypts the textbook way,
// with a uniform n-th residue r^n, and [PrivateKey.DecryptReference] computes m = L(c^λ mod n²)·μ mod n with
// L(x) = (x−1)/n, which decrypts every ciphertext; they are the baselines the
// fast paths are measured and tested against.
//
// # Randomness
//
// The factor hs^a does not depend on the message, so [Randomness] computes it
// ahead of time in background goroutines and encryption is one modular
// multiplication. Each factor takes a fresh uniform exponent a of ℓ bits and
// is evaluated with a fixed-base window table for the key's hs. ℓ is four
// times the security level s of the modulus (s = 112 for 2048 bits, 128 for
// 3072, as NIST SP 800-57 rates them), so ℓ = 448 and 512 bits: the best
// generic attack on a short exponent takes about 2^(ℓ/2) = 2^(2s) steps, and
// ℓ = 4s leaves a factor-2 margin on top. Exponents that short are not
// uniform modulo α, which has 2·SubgroupBits bits: see the short-exponent
// assumption below.
//
// # Security
//
// Whoever learns α_p factors n, as gcd(hs^α_p − 1 mod n, n) = p, so the order
// of hs must stay secret. The best known attacks on it, Pollard's rho in the
// subgroup of order α_p and the attack of Coron, Joux, Mandal, Naccache and
// Tibouchi (PKC 2011) that factors n from hs, take about 2^(SubgroupBits/2)
// steps: 2^128 for 2048- and 3072-bit keys, above the security level of both.
// p−1 has the 256-bit prime factor α_p, out of reach of Pollard's p−1 method,
// and β_p and β_q are drawn at random, so that p−1 and q−1 have no structure
// beyond α_p and α_q for an attack to use.
//
// Semantic security rests on two assumptions. The first is that, given n and
// hs, elements of the subgroup of order α cannot be told from elements of the
// subgroup of order n·α that contains it, that is hs^a from (1+n)^u·hs^a for
// a uniform u: the decisional partial discrete logarithm assumption of
// Paillier (1999, §5), a subgroup-membership assumption as Groth states them. The
// second is that hs^a with a short uniform exponent a cannot be told from a
// uniform element of the subgroup (the short-exponent assumption of Koshiba
// and Kurosawa). [PublicKey.EncryptReference] and [PrivateKey.DecryptReference]
// use a fresh uniform r and need the decisional composite residuosity
// assumption (DCR) only; the reference encryption is ~20 times slower.
//
// The key owner, who knows p and q, can recover the exponent of a factor by
// computing discrete logarithms modulo p and q. Pollard's rho costs
// 2^(SubgroupBits/2) there, but the number field sieve modulo p costs about as much as factoring
// a modulus of p's size: far less than 2^112 for a 1024-bit p. A
// rerandomisation with a short exponent therefore hides the link between a
// ciphertext and its rerandomised copy from the key owner only as well as
// those logarithms are hard. A pool made [WithUniform] draws exponents of
// 2·SubgroupBits + 128 bits, which make the factor statistically uniform in the
// subgroup and hide the link unconditionally; whoever re-randomises for the key
// owner (Triad's third party in step 6) uses one.
//
// All secret values (primes, subgroup orders and generator, exponents, masks)
// come from the io.Reader the caller passes, which must be a cryptographically
// secure generator such as crypto/rand.Reader. The scheme is malleable by
// design and offers no integrity: Triad's security model is semi-honest.
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
