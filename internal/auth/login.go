package auth

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/tongban/tongban/internal/authkit"
)

// Session is what a successful login returns: the cookie value (shown once) and the
// CSRF token the browser must echo on every change.
type Session struct {
	Token   string    `json:"-"`
	CSRF    string    `json:"csrf_token"`
	Expires time.Time `json:"expires_at"`
	User    User      `json:"user"`
}

// Login checks a username and password (and the one-time code when the account has
// a second factor), counting failures towards a lockout. Every answer to a wrong
// username, wrong password or disabled account is the same, and costs the same time.
func (s *Service) Login(ctx context.Context, username, password, code, client string) (Session, error) {
	now := s.opt.Clock()
	if !s.limiter.Allow("login:" + client) {
		s.opt.Audit(ctx, username, "", "login", username, "rate_limited", map[string]any{"client": client})
		return Session{}, ErrRateLimited
	}
	a, err := s.account(ctx, username)
	if errors.Is(err, ErrBadCredentials) {
		authkit.DummyVerify()
		s.opt.Audit(ctx, username, "", "login", username, "unknown_user", map[string]any{"client": client})
		return Session{}, ErrBadCredentials
	}
	if err != nil {
		return Session{}, err
	}
	if a.LockedUntil != nil && now.Before(*a.LockedUntil) {
		authkit.DummyVerify()
		s.opt.Audit(ctx, a.Username, a.Role, "login", a.Username, "locked", map[string]any{"client": client})
		return Session{}, ErrLocked
	}
	ok, rehash, err := authkit.VerifyPassword(a.hash, password)
	if err != nil {
		return Session{}, err
	}
	if !ok || a.Disabled {
		return Session{}, s.failed(ctx, a, now, client, ErrBadCredentials)
	}
	if a.TOTP {
		secret, err := s.totpSecret(a)
		if err != nil {
			return Session{}, err
		}
		step, ok := authkit.VerifyTOTPStep(secret, code, now)
		if code == "" || !ok {
			return Session{}, s.failed(ctx, a, now, client, ErrSecondFactor)
		}
		// Compare-and-set on the last step: a replayed code (or a race of two logins
		// with one code) finds the step already used.
		tag, err := s.opt.DB.Exec(ctx, `UPDATE staff_users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, a.ID, step)
		if err != nil {
			return Session{}, err
		}
		if tag.RowsAffected() == 0 {
			return Session{}, s.failed(ctx, a, now, client, ErrSecondFactor)
		}
	}
	if rehash {
		if h, err := authkit.HashPassword(password); err == nil {
			_, _ = s.opt.DB.Exec(ctx, `UPDATE staff_users SET password_hash = $2 WHERE id = $1`, a.ID, h)
		}
	}
	if _, err := s.opt.DB.Exec(ctx, `UPDATE staff_users SET failed_logins = 0, last_failure_at = NULL, locked_until = NULL WHERE id = $1`, a.ID); err != nil {
		return Session{}, err
	}
	token, hash := authkit.NewSessionID()
	sess := Session{Token: token, CSRF: authkit.NewCSRFToken(), Expires: now.Add(s.opt.SessionTTL), User: a.User}
	_, err = s.opt.DB.Exec(ctx, `INSERT INTO staff_sessions (id_hash, user_id, csrf, created_at, last_seen, expires_at)
		VALUES ($1, $2, $3, $4, $4, $5)`, hash, a.ID, sess.CSRF, now, sess.Expires)
	if err != nil {
		return Session{}, err
	}
	s.opt.Audit(ctx, a.Username, a.Role, "login", a.Username, "ok", map[string]any{"client": client})
	return sess, nil
}

func (s *Service) failed(ctx context.Context, a account, now time.Time, client string, why error) error {
	last := time.Time{}
	if a.lastFailure != nil {
		last = *a.lastFailure
	}
	failures, until := s.opt.Lockout.Next(a.failures, last, now)
	var lockedUntil *time.Time
	if !until.IsZero() {
		lockedUntil = &until
	}
	_, _ = s.opt.DB.Exec(ctx, `UPDATE staff_users SET failed_logins = $2, last_failure_at = $3, locked_until = $4 WHERE id = $1`,
		a.ID, failures, now, lockedUntil)
	outcome := "bad_password"
	if errors.Is(why, ErrSecondFactor) {
		outcome = "bad_second_factor"
	}
	if a.Disabled {
		outcome = "disabled"
	}
	s.opt.Audit(ctx, a.Username, a.Role, "login", a.Username, outcome, map[string]any{"client": client, "failures": failures})
	if lockedUntil != nil {
		return ErrLocked
	}
	if errors.Is(why, ErrSecondFactor) {
		return ErrSecondFactor
	}
	return ErrBadCredentials
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	if p.session == "" {
		return nil
	}
	s.cache.Delete(p.session)
	_, err := s.opt.DB.Exec(ctx, `DELETE FROM staff_sessions WHERE id_hash = $1`, p.session)
	s.opt.Audit(ctx, p.Username, p.Role, "logout", p.Username, "ok", nil)
	return err
}

// SetDisabled disables or enables an account and ends its sessions.
func (s *Service) SetDisabled(ctx context.Context, username string, disabled bool) error {
	var id uuid.UUID
	err := s.opt.DB.QueryRow(ctx, `UPDATE staff_users SET disabled = $2, updated_at = now() WHERE username = $1 RETURNING id`,
		username, disabled).Scan(&id)
	if err != nil {
		return ErrNotFound
	}
	_, err = s.opt.DB.Exec(ctx, `DELETE FROM staff_sessions WHERE user_id = $1`, id)
	s.cache.Clear()
	return err
}

// Unlock clears an account's failures and lock.
func (s *Service) Unlock(ctx context.Context, username string) error {
	tag, err := s.opt.DB.Exec(ctx, `UPDATE staff_users SET failed_logins = 0, locked_until = NULL WHERE username = $1`, username)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return err
}

// ErrNotFound is an account or token that does not exist.
var ErrNotFound = errors.New("auth: not found")
