package deploy

import (
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/config"
)

// container is one Tongban process a manifest starts, from compose or Kubernetes.
type container struct {
	where string            // file and object, for messages
	kind  string            // the subcommand: hall, settlement, courier-sim, provision
	args  []string          // everything after the subcommand
	env   map[string]string // resolved: Kubernetes envFrom ConfigMaps and env; compose interpolated
	// unknown holds compose variables whose value comes from .env with no default.
	unknown map[string]bool
	k8s     map[string]any // the container spec (Kubernetes only)
	pod     map[string]any // the pod spec (Kubernetes only)
	service map[string]any // the service (compose only)
}

// nodeConfig is the config struct a subcommand reads its environment into.
func nodeConfig(kind string) any {
	switch kind {
	case "hall":
		return &config.Hall{}
	case "settlement":
		return &config.Settlement{}
	case "courier-sim":
		return &config.CourierSim{}
	case "provision":
		return &config.Kafka{}
	}
	return nil
}

// required lists, per subcommand, the settings a deployment must set (directly or as
// <ENV>_FILE). The HTTP address is among them because its default listens on loopback
// only, where no probe or Service can reach it.
var required = map[string][]string{
	"hall": {"TONGBAN_HALL_CODE", "TONGBAN_HTTP_ADDR", "TONGBAN_DATABASE_URL", "TONGBAN_KAFKA_BROKERS",
		"TONGBAN_KAFKA_SASL_MECHANISM", "TONGBAN_KAFKA_SASL_USER", "TONGBAN_KAFKA_SASL_PASSWORD",
		"TONGBAN_SIGNING_KEY", "TONGBAN_PARTNERS", "TONGBAN_SEAL_KEY", "TONGBAN_DATA_KEYS", "TONGBAN_DATA_KEY_ID", "TONGBAN_SEARCH_KEY"},
	"settlement": {"TONGBAN_HTTP_ADDR", "TONGBAN_DATABASE_URL", "TONGBAN_KAFKA_BROKERS",
		"TONGBAN_KAFKA_SASL_MECHANISM", "TONGBAN_KAFKA_SASL_USER", "TONGBAN_KAFKA_SASL_PASSWORD",
		"TONGBAN_SETTLEMENT_HALLS", "TONGBAN_DATA_KEYS", "TONGBAN_DATA_KEY_ID"},
	"courier-sim": {"TONGBAN_SIM_ADDR"},
	"provision":   {"TONGBAN_KAFKA_BROKERS", "TONGBAN_KAFKA_SASL_MECHANISM", "TONGBAN_KAFKA_SASL_USER", "TONGBAN_KAFKA_SASL_PASSWORD"},
}

// k8sContainers returns every Tongban container of every Deployment (a container whose
// first argument is a subcommand with a config struct).
func k8sContainers(t *testing.T) []container {
	t.Helper()
	docs := k8sDocs(t)
	configMaps := map[string]map[string]any{}
	for _, d := range ofKind(docs, "ConfigMap") {
		configMaps[str(dig(d.body, "metadata", "name"))] = mapping(d.body["data"])
	}
	var out []container
	for _, d := range append(ofKind(docs, "Deployment"), ofKind(docs, "Job")...) {
		pod := mapping(dig(d.body, "spec", "template", "spec"))
		for _, c := range list(pod["containers"]) {
			cm := mapping(c)
			args := strs(cm["args"])
			if len(args) == 0 || nodeConfig(args[0]) == nil {
				continue
			}
			ct := container{where: d.String() + " container " + str(cm["name"]), kind: args[0], args: args[1:],
				env: map[string]string{}, k8s: cm, pod: pod}
			for _, ef := range list(cm["envFrom"]) {
				name := str(dig(ef, "configMapRef", "name"))
				if name == "" {
					t.Errorf("%s: envFrom other than a configMapRef is not checked", ct.where)
					continue
				}
				data, ok := configMaps[name]
				if !ok {
					t.Errorf("%s: envFrom ConfigMap %s is not in the manifests", ct.where, name)
				}
				for k, v := range data {
					ct.env[k] = str(v)
				}
			}
			for _, e := range list(cm["env"]) {
				if dig(e, "valueFrom") != nil {
					ct.env[str(dig(e, "name"))] = "(valueFrom)"
					continue
				}
				ct.env[str(dig(e, "name"))] = str(dig(e, "value"))
			}
			out = append(out, ct)
		}
	}
	return out
}

// composeContainers returns every compose service that runs a Tongban subcommand.
func composeContainers(t *testing.T) []container {
	t.Helper()
	var out []container
	for name, s := range mapping(composeFile(t)["services"]) {
		svc := mapping(s)
		cmd := strs(svc["command"])
		if len(cmd) == 0 || nodeConfig(cmd[0]) == nil {
			continue
		}
		ct := container{where: "compose service " + name, kind: cmd[0], env: map[string]string{},
			unknown: map[string]bool{}, service: svc}
		for _, a := range cmd[1:] {
			v, _ := interpolate(a)
			ct.args = append(ct.args, v)
		}
		for k, v := range mapping(svc["environment"]) {
			val, ok := interpolate(str(v))
			ct.env[k] = val
			if !ok {
				ct.unknown[k] = true
			}
		}
		out = append(out, ct)
	}
	slices.SortFunc(out, func(a, b container) int { return strings.Compare(a.where, b.where) })
	return out
}

func allContainers(t *testing.T) []container {
	return append(k8sContainers(t), composeContainers(t)...)
}

// TestEnvironmentMatchesConfig checks every variable a manifest sets for a Tongban
// container against the fields of that node's config struct, read at test time so new
// settings are seen as soon as they land; and that every required setting is set.
func TestEnvironmentMatchesConfig(t *testing.T) {
	cs := allContainers(t)
	kinds := map[string]bool{}
	for _, c := range cs {
		kinds[c.kind] = true
		fields := map[string]config.Field{}
		for _, f := range config.Fields(nodeConfig(c.kind)) {
			fields[f.Env] = f
		}
		for name := range c.env {
			if _, ok := fields[name]; ok {
				if _, both := c.env[name+"_FILE"]; both {
					t.Errorf("%s: sets both %s and %s_FILE", c.where, name, name)
				}
				continue
			}
			base, isFile := strings.CutSuffix(name, "_FILE")
			f, ok := fields[base]
			switch {
			case !ok:
				t.Errorf("%s: %s is not a setting of the %s node (config.%T)", c.where, name, c.kind, nodeConfig(c.kind))
			case isFile && !f.Secret:
				t.Errorf("%s: %s: only secrets may come from a file, and %s is not one", c.where, name, base)
			}
		}
		for _, name := range required[c.kind] {
			if _, ok := fields[name]; !ok {
				t.Errorf("required setting %s is no longer in config.%T; update the manifests and this test", name, nodeConfig(c.kind))
			}
			if c.env[name] == "" && c.env[name+"_FILE"] == "" && !c.unknown[name] {
				t.Errorf("%s: required setting %s (or %s_FILE) is not set", c.where, name, name)
			}
		}
	}
	for _, k := range []string{"hall", "settlement", "courier-sim"} {
		if !kinds[k] {
			t.Errorf("no manifest runs a %s node", k)
		}
	}
}

// TestEnvironmentValidates loads each container's environment through config.Load and
// runs the node's Validate, so a value the node would refuse at start (a bad division
// code, address or SASL mechanism) fails here. Secret files are stand-ins.
func TestEnvironmentValidates(t *testing.T) {
	for _, c := range allContainers(t) {
		t.Run(c.where, func(t *testing.T) {
			cfg := nodeConfig(c.kind)
			for _, f := range config.Fields(cfg) {
				for _, name := range []string{f.Env, f.Env + "_FILE"} {
					t.Setenv(name, "")
					os.Unsetenv(name)
				}
			}
			dir := t.TempDir()
			for name, v := range c.env {
				if c.unknown[name] {
					continue
				}
				if base, ok := strings.CutSuffix(name, "_FILE"); ok && base != "TONGBAN_KAFKA_TLS_CA" {
					p := filepath.Join(dir, base)
					if err := os.WriteFile(p, []byte("stand-in-"+path.Base(v)), 0o600); err != nil {
						t.Fatal(err)
					}
					v = p
				}
				t.Setenv(name, v)
			}
			if _, err := config.Load(cfg, c.kind, nil); err != nil {
				t.Fatalf("config.Load: %v", err)
			}
			if v, ok := cfg.(interface{ Validate() error }); ok {
				if err := v.Validate(); err != nil {
					t.Errorf("Validate: %v", err)
				}
			}
		})
	}
}

// listenPort is the port of a node's listen address setting.
func listenPort(t *testing.T, c container) int {
	t.Helper()
	name := "TONGBAN_HTTP_ADDR"
	if c.kind == "courier-sim" {
		name = "TONGBAN_SIM_ADDR"
	}
	_, p, err := net.SplitHostPort(c.env[name])
	if err != nil {
		t.Fatalf("%s: %s=%q: %v", c.where, name, c.env[name], err)
	}
	if host, _, _ := net.SplitHostPort(c.env[name]); host == "127.0.0.1" || host == "localhost" {
		t.Errorf("%s: %s listens on loopback only; probes and Services cannot reach it", c.where, name)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// containerPort resolves a probe's port (a number or a port name) in a container.
func containerPort(c container, port any) int {
	if n, ok := port.(int); ok {
		return n
	}
	for _, p := range list(c.k8s["ports"]) {
		if str(dig(p, "name")) == str(port) {
			n, _ := dig(p, "containerPort").(int)
			return n
		}
	}
	return -1
}

// TestKubernetesProbes checks readiness on /readyz and liveness on /healthz, on the
// port the node listens on; the simulator, which has neither, gets TCP probes on its
// port. Every container states resource requests and a memory limit.
func TestKubernetesProbes(t *testing.T) {
	for _, c := range k8sContainers(t) {
		if c.kind == "provision" {
			continue
		}
		port := listenPort(t, c)
		wantPath := map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz", "startupProbe": ""}
		for probe, want := range wantPath {
			p := mapping(c.k8s[probe])
			if p == nil {
				if probe != "startupProbe" {
					t.Errorf("%s: no %s", c.where, probe)
				}
				continue
			}
			if c.kind == "courier-sim" && p["tcpSocket"] != nil {
				if got := containerPort(c, dig(p, "tcpSocket", "port")); got != port {
					t.Errorf("%s: %s on port %d, the simulator listens on %d", c.where, probe, got, port)
				}
				continue
			}
			get := mapping(p["httpGet"])
			if get == nil {
				t.Errorf("%s: %s is not an httpGet probe", c.where, probe)
				continue
			}
			if want != "" && str(get["path"]) != want {
				t.Errorf("%s: %s path %s, want %s", c.where, probe, str(get["path"]), want)
			}
			if want == "" && str(get["path"]) != "/healthz" && str(get["path"]) != "/readyz" {
				t.Errorf("%s: %s path %s, want /healthz or /readyz", c.where, probe, str(get["path"]))
			}
			if got := containerPort(c, get["port"]); got != port {
				t.Errorf("%s: %s on port %d, the node listens on %d", c.where, probe, got, port)
			}
		}
		for _, r := range []string{"requests.cpu", "requests.memory", "limits.memory"} {
			a, b, _ := strings.Cut(r, ".")
			if str(dig(c.k8s, "resources", a, b)) == "" {
				t.Errorf("%s: no resources.%s", c.where, r)
			}
		}
	}
}

// TestKubernetesSecretFiles checks that every <ENV>_FILE (and the Kafka CA file) points
// into a mounted volume, at a file the volume provides.
func TestKubernetesSecretFiles(t *testing.T) {
	for _, c := range k8sContainers(t) {
		volumes := map[string]map[string]any{}
		for _, v := range list(c.pod["volumes"]) {
			volumes[str(dig(v, "name"))] = mapping(v)
		}
		for name, p := range c.env {
			if !strings.HasSuffix(name, "_FILE") || p == "" {
				continue
			}
			var found bool
			for _, m := range list(c.k8s["volumeMounts"]) {
				dir := str(dig(m, "mountPath"))
				rel, ok := strings.CutPrefix(p, strings.TrimSuffix(dir, "/")+"/")
				if !ok {
					continue
				}
				found = true
				if files := volumeFiles(volumes[str(dig(m, "name"))]); files != nil && !slices.Contains(files, rel) {
					t.Errorf("%s: %s=%s: volume %s mounted at %s holds %v", c.where, name, p, str(dig(m, "name")), dir, files)
				}
			}
			if !found {
				t.Errorf("%s: %s=%s is not under any volumeMount", c.where, name, p)
			}
		}
	}
}

// volumeFiles lists the files a secret or projected volume with items holds; nil when
// the volume exposes every key and the list cannot be known from the manifest.
func volumeFiles(v map[string]any) []string {
	var sources []any
	if s := v["secret"]; s != nil {
		sources = append(sources, map[string]any{"secret": s})
	}
	sources = append(sources, list(dig(v, "projected", "sources"))...)
	var files []string
	for _, s := range sources {
		for _, kind := range []string{"secret", "configMap"} {
			src := mapping(dig(s, kind))
			if src == nil {
				continue
			}
			items := list(src["items"])
			if len(items) == 0 {
				return nil
			}
			for _, it := range items {
				files = append(files, str(dig(it, "path")))
			}
		}
	}
	return files
}

// TestKubernetesServicesAndBudgets checks that every Deployment running a node has a
// Service and a PodDisruptionBudget that select its pods, and that the Service targets
// a port the container has.
func TestKubernetesServicesAndBudgets(t *testing.T) {
	docs := k8sDocs(t)
	selects := func(sel, labels map[string]any) bool {
		if len(sel) == 0 {
			return false
		}
		for k, v := range sel {
			if str(labels[k]) != str(v) {
				return false
			}
		}
		return true
	}
	for _, d := range ofKind(docs, "Deployment") {
		labels := mapping(dig(d.body, "spec", "template", "metadata", "labels"))
		if !selects(mapping(dig(d.body, "spec", "selector", "matchLabels")), labels) {
			t.Errorf("%s: selector does not match the pod labels", d)
		}
		var svc, pdb bool
		for _, s := range ofKind(docs, "Service") {
			if !selects(mapping(dig(s.body, "spec", "selector")), labels) {
				continue
			}
			svc = true
			for _, p := range list(dig(s.body, "spec", "ports")) {
				target := dig(p, "targetPort")
				var ok bool
				for _, c := range list(dig(d.body, "spec", "template", "spec", "containers")) {
					for _, cp := range list(dig(c, "ports")) {
						ok = ok || str(dig(cp, "name")) == str(target) || str(dig(cp, "containerPort")) == str(target)
					}
				}
				if !ok {
					t.Errorf("%s: targetPort %v is no port of %s", s, target, d)
				}
			}
		}
		for _, p := range ofKind(docs, "PodDisruptionBudget") {
			pdb = pdb || selects(mapping(dig(p.body, "spec", "selector", "matchLabels")), labels)
		}
		if !svc {
			t.Errorf("%s: no Service selects its pods", d)
		}
		if !pdb {
			t.Errorf("%s: no PodDisruptionBudget selects its pods", d)
		}
	}
}

// TestComposeHealthchecks checks that each node's healthcheck asks /readyz (the
// simulator: any answer) on the port its address setting listens on, that published
// ports lead there, and that every secret file it names is a secret the service gets.
func TestComposeHealthchecks(t *testing.T) {
	top := mapping(composeFile(t)["secrets"])
	for _, c := range composeContainers(t) {
		for name, p := range c.env {
			if !strings.HasSuffix(name, "_FILE") {
				continue
			}
			secret, ok := strings.CutPrefix(p, "/run/secrets/")
			if !ok {
				t.Errorf("%s: %s=%s is not a compose secret", c.where, name, p)
				continue
			}
			if !slices.Contains(strs(c.service["secrets"]), secret) {
				t.Errorf("%s: %s names secret %s, which the service does not get", c.where, name, secret)
			}
			if top[secret] == nil {
				t.Errorf("%s: secret %s is not defined at the top level", c.where, secret)
			}
		}
		if c.kind == "provision" {
			continue
		}
		port := listenPort(t, c)
		test := strings.Join(strs(dig(c.service, "healthcheck", "test")), " ")
		want := "http://127.0.0.1:" + strconv.Itoa(port) + "/readyz"
		if c.kind == "courier-sim" {
			want = "http://127.0.0.1:" + strconv.Itoa(port) + "/"
		}
		if !strings.Contains(test, want) {
			t.Errorf("%s: healthcheck %q does not ask %s", c.where, test, want)
		}
		for _, p := range strs(c.service["ports"]) {
			v, _ := interpolate(p)
			if !strings.HasSuffix(v, ":"+strconv.Itoa(port)) {
				t.Errorf("%s: published port %s does not lead to %d", c.where, p, port)
			}
		}
	}
}
