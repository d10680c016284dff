package courier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/pg"
)

// The chain of custody puts the halls' own steps with a parcel (sealed with a seal
// number, handed to the courier, signed for and checked against the manifest) beside
// what the courier reported, in one append-only list per parcel. Each link's hash
// covers the previous link's hash and the link's exact body, so changing, inserting
// or removing a link breaks every hash after it and Verify names where.

// Kinds of custody links written by the halls; courier events are "courier:<status>".
const (
	LinkPackaged        = "packaged"
	LinkHandedToCourier = "handed_to_courier"
	LinkOrderPlaced     = "order_placed"
	LinkSignedFor       = "signed_for"
	LinkVoided          = "voided"
	LinkIncident        = "incident"
)

// CourierLink is the link kind of a courier event.
func CourierLink(s Status) string { return "courier:" + string(s) }

// Link is one step in a parcel's custody.
type Link struct {
	Seq    int            `json:"seq"`
	At     time.Time      `json:"at"`
	Kind   string         `json:"kind"`
	Hall   string         `json:"hall"`  // division code of the hall that wrote the link
	Actor  string         `json:"actor"` // staff member, "courier:sf", or the partner hall
	Detail map[string]any `json:"detail,omitempty"`
}

// StoredLink is a link with its body and hashes as kept.
type StoredLink struct {
	Link
	Body     []byte `json:"-"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// linkBody is the canonical form hashed: encoding/json writes struct fields in order
// and map keys sorted, and the time is UTC at microsecond precision (what PostgreSQL
// keeps), so the same link always has the same bytes.
func linkBody(parcelID uuid.UUID, l Link) ([]byte, error) {
	l.At = l.At.UTC().Truncate(time.Microsecond)
	if b, ok := appendLinkBody(make([]byte, 0, 256), parcelID, l); ok {
		return b, nil
	}
	return marshalLinkBody(parcelID, l)
}

// marshalLinkBody is the canonical form as encoding/json writes it.
func marshalLinkBody(parcelID uuid.UUID, l Link) ([]byte, error) {
	return json.Marshal(struct {
		Parcel string `json:"parcel"`
		Link
	}{parcelID.String(), l})
}

// appendLinkBody writes, without reflection, the bytes json.Marshal gives linkBody for
// the links ingestion writes by the thousand: every string plain (nothing encoding/json
// escapes) and every detail a string. It reports false for any other link, which
// json.Marshal then encodes; TestLinkBodyIsWhatJSONWrites holds the two together.
func appendLinkBody(b []byte, parcelID uuid.UUID, l Link) ([]byte, bool) {
	if y := l.At.Year(); y < 0 || y > 9999 || !plainJSON(l.Kind) || !plainJSON(l.Hall) || !plainJSON(l.Actor) {
		return nil, false
	}
	keys := make([]string, 0, len(l.Detail))
	for k, v := range l.Detail {
		if s, ok := v.(string); !ok || !plainJSON(k) || !plainJSON(s) {
			return nil, false
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, `{"parcel":"`...)
	b = append(b, parcelID.String()...)
	b = append(b, `","seq":`...)
	b = strconv.AppendInt(b, int64(l.Seq), 10)
	b = append(b, `,"at":"`...)
	b = l.At.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","kind":"`...)
	b = append(b, l.Kind...)
	b = append(b, `","hall":"`...)
	b = append(b, l.Hall...)
	b = append(b, `","actor":"`...)
	b = append(b, l.Actor...)
	b = append(b, '"')
	if len(keys) > 0 {
		b = append(b, `,"detail":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, k...)
			b = append(b, `":"`...)
			b = append(b, l.Detail[k].(string)...)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	return append(b, '}'), true
}

// plainJSON reports whether encoding/json writes s as it is, between quotes: valid
// UTF-8 with no control character, quote, backslash, HTML character (<, >, &) or
// line or paragraph separator, which it escapes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size
	}
	return true
}

// LinkHash is hex SHA-256 over the previous hash and the body.
func LinkHash(prev string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// chainHead is where the next link of a parcel attaches.
type chainHead struct {
	Seq  int
	Hash string
}

// chainLinks builds the rows for links appended after head, and the new head.
func chainLinks(parcelID uuid.UUID, head chainHead, links []Link) ([]StoredLink, chainHead, error) {
	out := make([]StoredLink, 0, len(links))
	for _, l := range links {
		head.Seq++
		l.Seq = head.Seq
		l.At = l.At.UTC().Truncate(time.Microsecond)
		body, err := linkBody(parcelID, l)
		if err != nil {
			return nil, head, fmt.Errorf("courier: custody link: %w", err)
		}
		h := LinkHash(head.Hash, body)
		out = append(out, StoredLink{Link: l, Body: body, PrevHash: head.Hash, Hash: h})
		head.Hash = h
	}
	return out, head, nil
}

// AppendCustody appends links to a parcel's chain inside tx, locking the parcel so
// two writers cannot fork the chain.
func AppendCustody(ctx context.Context, tx pgx.Tx, parcelID uuid.UUID, links ...Link) error {
	var head chainHead
	err := tx.QueryRow(ctx, `SELECT custody_seq, custody_hash FROM parcels WHERE id = $1 FOR UPDATE`, parcelID).Scan(&head.Seq, &head.Hash)
	if err != nil {
		return fmt.Errorf("courier: append custody: %w", err)
	}
	rows, head, err := chainLinks(parcelID, head, links)
	if err != nil {
		return err
	}
	var w pg.Writes
	insertLinks(&w, map[uuid.UUID][]StoredLink{parcelID: rows})
	w.Add("courier: append custody", `UPDATE parcels SET custody_seq = $2, custody_hash = $3 WHERE id = $1`, parcelID, head.Seq, head.Hash)
	return w.Send(ctx, tx)
}

// insertLinks writes links of several parcels in one statement.
func insertLinks(w *pg.Writes, links map[uuid.UUID][]StoredLink) {
	var ids []uuid.UUID
	var seqs []int32
	var ats []time.Time
	var kinds, prevs, hashes []string
	var bodies [][]byte
	for id, ls := range links {
		for _, l := range ls {
			ids = append(ids, id)
			seqs = append(seqs, int32(l.Seq))
			ats = append(ats, l.At)
			kinds = append(kinds, l.Kind)
			bodies = append(bodies, l.Body)
			prevs = append(prevs, l.PrevHash)
			hashes = append(hashes, l.Hash)
		}
	}
	if len(ids) == 0 {
		return
	}
	w.Add("courier: custody links", `INSERT INTO custody_links (parcel_id, seq, at, kind, body, prev_hash, hash)
		SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[], $5::bytea[], $6::text[], $7::text[])`,
		pg.UUIDs(ids), seqs, ats, kinds, bodies, prevs, hashes)
}

// Custody reads a parcel's chain in order: the halls' steps from custody_links and
// the courier's events, which carry their links themselves, from parcel_events
// (through the parcel's waybill, the leading column of the events' key; a parcel's
// waybill never changes once set).
func Custody(ctx context.Context, db DB, parcelID uuid.UUID) ([]StoredLink, error) {
	rows, err := db.Query(ctx, `SELECT seq, at, kind, body, prev_hash, hash FROM custody_links WHERE parcel_id = $1
		UNION ALL
		SELECT e.seq, e.at, $2 || e.status, e.body, e.prev_hash, e.hash
		FROM parcels p JOIN parcel_events e ON e.waybill = p.waybill AND e.parcel_id = p.id
		WHERE p.id = $1 AND e.seq IS NOT NULL
		ORDER BY seq`, parcelID, CourierLink(""))
	if err != nil {
		return nil, fmt.Errorf("courier: custody: %w", err)
	}
	defer rows.Close()
	out := []StoredLink{}
	for rows.Next() {
		var l StoredLink
		if err := rows.Scan(&l.Seq, &l.At, &l.Kind, &l.Body, &l.PrevHash, &l.Hash); err != nil {
			return nil, err
		}
		// What is shown is what was hashed; the columns beside it are for queries.
		var b struct{ Link }
		if json.Unmarshal(l.Body, &b) == nil {
			l.Actor, l.Hall, l.Detail = b.Actor, b.Hall, b.Detail
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Verification is the outcome of checking a chain.
type Verification struct {
	OK    bool   `json:"ok"`
	Links int    `json:"links"`
	Head  string `json:"head,omitempty"` // hash of the last link
	// BrokenAt is the seq of the first link that does not hold, 0 when OK.
	BrokenAt int    `json:"broken_at,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// VerifyChain checks every link of a parcel's chain: numbering without gaps, each
// link pointing at its predecessor's hash, each hash matching its body, and the body
// naming the parcel, the seq and the kind stored beside it. expectHead, when not
// empty, is the head the parcel row remembers, which catches links cut off the end.
func VerifyChain(parcelID uuid.UUID, links []StoredLink, expectHead string) Verification {
	v := Verification{OK: true, Links: len(links)}
	fail := func(seq int, why string) Verification {
		return Verification{Links: len(links), BrokenAt: seq, Reason: why}
	}
	prev := ""
	for i, l := range links {
		if l.Seq != i+1 {
			return fail(i+1, fmt.Sprintf("link %d is missing", i+1))
		}
		if l.PrevHash != prev {
			return fail(l.Seq, "does not point at the previous link's hash")
		}
		if LinkHash(prev, l.Body) != l.Hash {
			return fail(l.Seq, "content does not match its hash")
		}
		var b struct {
			Parcel string `json:"parcel"`
			Link
		}
		if err := json.Unmarshal(l.Body, &b); err != nil || b.Parcel != parcelID.String() || b.Seq != l.Seq || b.Kind != l.Kind {
			return fail(l.Seq, "body does not describe this link")
		}
		prev = l.Hash
	}
	if expectHead != "" && prev != expectHead {
		return fail(len(links)+1, "links after the last one were removed")
	}
	v.Head = prev
	return v
}

// VerifyCustody reads and verifies a parcel's chain against the head its row keeps.
func VerifyCustody(ctx context.Context, db DB, parcelID uuid.UUID) ([]StoredLink, Verification, error) {
	var head string
	if err := db.QueryRow(ctx, `SELECT custody_hash FROM parcels WHERE id = $1`, parcelID).Scan(&head); err != nil {
		if err == pgx.ErrNoRows {
			return nil, Verification{}, ErrNoParcel
		}
		return nil, Verification{}, fmt.Errorf("courier: verify custody: %w", err)
	}
	links, err := Custody(ctx, db, parcelID)
	if err != nil {
		return nil, Verification{}, err
	}
	return links, VerifyChain(parcelID, links, head), nil
}
