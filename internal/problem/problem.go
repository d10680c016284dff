// Package problem answers API requests that went wrong with RFC 9457 problem documents
// whose detail is in English and Chinese, the same way on every node. Each domain maps
// its own errors to problems; what all nodes share (login and roles, a body over its
// limit, a duplicate key) is mapped here.
package problem

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/web"
)

// Base prefixes every problem type.
const Base = "https://tongban.dev/problems/"

// Problem is one problem document.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	DetailZH string `json:"detail_zh"`
	Field    string `json:"field,omitempty"`
	// CurrentState is the case's state when a move is refused (409), for the hall.
	CurrentState string `json:"current_state,omitempty"`
	Instance     string `json:"instance,omitempty"`
}

// New is a problem of type Base+slug.
func New(status int, slug, title, en, zh string) Problem {
	return Problem{Type: Base + slug, Title: title, Status: status, Detail: en, DetailZH: zh}
}

// Field is bad input in one named field.
func Field(field, en, zh string) Problem {
	p := New(http.StatusBadRequest, "invalid-field", "Invalid field", en, zh)
	p.Field = field
	return p
}

// ErrTooLarge is a request body over its route's limit.
var ErrTooLarge = errors.New("request body too large")

// Common maps the errors every node shares; ok is false for the rest.
func Common(err error) (p Problem, ok bool) {
	if status, slug, en, zh, ok := auth.Problem(err); ok {
		p = New(status, slug, http.StatusText(status), en, zh)
		var ie *auth.InputError
		if errors.As(err, &ie) {
			p.Field = ie.Field
		}
		return p, true
	}
	var mbe *http.MaxBytesError
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, ErrTooLarge), errors.As(err, &mbe):
		return New(http.StatusRequestEntityTooLarge, "too-large", "Request too large",
			"the request body is larger than allowed", "请求内容超过允许的大小"), true
	case errors.As(err, &pe) && pe.Code == "23505":
		return New(http.StatusConflict, "duplicate", "Duplicate", "a record with the same key exists", "已存在相同记录"), true
	}
	return Problem{}, false
}

// Internal is the answer to an error nobody mapped: logged in full, shown in general.
func Internal(en, zh string) Problem {
	return New(http.StatusInternalServerError, "internal", "Internal error", en, zh)
}

// Write answers r with p. A failure (5xx) is logged with its error; a refusal is
// logged with its type and field where an operator sees it, never with the values.
func Write(w http.ResponseWriter, r *http.Request, log *slog.Logger, p Problem, err error) {
	p.Instance = r.URL.Path
	if p.Status >= 500 {
		log.Error("request failed", slog.String("route", r.Pattern), slog.String("err", err.Error()))
	} else {
		log.Info("request refused", slog.String("route", r.Pattern), slog.String("problem", p.Type), slog.String("field", p.Field),
			slog.Int("status", p.Status))
	}
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// ForPage is p as a console page shows it: the same status and type, both languages.
func (p Problem) ForPage() web.Problem {
	return web.Problem{Status: p.Status, Type: strings.TrimPrefix(p.Type, Base), ZH: p.DetailZH, EN: p.Detail, Field: p.Field}
}

// JSON answers with v as JSON.
func JSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// ReadBody reads a request body whole; a body over the route's limit is ErrTooLarge.
func ReadBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, ErrTooLarge
	}
	return body, err
}
