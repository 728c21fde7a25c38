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
// The table holds its powers of hs in Montgomery form, so that a factor
// costs one Montgomery multiplication per ℓ/w-bit window of a, with no
// division. Its window w is 8 bits unless the pool's limit ([WithLimit])
// says it will make enough factors to pay for a larger table (see
// NewRandomness).
//
// The key owner knows p and q and makes its own factors with
// [WithPrivateKey]: hs has order α_p modulo p² and α_q modulo q², so it draws
// a_p uniformly below α_p and a_q below α_q, raises hs to them modulo p² and
// q² with tables of half the size, and joins the two by the Chinese
// remainder theorem into hs^a mod n² for the a ≡ a_p mod α_p, a ≡ a_q mod
// α_q. That a is uniform modulo α, so the owner's factors are uniform in the
// subgroup, like those of a pool made [WithUniform], and cost less than half
// as much as a short-exponent factor.
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
// Ciphertexts made from a [WithPrivateKey] or [WithUniform] pool's factors,
// which are (statistically) uniform in the subgroup, need the first
// assumption only.
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
// Who draws which randomness in Triad: each controller encrypts its own
// rows under its own key, with short exponents or, from a pool made
// WithPrivateKey, uniform ones (which only it can draw that way, since they
// need p and q); a controller encrypts masks under the other controller's
// key with short exponents; the third party re-randomises what it returns to
// a key's owner with uniform exponents from a pool made WithUniform. Whether
// the owner's own factors are uniform or short changes nothing for anyone
// else, to whom both look like random elements of the subgroup, and nothing
// for linking: the owner cannot link a row it gets back to a row it sent
// because the third party's factor is statistically uniform and independent
// of both, whatever the owner used.
//
// All secret values (primes, subgroup orders and generator, exponents, masks)
// come from the io.Reader the caller passes, which must be a cryptographically
// secure generator such as crypto/rand.Reader. The scheme is malleable by
// design and offers no integrity: Triad's security model is semi-honest.
//
// Arithmetic is math/big's, and the tables' Montgomery multiplication is
// built on math/big's; neither is constant-time: how long Decrypt and the
// pool's exponentiations take depends on secret values (the tables are
// indexed by the exponent's digits). Triad decrypts and encrypts in batches
// whose per-item timing no other party observes; a deployment that must
// resist an attacker who shares the hardware and watches caches or timing
// needs constant-time arithmetic instead.
//
// # Wiping
//
// Secrets are overwritten as soon as they are no longer needed, on success
// and on every error path. [GenerateKey] overwrites every intermediate of its
// prime search (2α, the bounds on β, the residues of 2α modulo the sieve's
// primes, the candidates and the sieve's marks), rejected primes and the
// values it builds the generator from. [PrivateKey.Wipe] overwrites p, q,
// α_p, α_q, λ, μ and the CRT constants, after closing every open pool made
// WithPrivateKey for the key; [Randomness.Close] of such a pool overwrites
// its copies of α_p, α_q, p², q² and (q²)⁻¹ mod p² and its tables modulo p²
// and q², which would reveal p and q. Close also overwrites the factors left
// in a pool, workers overwrite their exponents, EncryptBatch and
// RerandomizeBatch overwrite each factor once used, and DecryptBatch
// overwrites its plaintexts when it fails. Calling Wipe is the caller's
// duty, on error paths too. Go offers no guaranteed erasure: copies that
// math/big makes internally (its scratch space, a big.Int's old words when
// it grows) and that the garbage collector moves are beyond reach.
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
