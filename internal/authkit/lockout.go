package authkit

import "time"

// Lockout is the policy that locks an account after repeated wrong passwords, which the
// per-address Limiter cannot do against guessing spread over many addresses. It is a pure
// function over what the users table stores (failures, last failure, locked_until), so
// it works the same on every replica and is tested without a database.
//
// MaxFailures failures, each within Window of the previous one, lock the account for
// LockFor. A failure more than Window after the previous one starts a new count. After a
// lock ends the count is kept, so while failures keep coming within Window each one locks
// again: a guesser gets MaxFailures tries, then one per LockFor, while the owner, who
// succeeds, resets the count. MaxFailures <= 0 disables locking.
//
// While the account is locked, login must not check the password at all (call
// DummyVerify for even timing) and must not call Next: attempts during a lock neither
// count nor extend it, so an attacker cannot keep the owner out indefinitely by
// hammering, only for LockFor after each burst.
type Lockout struct {
	MaxFailures int
	Window      time.Duration
	LockFor     time.Duration
}

// DefaultLockout is 5 failures within 15 minutes lock for 15 minutes (等保 level 3 asks
// for a login-failure policy; these are the usual values).
var DefaultLockout = Lockout{MaxFailures: 5, Window: 15 * time.Minute, LockFor: 15 * time.Minute}

// Next is the state after one more failed login at now, given the stored failure count
// and the time of the last failure (zero if none). lockedUntil is zero unless this
// failure locks the account. On success the caller stores failures = 0 and clears
// locked_until instead.
func (l Lockout) Next(failures int, lastFailure time.Time, now time.Time) (newFailures int, lockedUntil time.Time) {
	if failures < 0 || lastFailure.IsZero() || now.Sub(lastFailure) > l.Window {
		failures = 0
	}
	newFailures = failures + 1
	if l.MaxFailures > 0 && newFailures >= l.MaxFailures {
		lockedUntil = now.Add(l.LockFor)
	}
	return newFailures, lockedUntil
}

// Locked reports whether an account with the stored lockedUntil is locked at now.
func Locked(lockedUntil, now time.Time) bool { return now.Before(lockedUntil) }
