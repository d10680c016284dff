package settlement

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/problem"
	"github.com/tongban/tongban/internal/web"
)

//go:embed openapi.yaml
var openAPI []byte

// apiFunc is a handler that returns its error for writeError to render.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// maxBill bounds an uploaded bill; a million-line CSV is about 150 MB.
const maxBill = 2 << 30

// billUploadTime is how long a bill upload may take, sending and importing together:
// far beyond the server's timeouts, which suit every other request, since 150 MB over
// a slow office line takes many minutes.
const billUploadTime = 30 * time.Minute

// route registers a handler open to roles and remembers its pattern, so tests can
// hold the OpenAPI document and the access rules to every route.
func (n *Node) route(pattern string, roles []auth.Role, h apiFunc) {
	n.register(pattern, false, roles, h)
}

// publicRoute registers a handler that needs no login.
func (n *Node) publicRoute(pattern string, h apiFunc) { n.register(pattern, true, nil, h) }

// register wraps every handler alike, as the hall does: security headers, a body
// limit (a bill upload may be large, nothing else), the caller from a token or a
// session, then the route's roles.
func (n *Node) register(pattern string, isPublic bool, roles []auth.Role, h apiFunc) {
	n.routes = append(n.routes, pattern)
	n.access[pattern] = routeAccess{public: isPublic, roles: roles}
	bill := pattern == "POST /api/v1/imports"
	limit := int64(1 << 20)
	if bill {
		limit = maxBill
	}
	n.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w, r)
		if bill {
			web.LongUpload(w, billUploadTime)
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		r, err := n.auth.Authenticate(r)
		if err == nil && !isPublic {
			p, _ := auth.FromContext(r.Context())
			err = auth.Allowed(p, roles)
		}
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			n.writeError(w, r, err)
		}
	})
}

// Routes lists the patterns of the API, for the OpenAPI test and the access test.
func (n *Node) Routes() []string { return append([]string(nil), n.routes...) }

func (n *Node) routesAPI() {
	n.publicRoute("GET /api/v1/openapi.yaml", func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, err := w.Write(openAPI)
		return err
	})
	for _, ar := range n.auth.Routes() {
		if ar.Public {
			n.publicRoute(ar.Pattern, apiFunc(ar.Handle))
		} else {
			n.route(ar.Pattern, ar.Roles, apiFunc(ar.Handle))
		}
	}
	n.route("GET /api/v1/waybills", financeReaders, n.listWaybills)
	n.route("GET /api/v1/waybills/{carrier}/{number}", financeReaders, n.getWaybill)
	n.route("GET /api/v1/waybills/{carrier}/{number}/fee", financeReaders, n.getWaybillFee)
	n.route("GET /api/v1/quarantine", admins, n.listQuarantine)
	n.route("POST /api/v1/quarantine/{id}/replay", admins, n.postReplay)
	n.route("GET /api/v1/tariffs", financeReaders, n.listTariffs)
	n.route("POST /api/v1/tariffs", tariffSetters, n.postTariff)
	n.route("GET /api/v1/tariffs/{id}", financeReaders, n.getTariff)
	n.route("POST /api/v1/imports", preparers, n.postImport)
	n.route("GET /api/v1/imports/{id}", financeReaders, n.getImport)
	n.route("GET /api/v1/imports/{id}/errors", financeReaders, n.getImportErrors)
	n.route("POST /api/v1/imports/{id}/accept", preparers, n.postImportDecision(true))
	n.route("POST /api/v1/imports/{id}/discard", preparers, n.postImportDecision(false))
	n.route("POST /api/v1/reconciliations", preparers, n.postReconcile)
	n.route("GET /api/v1/reconciliations/{carrier}/{account}/{period}", financeReaders, n.getReconciliation)
	n.route("GET /api/v1/reconciliations/{carrier}/{account}/{period}/lines", financeReaders, n.getReconLines)
	n.route("POST /api/v1/disputes", preparers, n.postDispute)
	n.route("GET /api/v1/disputes", financeReaders, n.listDisputes)
	n.route("GET /api/v1/disputes/export", financeReaders, n.exportDisputes)
	n.route("GET /api/v1/disputes/{id}", financeReaders, n.getDispute)
	n.route("POST /api/v1/disputes/{id}/outcome", preparers, n.postOutcome)
	n.route("POST /api/v1/disputes/{id}/credits", preparers, n.postCredit)
	n.route("GET /api/v1/periods/{period}", financeReaders, n.getClose)
	n.route("POST /api/v1/periods/{period}/prepare", preparers, n.postPrepare)
	n.route("POST /api/v1/periods/{period}/approve", approvers, n.postApprove)
	n.route("GET /api/v1/periods/{period}/allocations", financeReaders, n.getAllocations)
	n.route("GET /api/v1/periods/{period}/statements/{kind}/{subject}/{format}", financeReaders, n.getStatement)
	n.route("GET /api/v1/audit", auditors, n.getAudit)
	n.route("GET /api/v1/audit/verify", auditors, n.getAuditVerify)
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
	body, err := problem.ReadBody(r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fieldErr("body", "请求内容不是有效的 JSON："+err.Error(), "the body is not valid JSON for this request: "+err.Error())
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) error { return problem.JSON(w, status, v) }

// Problem is an RFC 9457 problem document with the detail in English and Chinese.
type Problem = problem.Problem

const problemBase = problem.Base

func (n *Node) writeError(w http.ResponseWriter, r *http.Request, err error) {
	problem.Write(w, r, n.log, problemFor(err), err)
}

func problemFor(err error) Problem {
	if p, ok := problem.Common(err); ok {
		return p
	}
	var fe *FieldError
	var se *StateError
	switch {
	case errors.As(err, &fe):
		return problem.Field(fe.Field, fe.EN, fe.ZH)
	case errors.Is(err, ErrMakerChecker):
		return problem.New(http.StatusForbidden, "maker-checker", "Approver must differ from preparer",
			"the close must be approved by a different finance user than the one who prepared it", "结账须由准备人以外的财务人员审批")
	case errors.Is(err, ErrPeriodClosed):
		return problem.New(http.StatusConflict, "period-closed", "Period closed", "the period is closed and can no longer change", "该账期已结账，不能再修改")
	case errors.As(err, &se):
		return problem.New(http.StatusConflict, "state-conflict", "Not allowed in the current state", se.EN, se.ZH)
	case errors.Is(err, ErrNotFound):
		return problem.New(http.StatusNotFound, "not-found", "Not found", "no such record", "没有该记录")
	case errors.Is(err, ErrNoTariff):
		return problem.New(http.StatusConflict, "no-tariff", "No tariff",
			"no tariff prices this waybill; add one for its carrier, product and account", "没有适用于该运单的资费，请先配置")
	}
	return problem.Internal("settlement could not complete the request; it has been logged", "系统暂时无法完成请求，已记录")
}
