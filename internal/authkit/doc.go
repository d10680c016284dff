// Package authkit holds the primitives of staff login and machine tokens: argon2id
// password hashes, TOTP second factors, random tokens stored only as hashes, CSRF
// tokens, a per-key rate limiter and the lockout policy. It knows nothing of users,
// roles or HTTP; internal/auth builds login on top of it.
//
// Nothing here logs, and no error contains a password, secret or token.
package authkit
