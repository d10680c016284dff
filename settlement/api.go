package settlement

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed openapi.yaml
var openAPI []byte

// apiFunc is a handler that returns its error for writeError to render.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// maxBill bounds an uploaded bill; a million-line CSV is about 150 MB.
const maxBill = 2 << 30

// route registers a handler and remembers its pattern, so a test can hold the
// OpenAPI document to every route.
func (n *Node) route(pattern string, h apiFunc) {
	n.routes = append(n.routes, pattern)
	n.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		limit := int64(1 << 20)
		if r.Pattern == "POST /api/v1/imports" {
			limit = maxBill
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := h(w, r); err != nil {
			n.writeError(w, r, err)
		}
	})
}

// Routes lists the patterns of the API.
func (n *Node) Routes() []string { return append([]string(nil), n.routes...) }

func (n *Node) routesAPI() {
	n.route("GET /api/v1/openapi.yaml", func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, err := w.Write(openAPI)
		return err
	})
	n.route("GET /api/v1/waybills", n.listWaybills)
	n.route("GET /api/v1/waybills/{carrier}/{number}", n.getWaybill)
	n.route("GET /api/v1/waybills/{carrier}/{number}/fee", n.getWaybillFee)
	n.route("GET /api/v1/quarantine", n.listQuarantine)
	n.route("POST /api/v1/quarantine/{id}/replay", n.postReplay)
	n.route("GET /api/v1/tariffs", n.listTariffs)
	n.route("POST /api/v1/tariffs", n.postTariff)
	n.route("GET /api/v1/tariffs/{id}", n.getTariff)
	n.route("POST /api/v1/imports", n.postImport)
	n.route("GET /api/v1/imports/{id}", n.getImport)
	n.route("GET /api/v1/imports/{id}/errors", n.getImportErrors)
	n.route("POST /api/v1/imports/{id}/accept", n.postImportDecision(true))
	n.route("POST /api/v1/imports/{id}/discard", n.postImportDecision(false))
	n.route("POST /api/v1/reconciliations", n.postReconcile)
	n.route("GET /api/v1/reconciliations/{carrier}/{account}/{period}", n.getReconciliation)
	n.route("GET /api/v1/reconciliations/{carrier}/{account}/{period}/lines", n.getReconLines)
	n.route("POST /api/v1/disputes", n.postDispute)
	n.route("GET /api/v1/disputes", n.listDisputes)
	n.route("GET /api/v1/disputes/export", n.exportDisputes)
	n.route("GET /api/v1/disputes/{id}", n.getDispute)
	n.route("POST /api/v1/disputes/{id}/outcome", n.postOutcome)
	n.route("POST /api/v1/disputes/{id}/credits", n.postCredit)
	n.route("GET /api/v1/periods/{period}", n.getClose)
	n.route("POST /api/v1/periods/{period}/prepare", n.postPrepare)
	n.route("POST /api/v1/periods/{period}/approve", n.postApprove)
	n.route("GET /api/v1/periods/{period}/allocations", n.getAllocations)
	n.route("GET /api/v1/periods/{period}/statements/{kind}/{subject}/{format}", n.getStatement)
	n.route("GET /api/v1/audit", n.getAudit)
	n.route("GET /api/v1/audit/verify", n.getAuditVerify)
}

// actor is the finance user making a change. Until staff login exists it comes from
// the X-Tongban-Actor header; the "system:" prefix is reserved for the node's own jobs.
func actor(r *http.Request) (string, error) {
	a := strings.TrimSpace(r.Header.Get("X-Tongban-Actor"))
	if a == "" || len(a) > 64 || strings.HasPrefix(a, "system:") || strings.IndexFunc(a, unicode.IsControl) >= 0 {
		return "", fieldErr("X-Tongban-Actor", "须在 X-Tongban-Actor 头中提供操作人（不超过 64 字节）", "the X-Tongban-Actor header must name the acting user (at most 64 bytes)")
	}
	return a, nil
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fieldErr(name, "编号须为正整数", name+" must be a positive whole number")
	}
	return id, nil
}

func queryInt(r *http.Request, name string, def, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v > max {
		return 0, fieldErr(name, "须为 0 到 "+strconv.Itoa(max)+" 的整数", name+" must be a whole number from 0 to "+strconv.Itoa(max))
	}
	return v, nil
}

func queryPeriod(r *http.Request, name string, optional bool) (Period, error) {
	s := r.URL.Query().Get(name)
	if s == "" && optional {
		return "", nil
	}
	return ParsePeriod(s)
}

// decodeJSON reads a JSON body strictly: unknown fields are errors, not ignored.
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fieldErr("body", "请求内容不是有效的 JSON："+err.Error(), "the body is not valid JSON for this request: "+err.Error())
	}
	return nil
}

var errTooLarge = errors.New("settlement: request too large")

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// Problem is an RFC 9457 problem document with the detail in English and Chinese.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	DetailZH string `json:"detail_zh"`
	Field    string `json:"field,omitempty"`
	Instance string `json:"instance,omitempty"`
}

const problemBase = "https://tongban.dev/problems/"

func (n *Node) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	p.Instance = r.URL.Path
	if p.Status >= 500 {
		n.log.Error("request failed", slog.String("route", r.Pattern), slog.String("err", err.Error()))
	} else {
		n.log.Info("request refused", slog.String("route", r.Pattern), slog.String("problem", p.Type), slog.String("field", p.Field), slog.Int("status", p.Status))
	}
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func problemFor(err error) Problem {
	var fe *FieldError
	var se *StateError
	var pe *pgconn.PgError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &fe):
		return Problem{Type: problemBase + "invalid-field", Title: "Invalid field", Status: http.StatusBadRequest, Detail: fe.EN, DetailZH: fe.ZH, Field: fe.Field}
	case errors.Is(err, ErrMakerChecker):
		return Problem{Type: problemBase + "maker-checker", Title: "Approver must differ from preparer", Status: http.StatusForbidden,
			Detail: "the close must be approved by a different finance user than the one who prepared it", DetailZH: "结账须由准备人以外的财务人员审批"}
	case errors.Is(err, ErrPeriodClosed):
		return Problem{Type: problemBase + "period-closed", Title: "Period closed", Status: http.StatusConflict,
			Detail: "the period is closed and can no longer change", DetailZH: "该账期已结账，不能再修改"}
	case errors.As(err, &se):
		return Problem{Type: problemBase + "state-conflict", Title: "Not allowed in the current state", Status: http.StatusConflict, Detail: se.EN, DetailZH: se.ZH}
	case errors.Is(err, ErrNotFound):
		return Problem{Type: problemBase + "not-found", Title: "Not found", Status: http.StatusNotFound, Detail: "no such record", DetailZH: "没有该记录"}
	case errors.Is(err, ErrNoTariff):
		return Problem{Type: problemBase + "no-tariff", Title: "No tariff", Status: http.StatusConflict,
			Detail: "no tariff prices this waybill; add one for its carrier, product and account", DetailZH: "没有适用于该运单的资费，请先配置"}
	case errors.Is(err, errTooLarge), errors.As(err, &mbe):
		return Problem{Type: problemBase + "too-large", Title: "Request too large", Status: http.StatusRequestEntityTooLarge,
			Detail: "the request body is larger than allowed", DetailZH: "请求内容超过允许的大小"}
	case errors.As(err, &pe) && pe.Code == "23505":
		return Problem{Type: problemBase + "duplicate", Title: "Duplicate", Status: http.StatusConflict,
			Detail: "a record with the same key exists", DetailZH: "已存在相同记录"}
	}
	return Problem{Type: problemBase + "internal", Title: "Internal error", Status: http.StatusInternalServerError,
		Detail: "settlement could not complete the request; it has been logged", DetailZH: "系统暂时无法完成请求，已记录"}
}
