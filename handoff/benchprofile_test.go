package handoff

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Benchmarks that measure against the commit rate can profile their measured
// window: with TONGBAN_BENCH_PROFILE=DIR, durableCluster loads pg_stat_statements and
// the window writes DIR/cpu.pprof (this process), DIR/allocs-before.pprof and
// DIR/allocs.pprof (its allocations at the start and the end), DIR/statements.txt
// (the server's statements by total time, each table's row counts and the time in
// each PL/pgSQL function, such as the tables' guard triggers) and prints
// one line with the CPU time this process and the PostgreSQL processes spent in it,
// how the machine's cores spent the window (busy, idle, waiting for the disk, stolen
// by the host) and the WAL written. Execution times include waiting for a core on a
// loaded machine; with one ingestion worker they come close to CPU time.

func profileDir() string { return os.Getenv("TONGBAN_BENCH_PROFILE") }

type benchProfile struct {
	b       *testing.B
	db      *pgxpool.Pool
	dir     string
	cpu     *os.File
	self0   time.Duration
	server0 time.Duration
	cpus0   cpuTicks
}

// startProfile starts profiling the window, or returns nil when not asked to.
func startProfile(ctx context.Context, b *testing.B, db *pgxpool.Pool) *benchProfile {
	dir := profileDir()
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`, `SELECT pg_stat_statements_reset()`, `SELECT pg_stat_reset()`,
		`SELECT pg_stat_reset_shared('wal')`} {
		if _, err := db.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	writeAllocs(b, filepath.Join(dir, "allocs-before.pprof"))
	f, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return &benchProfile{b: b, db: db, dir: dir, cpu: f, self0: processCPU(), server0: serverCPU(), cpus0: machineCPU()}
}

// stop ends the window: it writes the statements and prints the CPU line.
func (p *benchProfile) stop(ctx context.Context) {
	if p == nil {
		return
	}
	pprof.StopCPUProfile()
	p.cpu.Close()
	writeAllocs(p.b, filepath.Join(p.dir, "allocs.pprof"))
	self, server := processCPU()-p.self0, serverCPU()-p.server0
	cpus := machineCPU().since(p.cpus0)
	var out strings.Builder
	rows, err := p.db.Query(ctx, `SELECT calls, rows, total_exec_time, regexp_replace(query, '\s+', ' ', 'g')
		FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 40`)
	if err != nil {
		p.b.Fatal(err)
	}
	for rows.Next() {
		var calls, n int64
		var ms float64
		var q string
		if err := rows.Scan(&calls, &n, &ms, &q); err != nil {
			p.b.Fatal(err)
		}
		fmt.Fprintf(&out, "%9.1f ms %7d calls %8d rows  %.160s\n", ms, calls, n, q)
	}
	rows.Close()
	// Backends report their table counters at most once a second, and an idle one
	// only after ten: these are the counts reported so far, a sample of the window.
	rows, err = p.db.Query(ctx, `SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, seq_scan, seq_tup_read FROM pg_stat_user_tables
		WHERE n_tup_ins + n_tup_upd + seq_scan > 0 ORDER BY relname`)
	if err != nil {
		p.b.Fatal(err)
	}
	out.WriteString("\ntable (as reported so far)  inserted  updated  of which heap-only  seq scans  rows they read\n")
	for rows.Next() {
		var name string
		var ins, upd, hot, scans, read int64
		if err := rows.Scan(&name, &ins, &upd, &hot, &scans, &read); err != nil {
			p.b.Fatal(err)
		}
		fmt.Fprintf(&out, "%-26s %9d %8d %8d %10d %14d\n", name, ins, upd, hot, scans, read)
	}
	rows.Close()
	// Trigger functions (the tables' guards) run once per row; their time is inside
	// the statements' above.
	rows, err = p.db.Query(ctx, `SELECT funcname, calls, self_time FROM pg_stat_user_functions ORDER BY self_time DESC`)
	if err != nil {
		p.b.Fatal(err)
	}
	out.WriteString("\nfunction (as reported so far)  calls  self ms\n")
	for rows.Next() {
		var name string
		var calls int64
		var ms float64
		if err := rows.Scan(&name, &calls, &ms); err != nil {
			p.b.Fatal(err)
		}
		fmt.Fprintf(&out, "%-30s %6d %8.1f\n", name, calls, ms)
	}
	rows.Close()
	if err := os.WriteFile(filepath.Join(p.dir, "statements.txt"), []byte(out.String()), 0o644); err != nil {
		p.b.Fatal(err)
	}
	// WAL counters are the cluster's, and the window is all it did meanwhile; like the
	// table counters they are what backends have reported so far (at most once a
	// second each). Full-page images would mean a checkpoint fell in the window.
	var walRecords, walFPI, walBytes, walSyncs int64
	if err := p.db.QueryRow(ctx, `SELECT wal_records, wal_fpi, wal_bytes::bigint, wal_sync FROM pg_stat_wal`).
		Scan(&walRecords, &walFPI, &walBytes, &walSyncs); err != nil {
		p.b.Fatal(err)
	}
	fmt.Printf("PROFILE process_cpu_s=%.2f postgres_cpu_s=%.2f busy_pct=%.0f idle_pct=%.0f iowait_pct=%.0f steal_pct=%.0f wal_records=%d wal_fpi=%d wal_kb=%d wal_syncs=%d (files in %s)\n",
		self.Seconds(), server.Seconds(), cpus.pct(cpus.busy), cpus.pct(cpus.idle), cpus.pct(cpus.iowait), cpus.pct(cpus.steal),
		walRecords, walFPI, walBytes/1024, walSyncs, p.dir)
}

// writeAllocs writes the allocations so far, sampled since the program started; the
// window's are those of allocs.pprof less allocs-before.pprof:
//
//	go tool pprof -sample_index=alloc_space -base DIR/allocs-before.pprof DIR/allocs.pprof
func writeAllocs(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// cpuTicks are the machine's CPU times, all cores, from the first line of /proc/stat.
type cpuTicks struct{ busy, idle, iowait, steal float64 }

func machineCPU() cpuTicks {
	stat, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(stat), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuTicks{}
	}
	var v [8]float64
	for i := range v {
		v[i], _ = strconv.ParseFloat(f[i+1], 64)
	}
	// user nice system idle iowait irq softirq steal
	return cpuTicks{busy: v[0] + v[1] + v[2] + v[5] + v[6], idle: v[3], iowait: v[4], steal: v[7]}
}

func (c cpuTicks) since(c0 cpuTicks) cpuTicks {
	return cpuTicks{c.busy - c0.busy, c.idle - c0.idle, c.iowait - c0.iowait, c.steal - c0.steal}
}

// pct is part as a share of all the ticks.
func (c cpuTicks) pct(part float64) float64 {
	if all := c.busy + c.idle + c.iowait + c.steal; all > 0 {
		return 100 * part / all
	}
	return 0
}

// processCPU is the user and system time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU is the user and system time of every process named postgres, from /proc.
func serverCPU() time.Duration {
	ents, _ := os.ReadDir("/proc")
	var ticks float64
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 > len(s) {
			continue
		}
		f := strings.Fields(s[i+2:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseFloat(f[11], 64)
		k, _ := strconv.ParseFloat(f[12], 64)
		ticks += u + k
	}
	// Linux reports these in clock ticks, 100 a second on every architecture Go runs on.
	return time.Duration(ticks * float64(time.Second) / 100)
}
