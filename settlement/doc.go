// Package settlement is the central finance node: it keeps a ledger of every waybill
// the halls create (consumed from Kafka), prices each one by versioned carrier
// tariffs, imports the carriers' monthly bills, reconciles bill lines against the
// ledger, tracks disputes and credits, closes periods with maker-checker approval,
// allocates the payable to cities, departments and cases, and writes statements. Every
// finance action lands in a hash-chained audit log in the same transaction.
//
// Money is int64 fen throughout and never passes through float64; rates are integer
// basis points with an explicit rounding mode.
package settlement

import (
	"embed"

	// Periods and the cron schedule are in Asia/Shanghai; a host without zoneinfo
	// must still compute them.
	_ "time/tzdata"

	"github.com/tongban/tongban/internal/pg"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the settlement database's schema, domain "settlement".
func Migrations() pg.Source {
	return pg.Source{Domain: "settlement", FS: migrationFS, Dir: "migrations"}
}
