// Package config holds one struct per node. Every field carries its environment
// variable, its flag, its default and its help text in struct tags, so the flags, the
// environment, the printed effective config and the README table come from one place.
package config

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Secret is a string that never prints: String, JSON and slog all show it masked.
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "****"
}

// MarshalJSON keeps secrets out of any JSON dump of a config.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Reveal returns the secret itself, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// Field describes one setting, for documentation and the printout.
type Field struct {
	Env, Flag, Default, Help string
	Secret                   bool
	value                    reflect.Value
}

// Fields walks cfg (a pointer to a struct) and lists its settings in declaration order.
// Nested structs are walked; their fields keep their own tags.
func Fields(cfg any) []Field {
	var out []Field
	walk(reflect.ValueOf(cfg).Elem(), &out)
	return out
}

func walk(v reflect.Value, out *[]Field) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf, fv := t.Field(i), v.Field(i)
		if sf.Type.Kind() == reflect.Struct && sf.Type != reflect.TypeOf(time.Duration(0)) {
			walk(fv, out)
			continue
		}
		env := sf.Tag.Get("env")
		if env == "" {
			continue
		}
		*out = append(*out, Field{Env: env, Flag: sf.Tag.Get("flag"), Default: sf.Tag.Get("default"),
			Help: sf.Tag.Get("help"), Secret: sf.Type == reflect.TypeOf(Secret("")), value: fv})
	}
}

// Load fills cfg from defaults, then the environment, then flags in args (flags win).
// It returns the remaining positional arguments.
func Load(cfg any, name string, args []string) ([]string, error) {
	return LoadFlags(cfg, flag.NewFlagSet(name, flag.ContinueOnError), args)
}

// LoadFlags is Load on a flag set that may already hold a command's own flags, so
// they and the configuration's can be given in any order.
func LoadFlags(cfg any, fs *flag.FlagSet, args []string) ([]string, error) {
	fields := Fields(cfg)
	for _, f := range fields {
		if err := set(f.value, f.Default); err != nil {
			return nil, fmt.Errorf("config: default of %s: %w", f.Env, err)
		}
		if v, ok := os.LookupEnv(f.Env); ok {
			if err := set(f.value, v); err != nil {
				return nil, &Problem{Env: f.Env, Value: v, Accepted: err.Error()}
			}
		}
		// <ENV>_FILE lets a deployment mount secrets as files instead of env values.
		if p, ok := os.LookupEnv(f.Env + "_FILE"); ok && f.Secret {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("config: %s_FILE: %w", f.Env, err)
			}
			f.value.SetString(strings.TrimSpace(string(b)))
		}
	}
	for _, f := range fields {
		if f.Flag == "" {
			continue
		}
		f := f
		fs.Func(f.Flag, f.Help+" (env "+f.Env+", default "+quoteEmpty(f.Default)+")", func(s string) error { return set(f.value, s) })
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}

func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

func set(v reflect.Value, s string) error {
	switch {
	case v.Type() == reflect.TypeOf(time.Duration(0)):
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("not a duration like 30s or 5m")
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("not a boolean (true or false)")
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("not a whole number")
		}
		v.SetInt(n)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		var parts []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		v.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("unsupported setting type %s", v.Type())
	}
	return nil
}

// Effective renders the settings as "ENV=value" lines, secrets masked, for the log at start.
func Effective(cfg any) map[string]string {
	out := map[string]string{}
	for _, f := range Fields(cfg) {
		val := fmt.Sprint(f.value.Interface())
		switch {
		case strings.HasSuffix(f.Env, "DATABASE_URL"):
			// Operators need to see which server; only the password is hidden.
			val = redactURL(f.value.String())
		case f.Secret:
			val = Secret(f.value.String()).String()
		}
		out[f.Env] = val
	}
	return out
}

// Markdown renders the settings as a table for the README.
func Markdown(cfgs ...any) string {
	var b strings.Builder
	b.WriteString("| environment | flag | default | meaning |\n|---|---|---|---|\n")
	seen := map[string]bool{}
	for _, c := range cfgs {
		fields := Fields(c)
		sort.SliceStable(fields, func(i, j int) bool { return false })
		for _, f := range fields {
			if seen[f.Env] {
				continue
			}
			seen[f.Env] = true
			flagName := ""
			if f.Flag != "" {
				flagName = "`-" + f.Flag + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", f.Env, flagName, f.Default, f.Help)
		}
	}
	return b.String()
}

// redactURL hides a password in a URL-shaped DSN.
func redactURL(s string) string {
	at := strings.LastIndex(s, "@")
	scheme := strings.Index(s, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return s
	}
	userinfo := s[scheme+3 : at]
	if user, _, ok := strings.Cut(userinfo, ":"); ok {
		return s[:scheme+3] + user + ":****" + s[at:]
	}
	return s
}
