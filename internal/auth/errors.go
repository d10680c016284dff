package auth

import (
	"errors"
	"net/http"
)

// Errors the domains' error handling maps to problem documents with Problem.
var (
	ErrUnauthenticated = errors.New("auth: not logged in")
	ErrForbidden       = errors.New("auth: role not allowed")
	ErrWrongHall       = errors.New("auth: account belongs to another hall")
	ErrBadCredentials  = errors.New("auth: wrong username or password")
	ErrLocked          = errors.New("auth: account locked")
	ErrRateLimited     = errors.New("auth: too many attempts")
	ErrCSRF            = errors.New("auth: missing or wrong CSRF token")
	ErrSecondFactor    = errors.New("auth: second factor required or wrong")
)

// InputError is bad input to an auth endpoint, naming the field.
type InputError struct{ Field, ZH, EN string }

func (e *InputError) Error() string { return "auth: " + e.Field + ": " + e.EN }

// Problem maps an auth error to the parts of a problem document: HTTP status, a
// stable type slug, and the detail in English and Chinese. ok is false for other errors.
func Problem(err error) (status int, slug, en, zh string, ok bool) {
	var ie *InputError
	switch {
	case errors.As(err, &ie):
		return http.StatusBadRequest, "invalid-field", ie.EN, ie.ZH, true
	case errors.Is(err, ErrUnauthenticated):
		return http.StatusUnauthorized, "unauthenticated", "log in or present an API token", "请先登录或提供 API 令牌", true
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden, "forbidden", "your role may not do this", "您的角色无权执行此操作", true
	case errors.Is(err, ErrWrongHall):
		return http.StatusForbidden, "wrong-hall", "your account belongs to another hall", "您的账号不属于本大厅", true
	case errors.Is(err, ErrBadCredentials):
		return http.StatusUnauthorized, "bad-credentials", "wrong username or password", "用户名或密码错误", true
	case errors.Is(err, ErrLocked):
		return http.StatusLocked, "account-locked", "the account is locked after repeated failures; try again later or ask an administrator", "多次登录失败，账号已锁定，请稍后再试或联系管理员", true
	case errors.Is(err, ErrRateLimited):
		return http.StatusTooManyRequests, "rate-limited", "too many attempts; wait a moment", "尝试过于频繁，请稍候", true
	case errors.Is(err, ErrCSRF):
		return http.StatusForbidden, "csrf", "missing or wrong CSRF token", "缺少或错误的 CSRF 令牌", true
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "not-found", "no such account or token", "没有该账号或令牌", true
	case errors.Is(err, ErrSecondFactor):
		return http.StatusUnauthorized, "second-factor", "a valid one-time code from your authenticator is required", "需要有效的动态验证码", true
	}
	return 0, "", "", "", false
}
