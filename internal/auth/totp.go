package auth

import (
	"context"
	"errors"

	"github.com/tongban/tongban/internal/authkit"
)

// totpSecret opens an account's sealed TOTP secret.
func (s *Service) totpSecret(a account) (string, error) {
	if s.opt.Cipher == nil || a.totpKeyID == nil {
		return "", errors.New("auth: TOTP secret cannot be opened: no data key")
	}
	b, err := s.opt.Cipher.Open(*a.totpKeyID, a.totpSealed, []byte("totp:"+a.ID.String()))
	return string(b), err
}

// Enrollment is a new second factor waiting for its first code.
type Enrollment struct {
	Secret string `json:"secret"`
	URI    string `json:"otpauth_uri"`
}

// EnrollTOTP gives a finance or admin account a second factor. It takes effect once
// ConfirmTOTP sees a valid code from it, so a mistyped enrolment cannot lock the
// account out.
func (s *Service) EnrollTOTP(ctx context.Context, p *Principal) (Enrollment, error) {
	if !p.Role.NeedsSecondFactor() {
		return Enrollment{}, ErrForbidden
	}
	secret := authkit.NewTOTPSecret()
	s.pending.Store(p.UserID, secret)
	return Enrollment{Secret: secret, URI: authkit.TOTPURI("Tongban "+s.opt.Scope, p.Username, secret)}, nil
}

// ConfirmTOTP stores the pending secret once code matches it.
func (s *Service) ConfirmTOTP(ctx context.Context, p *Principal, code string) error {
	v, ok := s.pending.Load(p.UserID)
	if !ok {
		return &InputError{"code", "请先开始绑定动态验证码", "start the enrolment first"}
	}
	secret := v.(string)
	if !authkit.VerifyTOTP(secret, code, s.opt.Clock()) {
		return &InputError{"code", "动态验证码不正确，请重试", "the code does not match; try again"}
	}
	if s.opt.Cipher == nil {
		return errors.New("auth: no data key to seal the TOTP secret")
	}
	keyID, sealed, err := s.opt.Cipher.Seal([]byte(secret), []byte("totp:"+p.UserID.String()))
	if err != nil {
		return err
	}
	if _, err := s.opt.DB.Exec(ctx, `UPDATE staff_users SET totp_secret = $2, totp_key_id = $3, updated_at = now() WHERE id = $1`,
		p.UserID, sealed, keyID); err != nil {
		return err
	}
	s.pending.Delete(p.UserID)
	s.opt.Audit(ctx, p.Username, p.Role, "totp.enrol", p.Username, "ok", nil)
	return nil
}
