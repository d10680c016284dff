package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base32"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/node"
)

// runUser manages staff accounts from the command line, so a fresh install can create
// its first administrator: tongban user add -username … -name … -role admin.
func runUser(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "token") {
		return fmt.Errorf("%w: tongban user add -username U -name N -role R [-password-stdin] | tongban user token -username U -name N [-scopes read,write]", errUsage)
	}
	var cfg config.Hall
	fs := flag.NewFlagSet("user "+args[0], flag.ContinueOnError)
	username := fs.String("username", "", "login name (a–z, 0–9, . _ -)")
	name := fs.String("name", "", "display name (the person's name, or the client's for a token)")
	role := fs.String("role", "", "window_clerk, hall_staff, supervisor, finance_preparer, finance_approver or admin")
	scope := fs.String("scope", "", "the account's hall division code, or centre for finance; defaults to -code")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input instead of generating one")
	nodeKind := fs.String("node", "hall", "whose accounts: hall (the -code hall's database) or settlement (the centre's finance staff)")
	scopes := fs.String("scopes", "write", "token scopes: read or write")
	if _, err := config.LoadFlags(&cfg, fs, args[1:]); err != nil {
		return wrapFlagErr(err)
	}
	log := newLogger("warn", "user")
	var db *node.Database
	switch *nodeKind {
	case "hall":
		if *scope == "" {
			*scope = cfg.Code
		}
		migs, err := hallMigrations()
		if err != nil {
			return err
		}
		if db, err = node.OpenDatabase(ctx, cfg.Common, "pg-hall-"+cfg.Code, "hall_"+cfg.Code, migs, log); err != nil {
			return err
		}
	case "settlement":
		*scope = auth.Centre
		migs, err := settlementMigrations()
		if err != nil {
			return err
		}
		if db, err = openSettlementDatabase(ctx, cfg.Common, migs, log); err != nil {
			return err
		}
	default:
		return &config.Problem{Env: "-node", Value: *nodeKind, Accepted: "hall or settlement"}
	}
	defer db.Close()
	svc := auth.New(auth.Options{DB: db.Pool, Scope: *scope})
	if args[0] == "token" {
		return userToken(ctx, svc, db, *username, *name, strings.Split(*scopes, ","))
	}
	password, generated := "", false
	if *stdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("user: read password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		password, generated = newPassword(), true
	}
	u, err := svc.CreateUser(ctx, auth.NewUser{Username: *username, Name: *name, Role: auth.Role(*role), Hall: *scope, Password: password})
	if err != nil {
		return err
	}
	fmt.Printf("created %s (%s, %s)\n", u.Username, u.Role, u.Hall)
	if generated {
		fmt.Printf("password: %s\n(shown once; the user should change it)\n", password)
	}
	return nil
}

func userToken(ctx context.Context, svc *auth.Service, db *node.Database, username, name string, scopes []string) error {
	var p auth.Principal
	err := db.Pool.QueryRow(ctx, `SELECT id, username, role, hall FROM staff_users WHERE username = $1`, username).
		Scan(&p.UserID, &p.Username, &p.Role, &p.Hall)
	if err != nil {
		return &config.Problem{Env: "-username", Value: username, Accepted: "an existing account"}
	}
	secret, t, err := svc.CreateToken(ctx, &p, name, scopes, 365*24*time.Hour)
	if err != nil {
		return err
	}
	fmt.Printf("token %s for %s (%s), expires %s:\n%s\n", t.ID, p.Username, strings.Join(t.Scopes, ","), t.ExpiresAt.Format(time.DateOnly), secret)
	return nil
}

// newPassword is a random password of 20 base32 characters (100 bits).
func newPassword() string {
	b := make([]byte, 13)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:20]
}
