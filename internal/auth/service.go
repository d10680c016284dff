package auth

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tongban/tongban/internal/authkit"
	"github.com/tongban/tongban/internal/pg"
	"github.com/tongban/tongban/internal/pii"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the tables of staff accounts, sessions and tokens (domain "auth").
func Migrations() pg.Source { return pg.Source{Domain: "auth", FS: migrationFS, Dir: "migrations"} }

// Centre is the scope of the central settlement node's accounts.
const Centre = "centre"

// AuditFunc records a security event (login, logout, token, user change). Detail
// never carries a password, a token or personal data.
type AuditFunc func(ctx context.Context, actor string, role Role, action, target, outcome string, detail map[string]any)

// Options configure a Service.
type Options struct {
	DB     *pgxpool.Pool
	Scope  string     // the hall's division code, or Centre
	Cipher pii.Cipher // seals TOTP secrets at rest
	Audit  AuditFunc
	Clock  func() time.Time
	// SecureCookies marks cookies Secure; on whenever the node serves TLS or sits
	// behind a TLS proxy.
	SecureCookies bool
	SessionTTL    time.Duration // absolute lifetime, default 12h
	IdleTimeout   time.Duration // default 2h
	Lockout       authkit.Lockout
}

// Service authenticates staff of one node.
type Service struct {
	opt     Options
	limiter *authkit.Limiter
	cache   sync.Map // credential hash -> cachedPrincipal
	pending sync.Map // user id -> TOTP secret awaiting its first code
}

type cachedPrincipal struct {
	p     Principal
	until time.Time
}

// principalCacheTTL bounds how long a revoked token or ended session may still work
// on a replica that cached it; it spares a database round trip on every request.
const principalCacheTTL = 5 * time.Second

// New returns a Service.
func New(opt Options) *Service {
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.SessionTTL == 0 {
		opt.SessionTTL = 12 * time.Hour
	}
	if opt.IdleTimeout == 0 {
		opt.IdleTimeout = 2 * time.Hour
	}
	if opt.Lockout.MaxFailures == 0 {
		opt.Lockout = authkit.Lockout{MaxFailures: 5, Window: 15 * time.Minute, LockFor: 15 * time.Minute}
	}
	if opt.Audit == nil {
		opt.Audit = func(context.Context, string, Role, string, string, string, map[string]any) {}
	}
	// Ten login attempts in a burst per client address, then one every six seconds.
	return &Service{opt: opt, limiter: authkit.NewLimiter(1.0/6, 10, opt.Clock)}
}

// NewUser is an account to create.
type NewUser struct {
	Username string `json:"username"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	Hall     string `json:"hall"`
	Password string `json:"password"`
}

// User is an account as shown to administrators.
type User struct {
	ID          uuid.UUID  `json:"id"`
	Username    string     `json:"username"`
	Name        string     `json:"name"`
	Role        Role       `json:"role"`
	Hall        string     `json:"hall"`
	TOTP        bool       `json:"totp_enrolled"`
	Disabled    bool       `json:"disabled"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

func validUsername(s string) bool {
	if len(s) < 3 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// CreateUser adds an account. Finance roles belong to the centre, every other role
// to one hall.
func (s *Service) CreateUser(ctx context.Context, u NewUser) (User, error) {
	u.Username = strings.ToLower(strings.TrimSpace(u.Username))
	switch {
	case !validUsername(u.Username):
		return User{}, &InputError{"username", "用户名须为 3–64 位小写字母、数字或 . _ -", "3–64 characters of a–z, 0–9, . _ -"}
	case strings.TrimSpace(u.Name) == "" || utf8.RuneCountInString(u.Name) > 50:
		return User{}, &InputError{"name", "请填写姓名（不超过 50 字）", "required, at most 50 characters"}
	case !u.Role.Valid():
		return User{}, &InputError{"role", "角色须为 window_clerk、hall_staff、supervisor、finance_preparer、finance_approver 或 admin", "one of window_clerk, hall_staff, supervisor, finance_preparer, finance_approver, admin"}
	case u.Role.Finance() && u.Hall != Centre:
		return User{}, &InputError{"hall", "财务角色属于结算中心（centre）", "finance roles belong to the centre"}
	case !u.Role.Finance() && u.Hall == Centre && u.Role != Admin:
		return User{}, &InputError{"hall", "大厅角色须属于某一大厅", "hall roles belong to a hall"}
	case u.Hall != s.opt.Scope:
		return User{}, &InputError{"hall", "账号须属于本节点（" + s.opt.Scope + "）", "accounts of this node belong to " + s.opt.Scope}
	}
	if err := authkit.CheckPasswordPolicy(u.Password); err != nil {
		var pe *authkit.PolicyError
		if errors.As(err, &pe) {
			return User{}, &InputError{"password", pe.ZH, pe.EN}
		}
		return User{}, err
	}
	hash, err := authkit.HashPassword(u.Password)
	if err != nil {
		return User{}, err
	}
	id, _ := uuid.NewV7()
	var out User
	err = s.opt.DB.QueryRow(ctx, `INSERT INTO staff_users (id, username, display_name, role, hall, password_hash)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, username, display_name, role, hall, created_at`,
		id, u.Username, strings.TrimSpace(u.Name), u.Role, u.Hall, hash).Scan(&out.ID, &out.Username, &out.Name, &out.Role, &out.Hall, &out.CreatedAt)
	if err != nil {
		if strings.Contains(err.Error(), "23505") {
			return User{}, &InputError{"username", "用户名已存在", "username taken"}
		}
		return User{}, fmt.Errorf("auth: create user: %w", err)
	}
	return out, nil
}

// Users lists the node's accounts.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	rows, err := s.opt.DB.Query(ctx, `SELECT id, username, display_name, role, hall, totp_secret IS NOT NULL, disabled,
		locked_until, created_at FROM staff_users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.Hall, &u.TOTP, &u.Disabled, &u.LockedUntil, &u.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

type account struct {
	User
	hash        string
	failures    int
	lastFailure *time.Time
	totpSealed  []byte
	totpKeyID   *string
}

func (s *Service) account(ctx context.Context, username string) (account, error) {
	var a account
	err := s.opt.DB.QueryRow(ctx, `SELECT id, username, display_name, role, hall, disabled, locked_until, created_at,
		password_hash, failed_logins, last_failure_at, totp_secret, totp_key_id FROM staff_users WHERE username = $1`,
		strings.ToLower(strings.TrimSpace(username))).Scan(&a.ID, &a.Username, &a.Name, &a.Role, &a.Hall, &a.Disabled,
		&a.LockedUntil, &a.CreatedAt, &a.hash, &a.failures, &a.lastFailure, &a.totpSealed, &a.totpKeyID)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, ErrBadCredentials
	}
	a.TOTP = a.totpSealed != nil
	return a, err
}
