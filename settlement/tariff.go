package settlement

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Tariff is one version of a contract's prices for a carrier, a product ("" = every
// product) and an account ("" = every account), valid from EffectiveFrom up to but not
// including EffectiveTo (China dates). Prices are data, not code: a new contract is a
// new version, and old waybills keep being priced by the version in force when they
// were created.
type Tariff struct {
	ID            int64      `json:"id"`
	Carrier       string     `json:"carrier"`
	Product       string     `json:"product"`
	Account       string     `json:"account"`
	Version       int        `json:"version"`
	EffectiveFrom string     `json:"effective_from"`         // 2006-01-02
	EffectiveTo   string     `json:"effective_to,omitempty"` // exclusive; empty = open
	Body          TariffBody `json:"body"`
	CreatedBy     string     `json:"created_by,omitempty"`
	CreatedAt     time.Time  `json:"created_at,omitzero"`
}

// TariffBody holds the prices.
type TariffBody struct {
	// VolumetricDivisor is cm³ per kg as contracts state it (6000, 8000, 12000);
	// numerically it is also mm³ per gram, which is how it is applied.
	VolumetricDivisor int64 `json:"volumetric_divisor"`
	// FirstWeightG is the first-weight band; above it weight rounds up to RoundingUnitG.
	FirstWeightG  int64 `json:"first_weight_g"`
	RoundingUnitG int64 `json:"rounding_unit_g"`
	// Zones prices each zone; ZoneRules decide the zone, first match wins.
	Zones      map[string]ZonePrice `json:"zones"`
	ZoneRules  []ZoneRule           `json:"zone_rules"`
	Surcharges Surcharges           `json:"surcharges"`
	Discounts  []Discount           `json:"discounts,omitempty"`
}

// ZonePrice is the first-weight price and the price of each additional unit.
type ZonePrice struct {
	FirstFen      int64 `json:"first_fen"`
	AdditionalFen int64 `json:"additional_fen"`
}

// ZoneRule maps an origin → destination to a zone. From and To are two-digit province
// codes or "*"; Same, when set, requires both ends in the same "city" (first four
// digits of county-level codes) or "province". Together the rules form the zone
// matrix by origin and destination province.
type ZoneRule struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	Same string `json:"same,omitempty"`
	Zone string `json:"zone"`
}

// Surcharges are added to the freight.
type Surcharges struct {
	InsuranceBP       int64            `json:"insurance_bp"` // of the declared value, basis points
	InsuranceMinFen   int64            `json:"insurance_min_fen"`
	InsuranceRounding Rounding         `json:"insurance_rounding"`
	ReturnReceiptFen  int64            `json:"return_receipt_fen"`
	PackagingFen      int64            `json:"packaging_fen"`
	RemoteAreaFen     map[string]int64 `json:"remote_area_fen,omitempty"` // by destination province code
}

// Discount takes a share off the freight, for every zone or one.
type Discount struct {
	Name     string   `json:"name"`
	BP       int64    `json:"bp"`
	Zone     string   `json:"zone,omitempty"`
	Rounding Rounding `json:"rounding"`
}

// Validate checks a tariff and names the first bad field.
func (t *Tariff) Validate() error {
	if !carrierCode(t.Carrier) {
		return fieldErr("carrier", "承运商代码无效", "carrier must be a lower-case code such as sf")
	}
	if t.Version < 1 {
		return fieldErr("version", "版本号须为正整数", "version must be a positive whole number")
	}
	from, err := time.Parse("2006-01-02", t.EffectiveFrom)
	if err != nil {
		return fieldErr("effective_from", "生效日期格式应为 YYYY-MM-DD", "effective_from must be a date like 2025-01-01")
	}
	if t.EffectiveTo != "" {
		to, err := time.Parse("2006-01-02", t.EffectiveTo)
		if err != nil || !to.After(from) {
			return fieldErr("effective_to", "失效日期须晚于生效日期", "effective_to must be a date after effective_from")
		}
	}
	b := &t.Body
	switch {
	case b.VolumetricDivisor <= 0:
		return fieldErr("body.volumetric_divisor", "抛比须为正整数", "volumetric_divisor must be positive")
	case b.FirstWeightG <= 0:
		return fieldErr("body.first_weight_g", "首重须为正整数（克）", "first_weight_g must be positive")
	case b.RoundingUnitG <= 0:
		return fieldErr("body.rounding_unit_g", "续重单位须为正整数（克）", "rounding_unit_g must be positive")
	case len(b.Zones) == 0 || len(b.ZoneRules) == 0:
		return fieldErr("body.zones", "须定义分区价格和分区规则", "zones and zone_rules are required")
	}
	for name, z := range b.Zones {
		if z.FirstFen < 0 || z.AdditionalFen < 0 {
			return fieldErr("body.zones."+name, "价格不能为负", "prices must not be negative")
		}
	}
	for i, r := range b.ZoneRules {
		f := fmt.Sprintf("body.zone_rules[%d]", i)
		if _, ok := b.Zones[r.Zone]; !ok {
			return fieldErr(f+".zone", "分区规则指向未定义的分区", "zone rule names a zone that has no prices")
		}
		if !provinceOrAny(r.From) || !provinceOrAny(r.To) || (r.Same != "" && r.Same != "city" && r.Same != "province") {
			return fieldErr(f, "from/to 须为两位省份代码或 *，same 须为 city 或 province", "from/to must be two-digit province codes or *, same city or province")
		}
	}
	s := b.Surcharges
	if s.InsuranceBP < 0 || s.InsuranceBP > 10000 || s.InsuranceMinFen < 0 || s.ReturnReceiptFen < 0 || s.PackagingFen < 0 {
		return fieldErr("body.surcharges", "附加费不能为负，保价费率不超过 100%", "surcharges must not be negative and insurance at most 100%")
	}
	if s.InsuranceBP > 0 && !s.InsuranceRounding.valid() {
		return fieldErr("body.surcharges.insurance_rounding", "须为 up、down 或 half_up", "must be up, down or half_up")
	}
	for p, fen := range s.RemoteAreaFen {
		if len(p) != 2 || !allDigits(p) || fen < 0 {
			return fieldErr("body.surcharges.remote_area_fen", "偏远附加费按两位省份代码设置且不能为负", "remote_area_fen keys are two-digit province codes, values not negative")
		}
	}
	for i, d := range b.Discounts {
		if d.BP < 0 || d.BP > 10000 || !d.Rounding.valid() {
			return fieldErr(fmt.Sprintf("body.discounts[%d]", i), "折扣须在 0–10000 基点之间并注明舍入方式", "discount bp must be 0..10000 with a rounding mode")
		}
	}
	return nil
}

func provinceOrAny(s string) bool { return s == "" || s == "*" || (len(s) == 2 && allDigits(s)) }

// appliesOn reports whether the tariff is in force on day (2006-01-02).
func (t *Tariff) appliesOn(day []byte) bool {
	return t.EffectiveFrom <= string(day) && (t.EffectiveTo == "" || string(day) < t.EffectiveTo)
}

// tariffSet picks the tariff for a waybill: the most specific (product, then
// account) in force at its creation, highest version first.
type tariffSet []*Tariff

func (ts tariffSet) pick(carrier, product, account string, at time.Time) *Tariff {
	var buf [16]byte
	day := at.In(shanghai).AppendFormat(buf[:0], "2006-01-02") // once, not once a tariff: reconciliation picks a million times
	var best *Tariff
	rank := func(t *Tariff) [3]int {
		r := [3]int{0, 0, t.Version}
		if t.Product != "" {
			r[0] = 1
		}
		if t.Account != "" {
			r[1] = 1
		}
		return r
	}
	for _, t := range ts {
		if t.Carrier != carrier || (t.Product != "" && t.Product != product) || (t.Account != "" && t.Account != account) || !t.appliesOn(day) {
			continue
		}
		if best == nil || less(rank(best), rank(t)) {
			best = t
		}
	}
	return best
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// CreateTariff stores a new tariff version.
func (n *Node) CreateTariff(ctx context.Context, actor string, t Tariff) (Tariff, error) {
	if err := t.Validate(); err != nil {
		return Tariff{}, err
	}
	body, _ := json.Marshal(t.Body)
	t.CreatedBy, t.CreatedAt = actor, n.now()
	err := pgx.BeginFunc(ctx, n.db, func(tx pgx.Tx) error {
		var to any
		if t.EffectiveTo != "" {
			to = t.EffectiveTo
		}
		err := tx.QueryRow(ctx, `INSERT INTO tariff (carrier, product, account, version, effective_from, effective_to, body, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			t.Carrier, t.Product, t.Account, t.Version, t.EffectiveFrom, to, body, actor, t.CreatedAt).Scan(&t.ID)
		if err != nil {
			return err
		}
		return n.audit(ctx, tx, actor, "tariff.create", fmt.Sprintf("tariff:%d", t.ID),
			map[string]any{"carrier": t.Carrier, "product": t.Product, "account": t.Account, "version": t.Version, "effective_from": t.EffectiveFrom})
	})
	if err != nil {
		return Tariff{}, fmt.Errorf("settlement: create tariff: %w", err)
	}
	return t, nil
}

// Tariffs lists the tariffs of a carrier ("" for all), oldest first.
func (n *Node) Tariffs(ctx context.Context, carrier string) ([]Tariff, error) {
	ts, err := loadTariffs(ctx, n.db, carrier)
	if err != nil {
		return nil, fmt.Errorf("settlement: list tariffs: %w", err)
	}
	out := make([]Tariff, len(ts))
	for i, t := range ts {
		out[i] = *t
	}
	return out, nil
}

// Tariff returns one tariff.
func (n *Node) Tariff(ctx context.Context, id int64) (Tariff, error) {
	ts, err := loadTariffs(ctx, n.db, "")
	if err != nil {
		return Tariff{}, fmt.Errorf("settlement: tariff: %w", err)
	}
	for _, t := range ts {
		if t.ID == id {
			return *t, nil
		}
	}
	return Tariff{}, ErrNotFound
}

func loadTariffs(ctx context.Context, db querier, carrier string) (tariffSet, error) {
	rows, err := db.Query(ctx, `SELECT id, carrier, product, account, version, to_char(effective_from, 'YYYY-MM-DD'),
		coalesce(to_char(effective_to, 'YYYY-MM-DD'), ''), body, created_by, created_at
		FROM tariff WHERE $1 = '' OR carrier = $1 ORDER BY id`, carrier)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out tariffSet
	for rows.Next() {
		t := &Tariff{}
		var body []byte
		if err := rows.Scan(&t.ID, &t.Carrier, &t.Product, &t.Account, &t.Version, &t.EffectiveFrom, &t.EffectiveTo, &body, &t.CreatedBy, &t.CreatedAt); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(body, &t.Body); err != nil {
			return nil, fmt.Errorf("tariff %d body: %w", t.ID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// zoneOf resolves the zone of origin → destination division codes.
func (b *TariffBody) zoneOf(origin, dest string) (string, int, error) {
	op, dp := origin[:2], dest[:2]
	for i, r := range b.ZoneRules {
		if r.From != "" && r.From != "*" && r.From != op || r.To != "" && r.To != "*" && r.To != dp {
			continue
		}
		switch r.Same {
		case "city":
			if !sameCity(origin, dest) {
				continue
			}
		case "province":
			if op != dp {
				continue
			}
		}
		return r.Zone, i, nil
	}
	return "", -1, errors.New("no zone rule matches " + op + "→" + dp)
}

// sameCity compares prefectures (first four digits). A province-only code (xx0000)
// names no prefecture and is never "the same city".
func sameCity(a, b string) bool {
	return a[:4] == b[:4] && !strings.HasSuffix(a, "0000") && !strings.HasSuffix(b, "0000")
}

func ruleText(r ZoneRule) string {
	var parts []string
	if r.From != "" {
		parts = append(parts, "from "+r.From)
	}
	if r.To != "" {
		parts = append(parts, "to "+r.To)
	}
	if r.Same != "" {
		parts = append(parts, "same "+r.Same)
	}
	parts = append(parts, "→ "+r.Zone)
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
