package deploy

import (
	"flag"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/bus"
)

// settlementGroup is the consumer group the settlement node reads its topic with. It
// is the name the settlement issue agreed on; internal code does not export it yet.
const settlementGroup = "tongban-settlement"

// hallGroup is the consumer group of a hall's inbox (handoff/inbox.go).
func hallGroup(code string) string { return "tongban-hall-" + code }

// acl is one allow rule, from a Strimzi KafkaUser or from a kafka-acls.sh command.
type acl struct {
	user, kind, name, pattern string // kind: topic or group (or cluster); pattern: literal or prefix
	ops                       []string
}

func (a acl) grants(op string) bool {
	return slices.Contains(a.ops, op) || slices.Contains(a.ops, "All")
}

func (a acl) matches(name string) bool {
	switch {
	case a.name == "*":
		return true
	case a.pattern == "prefix" || a.pattern == "prefixed":
		return strings.HasPrefix(name, a.name)
	default:
		return a.name == name
	}
}

// granted lists which of names the user's ACLs of this kind allow op on.
func granted(acls []acl, user, kind, op string, names []string) []string {
	var out []string
	for _, n := range names {
		for _, a := range acls {
			if a.user == user && a.kind == kind && a.grants(op) && a.matches(n) {
				out = append(out, n)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// checkACLs checks a cluster's ACLs against what the code does: a hall reads only its
// own inbox with its own group, writes to its partners' inboxes and to the settlement
// and supervision topics, and may describe the configs of the topics it checks at start
// (bus.EnsureTopics over bus.DefaultTopics of its own code); settlement reads its topic
// with its group. Nobody gets more than read, write and describe.
func checkACLs(t *testing.T, where string, acls []acl, halls []string) {
	t.Helper()
	var topics, groups []string
	for _, s := range bus.DefaultTopics(halls, 1, 1) {
		topics = append(topics, s.Name)
	}
	for _, h := range halls {
		groups = append(groups, hallGroup(h))
	}
	groups = append(groups, settlementGroup)
	for _, a := range acls {
		for _, op := range a.ops {
			if !slices.Contains([]string{"Read", "Write", "Describe", "DescribeConfigs"}, op) {
				t.Errorf("%s: user %s gets %s on %s %s; Tongban needs only Read, Write, Describe and DescribeConfigs", where, a.user, op, a.kind, a.name)
			}
		}
		if a.kind != "topic" && a.kind != "group" {
			t.Errorf("%s: user %s gets an ACL on a %s; Tongban needs none", where, a.user, a.kind)
		}
	}
	for _, h := range halls {
		user := "hall-" + h
		var partners []string
		for _, p := range halls {
			if p != h {
				partners = append(partners, bus.HallTopic(p))
			}
		}
		if got, want := granted(acls, user, "topic", "Read", topics), sorted(bus.HallTopic(h)); !slices.Equal(got, want) {
			t.Errorf("%s: %s may read topics %v, want only its inbox %v", where, user, got, want)
		}
		if got, want := granted(acls, user, "group", "Read", groups), sorted(hallGroup(h)); !slices.Equal(got, want) {
			t.Errorf("%s: %s may use groups %v, want only %v", where, user, got, want)
		}
		if got, want := granted(acls, user, "topic", "Write", topics), sorted(append(partners, bus.SettlementTopic, bus.SupervisionTopic)...); !slices.Equal(got, want) {
			t.Errorf("%s: %s may write topics %v, want %v", where, user, got, want)
		}
		var own []string
		for _, s := range bus.DefaultTopics([]string{h}, 1, 1) {
			own = append(own, s.Name)
		}
		if got, want := granted(acls, user, "topic", "DescribeConfigs", topics), sorted(own...); !slices.Equal(got, want) {
			t.Errorf("%s: %s may describe configs of %v, want %v (what a hall checks at start)", where, user, got, want)
		}
	}
	if got := granted(acls, "settlement", "topic", "Read", topics); !slices.Equal(got, []string{bus.SettlementTopic}) {
		t.Errorf("%s: settlement may read topics %v, want only %s", where, got, bus.SettlementTopic)
	}
	if got := granted(acls, "settlement", "group", "Read", groups); !slices.Equal(got, []string{settlementGroup}) {
		t.Errorf("%s: settlement may use groups %v, want only %s", where, got, settlementGroup)
	}
	if got := granted(acls, "settlement", "topic", "Write", topics); len(got) > 0 {
		t.Errorf("%s: settlement may write %v; it only reads", where, got)
	}
}

// k8sHalls lists the division codes of the hall Deployments.
func k8sHalls(t *testing.T) []string {
	var codes []string
	for _, c := range k8sContainers(t) {
		if c.kind == "hall" {
			codes = append(codes, c.env["TONGBAN_HALL_CODE"])
		}
	}
	slices.Sort(codes)
	if len(codes) < 2 {
		t.Fatalf("Kubernetes manifests run halls %v, want at least two", codes)
	}
	return codes
}

func composeHalls(t *testing.T) []string {
	var codes []string
	for _, c := range composeContainers(t) {
		if c.kind == "hall" {
			codes = append(codes, c.env["TONGBAN_HALL_CODE"])
		}
	}
	slices.Sort(codes)
	if len(codes) < 2 {
		t.Fatalf("compose runs halls %v, want at least two", codes)
	}
	return codes
}

// strimziPartitions is the partition count of the KafkaTopics (they all share one, as
// bus.DefaultTopics gives them).
func strimziPartitions(t *testing.T) int {
	for _, d := range ofKind(k8sDocs(t), "KafkaTopic") {
		if n, ok := dig(d.body, "spec", "partitions").(int); ok {
			return n
		}
	}
	t.Fatal("no KafkaTopic with partitions")
	return 0
}

// TestStrimziTopics checks the KafkaTopics are exactly bus.DefaultTopics of the halls
// deployed, with replication factor 3 and the configs the code asks for
// (min.insync.replicas 2, retention, cleanup policy), on the one Kafka cluster.
func TestStrimziTopics(t *testing.T) {
	docs := k8sDocs(t)
	kafkas := ofKind(docs, "Kafka")
	if len(kafkas) != 1 {
		t.Fatalf("want one Kafka resource, have %d", len(kafkas))
	}
	cluster := str(dig(kafkas[0].body, "metadata", "name"))
	partitions := strimziPartitions(t)
	want := map[string]bus.TopicSpec{}
	for _, s := range bus.DefaultTopics(k8sHalls(t), partitions, 3) {
		want[s.Name] = s
	}
	have := map[string]bool{}
	for _, d := range ofKind(docs, "KafkaTopic") {
		name := str(dig(d.body, "spec", "topicName"))
		if name == "" {
			name = str(dig(d.body, "metadata", "name"))
		}
		have[name] = true
		if got := str(dig(d.body, "metadata", "labels", "strimzi.io/cluster")); got != cluster {
			t.Errorf("%s: strimzi.io/cluster %q, want %q", d, got, cluster)
		}
		spec, ok := want[name]
		if !ok {
			t.Errorf("%s: topic %s is not one Tongban uses", d, name)
			continue
		}
		if got := str(dig(d.body, "spec", "partitions")); got != strconv.Itoa(spec.Partitions) {
			t.Errorf("%s: %s partitions, want %d like every other topic", d, got, spec.Partitions)
		}
		if got := str(dig(d.body, "spec", "replicas")); got != strconv.Itoa(spec.ReplicationFactor) {
			t.Errorf("%s: replicas %s, want %d", d, got, spec.ReplicationFactor)
		}
		for k, v := range spec.Configs {
			if got := str(dig(d.body, "spec", "config", k)); got != v {
				t.Errorf("%s: config %s=%q, want %q", d, k, got, v)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if !have[name] {
			t.Errorf("no KafkaTopic for %s", name)
		}
	}
}

// TestStrimziUsersAndClients checks the KafkaUsers' ACLs (checkACLs) and that every
// node logs in as the user meant for it, with that user's Secret, on the SCRAM
// listener of the cluster, with TLS when the listener has it.
func TestStrimziUsersAndClients(t *testing.T) {
	docs := k8sDocs(t)
	var acls []acl
	users := map[string]bool{}
	for _, d := range ofKind(docs, "KafkaUser") {
		user := str(dig(d.body, "metadata", "name"))
		users[user] = true
		if got := str(dig(d.body, "spec", "authentication", "type")); got != "scram-sha-512" {
			t.Errorf("%s: authentication %q, want scram-sha-512", d, got)
		}
		for _, a := range list(dig(d.body, "spec", "authorization", "acls")) {
			pattern := str(dig(a, "resource", "patternType"))
			if pattern == "" {
				pattern = "literal"
			}
			acls = append(acls, acl{user: user, kind: str(dig(a, "resource", "type")), name: str(dig(a, "resource", "name")),
				pattern: pattern, ops: strs(dig(a, "operations"))})
		}
	}
	checkACLs(t, "Strimzi KafkaUsers", acls, k8sHalls(t))

	kafka := ofKind(docs, "Kafka")[0].body
	if got := str(dig(kafka, "spec", "kafka", "authorization", "type")); got != "simple" {
		t.Errorf("Kafka: authorization %q, want simple (ACLs are not enforced otherwise)", got)
	}
	var bootstrap string
	var tls bool
	for _, l := range list(dig(kafka, "spec", "kafka", "listeners")) {
		if str(dig(l, "authentication", "type")) == "scram-sha-512" {
			bootstrap = str(dig(kafka, "metadata", "name")) + "-kafka-bootstrap:" + str(dig(l, "port"))
			tls = str(dig(l, "tls")) == "true"
		}
	}
	if bootstrap == "" {
		t.Fatal("Kafka: no listener with scram-sha-512 authentication")
	}
	caSecret := str(dig(kafka, "metadata", "name")) + "-cluster-ca-cert"
	for _, c := range k8sContainers(t) {
		if c.kind == "courier-sim" {
			continue
		}
		user := c.env["TONGBAN_KAFKA_SASL_USER"]
		want := "settlement"
		if c.kind == "hall" {
			want = "hall-" + c.env["TONGBAN_HALL_CODE"]
		}
		if user != want || !users[user] {
			t.Errorf("%s: Kafka user %q, want %q with a KafkaUser", c.where, user, want)
		}
		if got := c.env["TONGBAN_KAFKA_SASL_MECHANISM"]; got != "SCRAM-SHA-512" {
			t.Errorf("%s: SASL mechanism %q, want SCRAM-SHA-512", c.where, got)
		}
		if got := c.env["TONGBAN_KAFKA_BROKERS"]; got != bootstrap {
			t.Errorf("%s: brokers %q, want %q", c.where, got, bootstrap)
		}
		if tls && (c.env["TONGBAN_KAFKA_TLS"] != "true" || c.env["TONGBAN_KAFKA_TLS_CA_FILE"] == "") {
			t.Errorf("%s: the listener uses TLS; set TONGBAN_KAFKA_TLS=true and TONGBAN_KAFKA_TLS_CA_FILE", c.where)
		}
		secrets := podSecrets(c.pod)
		if !slices.Contains(secrets, user) {
			t.Errorf("%s: mounts secrets %v, not the User Operator's secret %s", c.where, secrets, user)
		}
		if tls && !slices.Contains(secrets, caSecret) {
			t.Errorf("%s: mounts secrets %v, not the cluster CA %s", c.where, secrets, caSecret)
		}
	}
}

// podSecrets lists the Secrets a pod's volumes read.
func podSecrets(pod map[string]any) []string {
	var out []string
	for _, v := range list(pod["volumes"]) {
		if n := str(dig(v, "secret", "secretName")); n != "" {
			out = append(out, n)
		}
		for _, s := range list(dig(v, "projected", "sources")) {
			if n := str(dig(s, "secret", "name")); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// TestComposeProvision checks the one-shot provision service creates the topics of the
// halls compose runs, with replication factor 3 and the partition count the Kubernetes
// topics have.
func TestComposeProvision(t *testing.T) {
	var found bool
	for _, c := range composeContainers(t) {
		if c.kind != "provision" {
			continue
		}
		found = true
		fs := flag.NewFlagSet("provision", flag.ContinueOnError)
		halls := fs.String("halls", "", "")
		partitions := fs.Int("partitions", 0, "")
		rf := fs.Int("replication-factor", 0, "")
		if err := fs.Parse(c.args); err != nil {
			t.Fatalf("%s: %v", c.where, err)
		}
		if got, want := sorted(strings.Split(*halls, ",")...), composeHalls(t); !slices.Equal(got, want) {
			t.Errorf("%s: -halls %v, compose runs halls %v", c.where, got, want)
		}
		if *rf != 3 {
			t.Errorf("%s: -replication-factor %d, want 3", c.where, *rf)
		}
		if want := strimziPartitions(t); *partitions != want {
			t.Errorf("%s: -partitions %d, the KafkaTopics have %d", c.where, *partitions, want)
		}
		specs := bus.DefaultTopics(strings.Split(*halls, ","), *partitions, *rf)
		if got := specs[0].Configs["min.insync.replicas"]; got != "2" {
			t.Errorf("%s: topics get min.insync.replicas %s, want 2", c.where, got)
		}
	}
	if !found {
		t.Error("compose has no provision service")
	}
}

// composeService returns one compose service by name.
func composeService(t *testing.T, name string) map[string]any {
	s := mapping(dig(composeFile(t), "services", name))
	if s == nil {
		t.Fatalf("compose has no service %s", name)
	}
	return s
}

// serviceEnv resolves a compose service's environment to its defaults.
func serviceEnv(s map[string]any) []string {
	var env []string
	for k, v := range mapping(s["environment"]) {
		val, _ := interpolate(str(v))
		env = append(env, k+"="+val)
	}
	return env
}

func needShell(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run the compose scripts with")
	}
}

// TestComposeACLs runs kafka/kafka-acls.sh in dry-run mode with the environment the
// compose service gives it and checks the ACLs it would create.
func TestComposeACLs(t *testing.T) {
	needShell(t)
	svc := composeService(t, "kafka-acls")
	cmd := exec.Command("sh", filepath.Join("compose", "kafka", "kafka-acls.sh"))
	cmd.Env = append(serviceEnv(svc), "DRY_RUN=1", "PATH="+os.Getenv("PATH"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kafka-acls.sh: %v", err)
	}
	var acls []acl
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		a := acl{pattern: "literal"}
		for i := 1; i+1 < len(f); i++ {
			switch f[i] {
			case "--allow-principal":
				a.user = strings.TrimPrefix(f[i+1], "User:")
			case "--resource-pattern-type":
				a.pattern = f[i+1]
			case "--topic", "--group":
				a.kind, a.name = strings.TrimPrefix(f[i], "--"), f[i+1]
			case "--operation":
				a.ops = append(a.ops, f[i+1])
			}
		}
		acls = append(acls, a)
	}
	halls := strings.Fields(mapping(svc["environment"])["HALLS"].(string))
	slices.Sort(halls)
	if want := composeHalls(t); !slices.Equal(halls, want) {
		t.Errorf("kafka-acls HALLS=%v, compose runs halls %v", halls, want)
	}
	checkACLs(t, "compose kafka-acls.sh", acls, composeHalls(t))
}

// TestComposeKafkaNode runs kafka/kafka-node.sh in dry-run mode as compose starts
// kafka-1 and checks the broker settings and that every Tongban node's Kafka user is
// created at format time, with the password from the very secret file the node reads.
func TestComposeKafkaNode(t *testing.T) {
	needShell(t)
	svc := composeService(t, "kafka-1")
	dir := t.TempDir()
	for _, s := range strs(svc["secrets"]) {
		// Each stand-in password is its own file name, so the output shows which file
		// each user's password came from.
		if err := os.WriteFile(filepath.Join(dir, s), []byte(s+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sh", filepath.Join("compose", "kafka", "kafka-node.sh"))
	cmd.Env = append(serviceEnv(svc), "DRY_RUN=1", "SECRETS_DIR="+dir, "WORK_DIR="+filepath.Join(dir, "work"),
		"CLUSTER_ID=AAAAAAAAAAAAAAAAAAAAAA", "PATH="+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kafka-node.sh: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"process.roles=broker,controller", "node.id=1", "min.insync.replicas=2", "default.replication.factor=3",
		"auto.create.topics.enable=false", "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
		"listener.name.broker.sasl.enabled.mechanisms=SCRAM-SHA-512", "allow.everyone.if.no.acl.found=false",
		"authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("kafka-node.sh: the broker settings lack %s", want)
		}
	}
	for _, c := range composeContainers(t) {
		user := c.env["TONGBAN_KAFKA_SASL_USER"]
		if user == "" {
			continue
		}
		if got := c.env["TONGBAN_KAFKA_SASL_MECHANISM"]; got != "SCRAM-SHA-512" {
			t.Errorf("%s: SASL mechanism %q, the brokers offer SCRAM-SHA-512", c.where, got)
		}
		file := filepath.Base(c.env["TONGBAN_KAFKA_SASL_PASSWORD_FILE"])
		want := "SCRAM-SHA-512=[name=" + user + ",password=" + file + "]"
		if !strings.Contains(text, "--add-scram\n"+want+"\n") {
			t.Errorf("%s: Kafka user %s with the password of %s is not created at format time", c.where, user, file)
		}
		if !slices.Contains(strs(svc["secrets"]), file) {
			t.Errorf("%s: the Kafka nodes do not get secret %s", c.where, file)
		}
		var brokers []string
		for _, b := range strings.Split(c.env["TONGBAN_KAFKA_BROKERS"], ",") {
			host, _, _ := strings.Cut(b, ":")
			brokers = append(brokers, host)
			if !strings.HasSuffix(b, ":9092") || dig(composeFile(t), "services", host) == nil {
				t.Errorf("%s: broker %s is not a compose Kafka node's SCRAM listener", c.where, b)
			}
		}
		if len(brokers) < 3 {
			t.Errorf("%s: brokers %v; list all three so start-up survives one being down", c.where, brokers)
		}
	}
}
