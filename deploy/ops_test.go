package deploy

import (
	"bufio"
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestGenSecrets runs compose/gen-secrets.sh in a scratch copy and checks it makes
// every secret file docker-compose.yml names, signing keys the halls accept, and
// partner lists whose public keys belong to those signing keys.
func TestGenSecrets(t *testing.T) {
	needShell(t)
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl")
	}
	dir := t.TempDir()
	for _, f := range []string{"gen-secrets.sh", ".env.example"} {
		b, err := os.ReadFile(filepath.Join("compose", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	halls := composeHalls(t)
	run := func() {
		cmd := exec.Command("sh", filepath.Join(dir, "gen-secrets.sh"))
		cmd.Env = append(os.Environ(), "HALLS="+strings.Join(halls, " "))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gen-secrets.sh: %v\n%s", err, out)
		}
	}
	run()
	for name, s := range mapping(composeFile(t)["secrets"]) {
		p := filepath.Join(dir, str(dig(s, "file")))
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("secret %s: %s not made: %v", name, p, err)
		}
	}
	env := readEnv(t, filepath.Join(dir, ".env"))
	if len(env["KAFKA_CLUSTER_ID"]) != 22 {
		t.Errorf("KAFKA_CLUSTER_ID=%q, want 22 characters", env["KAFKA_CLUSTER_ID"])
	}
	pub := map[string]string{}
	for _, h := range halls {
		b, err := os.ReadFile(filepath.Join(dir, "secrets", "hall_"+h+"_signing_key"))
		if err != nil {
			t.Fatal(err)
		}
		seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(seed) != ed25519.SeedSize {
			t.Fatalf("hall %s signing key is not a base64 32-byte seed: %v", h, err)
		}
		pub[h] = base64.StdEncoding.EncodeToString(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
		b, err = os.ReadFile(filepath.Join(dir, "secrets", "hall_"+h+"_seal_key"))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		x, err2 := ecdh.X25519().NewPrivateKey(raw)
		if err != nil || err2 != nil {
			t.Fatalf("hall %s sealing key is not a base64 X25519 key: %v %v", h, err, err2)
		}
		pub[h] += ":" + base64.StdEncoding.EncodeToString(x.PublicKey().Bytes())
	}
	for _, h := range halls {
		var want []string
		for _, p := range halls {
			if p != h {
				want = append(want, p+"="+pub[p])
			}
		}
		if got := env["TONGBAN_PARTNERS_"+h]; got != strings.Join(want, ",") {
			t.Errorf("TONGBAN_PARTNERS_%s=%q, want %q", h, got, strings.Join(want, ","))
		}
	}
	// A second run keeps every key and password.
	before, _ := os.ReadFile(filepath.Join(dir, "secrets", "hall_"+halls[0]+"_signing_key"))
	run()
	after, _ := os.ReadFile(filepath.Join(dir, "secrets", "hall_"+halls[0]+"_signing_key"))
	if string(before) != string(after) || readEnv(t, filepath.Join(dir, ".env"))["KAFKA_CLUSTER_ID"] != env["KAFKA_CLUSTER_ID"] {
		t.Error("a second run of gen-secrets.sh changed a key or the cluster id")
	}
}

func readEnv(t *testing.T, path string) map[string]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			env[k] = v
		}
	}
	return env
}

// TestPostgresClusters checks each hall and settlement has its own CloudNativePG
// cluster with continuous backup and a scheduled base backup, and that the node reads
// the DSN from that cluster's app Secret.
func TestPostgresClusters(t *testing.T) {
	docs := k8sDocs(t)
	clusters := map[string]map[string]any{}
	for _, d := range ofKind(docs, "Cluster") {
		clusters[str(dig(d.body, "metadata", "name"))] = d.body
		if dig(d.body, "spec", "backup", "barmanObjectStore", "destinationPath") == nil {
			t.Errorf("%s: no barmanObjectStore backup", d)
		}
	}
	scheduled := map[string]bool{}
	for _, d := range ofKind(docs, "ScheduledBackup") {
		scheduled[str(dig(d.body, "spec", "cluster", "name"))] = true
	}
	for _, c := range k8sContainers(t) {
		var name, db string
		switch c.kind {
		case "hall":
			code := c.env["TONGBAN_HALL_CODE"]
			name, db = "pg-hall-"+code, "hall_"+code
		case "settlement":
			name, db = "pg-settlement", "settlement"
		default:
			continue
		}
		cl, ok := clusters[name]
		if !ok {
			t.Errorf("%s: no CloudNativePG Cluster %s", c.where, name)
			continue
		}
		if got := str(dig(cl, "spec", "bootstrap", "initdb", "database")); got != db {
			t.Errorf("Cluster %s: database %q, want %q", name, got, db)
		}
		if !scheduled[name] {
			t.Errorf("Cluster %s: no ScheduledBackup", name)
		}
		if !slices.Contains(podSecrets(c.pod), name+"-app") {
			t.Errorf("%s: does not mount the Secret %s-app with the DSN", c.where, name)
		}
	}
}

var metricName = regexp.MustCompile(`\b(cnpg_)?tongban_[a-z0-9_]+`)

// TestAlertRules checks every alert rule is complete and names only metrics that
// exist: tongban_* ones registered in the code, cnpg_tongban_* ones made by the hall
// queries, on tables the hall migrations create.
func TestAlertRules(t *testing.T) {
	docs := ofKind(k8sDocs(t), "PrometheusRule")
	if len(docs) == 0 {
		t.Fatal("no PrometheusRule")
	}
	code := goSource(t, filepath.Join("..", "handoff"), filepath.Join("..", "internal"), filepath.Join("..", "settlement"), filepath.Join("..", "courier"))
	queries := hallQueries(t)
	var rules int
	for _, d := range docs {
		for _, g := range list(dig(d.body, "spec", "groups")) {
			for _, r := range list(dig(g, "rules")) {
				rules++
				name := str(dig(r, "alert"))
				if name == "" || str(dig(r, "expr")) == "" || str(dig(r, "labels", "severity")) == "" ||
					str(dig(r, "annotations", "summary")) == "" || str(dig(r, "annotations", "description")) == "" {
					t.Errorf("%s: rule %q lacks alert, expr, severity, summary or description", d, name)
				}
				for _, m := range metricName.FindAllString(str(dig(r, "expr")), -1) {
					switch {
					case strings.HasPrefix(m, "cnpg_"):
						if !queries[m] {
							t.Errorf("%s: %s uses %s, which no hall query makes", d, name, m)
						}
					case !strings.Contains(code, `"`+m+`"`):
						t.Errorf("%s: %s uses %s, which the code does not register", d, name, m)
					}
				}
			}
		}
	}
	if rules == 0 {
		t.Error("no alert rules")
	}
}

// goSource concatenates the non-test Go files under dirs.
func goSource(t *testing.T, dirs ...string) string {
	var b strings.Builder
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			src, err := os.ReadFile(p)
			if err == nil {
				b.Write(src)
			}
			return nil
		})
	}
	return b.String()
}

// hallQueries returns the metric names the CloudNativePG hall queries make
// (cnpg_<query>_<column>), after checking each query's tables exist in the hall schema
// and each query targets the database of the hall its key names.
func hallQueries(t *testing.T) map[string]bool {
	var migrations strings.Builder
	files, _ := filepath.Glob(filepath.Join("..", "handoff", "migrations", "*.sql"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		migrations.Write(b)
	}
	names := map[string]bool{}
	// FROM followed by a name and no parenthesis: a table, not EXTRACT(EPOCH FROM now()).
	from := regexp.MustCompile(`(?i)\bFROM\s+([a-z_]+)(\s*\()?`)
	for _, d := range ofKind(k8sDocs(t), "ConfigMap") {
		for key, v := range mapping(d.body["data"]) {
			code, ok := strings.CutPrefix(strings.TrimSuffix(key, ".yaml"), "queries-")
			if !ok {
				continue
			}
			var qs map[string]any
			ms, err := decodeAll([]byte(str(v)))
			if err != nil || len(ms) != 1 {
				t.Fatalf("%s key %s: %v", d, key, err)
			}
			qs = ms[0]
			for q, body := range qs {
				if got := strs(dig(body, "target_databases")); !slices.Equal(got, []string{"hall_" + code}) {
					t.Errorf("%s key %s: query %s targets %v, want [hall_%s]", d, key, q, got, code)
				}
				for _, m := range from.FindAllStringSubmatch(str(dig(body, "query")), -1) {
					if m[2] != "" {
						continue
					}
					if !regexp.MustCompile(`(?i)CREATE TABLE ` + m[1] + `\b`).MatchString(migrations.String()) {
						t.Errorf("%s: query %s reads table %s, which the hall migrations do not create", d, q, m[1])
					}
				}
				for _, col := range list(dig(body, "metrics")) {
					for c := range mapping(col) {
						names["cnpg_"+q+"_"+c] = true
					}
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("no hall queries")
	}
	return names
}
