package handoff

import (
	"embed"

	"github.com/tongban/tongban/internal/pg"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the hall database's schema, domain "handoff".
func Migrations() pg.Source {
	return pg.Source{Domain: "handoff", FS: migrationFS, Dir: "migrations"}
}
