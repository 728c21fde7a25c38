package session

// Option changes how a session runs, never what the parties agree on.
type Option func(*options)

type options struct {
	testKeys   bool
	batchBytes int
	joinOnly   bool
}

func newOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// testKeyBits is the Paillier modulus size WithTestKeys admits.
const testKeyBits = 1024

// WithTestKeys admits 1024-bit Paillier keys, about 80 bits of security, so that tests
// run quickly. No site configuration reaches it.
func WithTestKeys() Option { return func(o *options) { o.testKeys = true } }

// WithBatchBytes bounds the payload of one bulk message of the join (default 1 MiB),
// so that tests can make every stream span many batches.
func WithBatchBytes(n int) Option { return func(o *options) { o.batchBytes = n } }

// WithJoinOnly ends the session after step 7, leaving the shares to the caller
// (TakeShares), for benchmarks and tests of the join. Without a model there is no
// minimum cohort to check.
func WithJoinOnly() Option { return func(o *options) { o.joinOnly = true } }
