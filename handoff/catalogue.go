package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/handoff/catalog"
)

// LoadCatalogue stores a catalogue file's matters. A matter edited through the API
// since is kept: the file only refreshes entries it still owns, and only when the
// file's version differs.
func (n *Node) LoadCatalogue(ctx context.Context, c catalog.Catalogue) (int, error) {
	changed := 0
	err := pgx.BeginFunc(ctx, n.opt.DB, func(tx pgx.Tx) error {
		for _, m := range c.Matters {
			if err := m.Validate(); err != nil {
				return err
			}
			mats, _ := json.Marshal(m.Materials)
			tag, err := tx.Exec(ctx, `INSERT INTO matters (code, name, deciding_city, department, case_type, legal_limit,
				promised_limit, limit_unit, courier, materials, version, catalogue_version)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
				ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, deciding_city = EXCLUDED.deciding_city,
					department = EXCLUDED.department, case_type = EXCLUDED.case_type, legal_limit = EXCLUDED.legal_limit,
					promised_limit = EXCLUDED.promised_limit, limit_unit = EXCLUDED.limit_unit, courier = EXCLUDED.courier,
					materials = EXCLUDED.materials, version = EXCLUDED.version, catalogue_version = EXCLUDED.catalogue_version,
					updated_at = now()
				WHERE matters.updated_by = 'catalogue' AND matters.catalogue_version <> EXCLUDED.catalogue_version`,
				m.Code, m.Name, m.DecidingCity, m.Department, m.CaseType, m.LegalLimit, m.PromisedLimit, m.LimitUnit,
				m.Courier, mats, max(m.Version, 1), c.Version)
			if err != nil {
				return fmt.Errorf("handoff: load matter %s: %w", m.Code, err)
			}
			changed += int(tag.RowsAffected())
		}
		return nil
	})
	return changed, err
}

const matterCols = `code, name, deciding_city, department, case_type, legal_limit, promised_limit, limit_unit, courier, materials, version`

func scanMatter(row pgx.Row) (catalog.Matter, error) {
	var m catalog.Matter
	var mats []byte
	err := row.Scan(&m.Code, &m.Name, &m.DecidingCity, &m.Department, &m.CaseType, &m.LegalLimit, &m.PromisedLimit,
		&m.LimitUnit, &m.Courier, &mats, &m.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return m, ErrNotFound
	}
	if err == nil {
		err = json.Unmarshal(mats, &m.Materials)
	}
	return m, err
}

// Matter returns one matter of the catalogue.
func (n *Node) Matter(ctx context.Context, code string) (catalog.Matter, error) {
	return scanMatter(n.opt.DB.QueryRow(ctx, `SELECT `+matterCols+` FROM matters WHERE code = $1`, code))
}

func (n *Node) listMatters(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	rows, err := n.opt.DB.Query(r.Context(), `SELECT `+matterCols+` FROM matters
		WHERE $1 = '' OR name ILIKE '%' || $1 || '%' OR code = $1 OR department ILIKE '%' || $1 || '%' ORDER BY name`, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := []catalog.Matter{}
	for rows.Next() {
		m, err := scanMatter(rows)
		if err != nil {
			return err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"matters": out})
}

func (n *Node) getMatter(w http.ResponseWriter, r *http.Request) error {
	m, err := n.Matter(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

// putMatter creates or replaces a matter; its version goes up by one on every edit.
func (n *Node) putMatter(w http.ResponseWriter, r *http.Request) error {
	var m catalog.Matter
	if err := decodeBody(r, &m); err != nil {
		return err
	}
	if m.Code != r.PathValue("code") {
		return fieldErr("code", "事项编码与地址不一致", "code does not match the URL")
	}
	if err := m.Validate(); err != nil {
		return err
	}
	mats, _ := json.Marshal(m.Materials)
	err := n.opt.DB.QueryRow(r.Context(), `INSERT INTO matters (code, name, deciding_city, department, case_type, legal_limit,
			promised_limit, limit_unit, courier, materials, version, catalogue_version, updated_by)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,1,'api',$11)
		ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, deciding_city = EXCLUDED.deciding_city,
			department = EXCLUDED.department, case_type = EXCLUDED.case_type, legal_limit = EXCLUDED.legal_limit,
			promised_limit = EXCLUDED.promised_limit, limit_unit = EXCLUDED.limit_unit, courier = EXCLUDED.courier,
			materials = EXCLUDED.materials, version = matters.version + 1, updated_by = EXCLUDED.updated_by, updated_at = now()
		RETURNING version`,
		m.Code, m.Name, m.DecidingCity, m.Department, m.CaseType, m.LegalLimit, m.PromisedLimit, m.LimitUnit, m.Courier, mats, actor(r)).Scan(&m.Version)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}
