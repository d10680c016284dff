package auth

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/authkit"
)

// Token is an API token as listed (never the secret itself).
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Owner     string     `json:"owner"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Scopes a token may carry. A token acts with its owner's role, narrowed to them.
const (
	ScopeRead  = "read"  // GET only
	ScopeWrite = "write" // everything the owner's role may do
)

// CreateToken issues a token for the user; the secret is returned once.
func (s *Service) CreateToken(ctx context.Context, owner *Principal, name string, scopes []string, ttl time.Duration) (string, Token, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 60 {
		return "", Token{}, &InputError{"name", "请为令牌命名（不超过 60 字）", "name the token (at most 60 characters)"}
	}
	if len(scopes) == 0 {
		scopes = []string{ScopeRead}
	}
	for _, sc := range scopes {
		if sc != ScopeRead && sc != ScopeWrite {
			return "", Token{}, &InputError{"scopes", "范围须为 read 或 write", "scopes are read or write"}
		}
	}
	if ttl < 0 || ttl > 366*24*time.Hour {
		return "", Token{}, &InputError{"ttl", "有效期不超过一年", "at most one year"}
	}
	secret, id, hash := authkit.NewToken("tbk")
	t := Token{ID: id, Name: name, Owner: owner.Username, Scopes: scopes, CreatedAt: s.opt.Clock()}
	if ttl > 0 {
		exp := t.CreatedAt.Add(ttl)
		t.ExpiresAt = &exp
	}
	_, err := s.opt.DB.Exec(ctx, `INSERT INTO api_tokens (id, hash, user_id, name, scopes, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, hash, owner.UserID, name, scopes, t.CreatedAt, t.ExpiresAt)
	if err != nil {
		return "", Token{}, err
	}
	s.opt.Audit(ctx, owner.Username, owner.Role, "token.create", id, "ok", map[string]any{"scopes": scopes})
	return secret, t, nil
}

// Tokens lists the tokens the caller may see: its own, or all for an administrator.
func (s *Service) Tokens(ctx context.Context, p *Principal) ([]Token, error) {
	rows, err := s.opt.DB.Query(ctx, `SELECT t.id, t.name, u.username, t.scopes, t.created_at, t.expires_at, t.revoked_at
		FROM api_tokens t JOIN staff_users u ON u.id = t.user_id WHERE $1 OR t.user_id = $2 ORDER BY t.created_at`,
		p.Role == Admin, p.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var t Token
		if err := rows.Scan(&t.ID, &t.Name, &t.Owner, &t.Scopes, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token of the caller (any token, for an administrator).
func (s *Service) RevokeToken(ctx context.Context, p *Principal, id string) error {
	var hash string
	err := s.opt.DB.QueryRow(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $3)
		WHERE id = $1 AND ($2 OR user_id = $4) RETURNING hash`, id, p.Role == Admin, s.opt.Clock(), p.UserID).Scan(&hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	s.cache.Delete(hash)
	s.opt.Audit(ctx, p.Username, p.Role, "token.revoke", id, "ok", nil)
	return nil
}
