package handoff

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tongban/tongban/handoff/catalog"
	"github.com/tongban/tongban/internal/auth"
)

// apiFunc is a handler that returns its error for writeError to render.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// route registers a handler open to roles and remembers its pattern, so tests can
// hold the OpenAPI document and the access rules to every route.
func (n *Node) route(pattern string, roles []auth.Role, h apiFunc) {
	n.register(pattern, false, roles, h)
}

// publicRoute registers a handler that needs no login.
func (n *Node) publicRoute(pattern string, h apiFunc) { n.register(pattern, true, nil, h) }

func (n *Node) register(pattern string, isPublic bool, roles []auth.Role, h apiFunc) {
	n.routes = append(n.routes, pattern)
	n.access[pattern] = routeAccess{public: isPublic, roles: roles}
	n.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w, r)
		r.Body = http.MaxBytesReader(w, r.Body, n.opt.MaxAttachment+1<<20)
		r, err := n.auth.Authenticate(r)
		if err == nil && !isPublic {
			p, _ := auth.FromContext(r.Context())
			err = auth.Allowed(p, roles)
		}
		if err != nil {
			n.writeError(w, r, err)
			return
		}
		run := h
		if r.Method == http.MethodPost && r.Header.Get("Idempotency-Key") != "" {
			run = n.idempotent(h)
		}
		if err := run(w, r); err != nil {
			n.writeError(w, r, err)
		}
	})
}

// Routes lists the patterns of the API, for the OpenAPI test and the access test.
func (n *Node) Routes() []string { return append([]string(nil), n.routes...) }

type routeAccess struct {
	public bool
	roles  []auth.Role
}

func (n *Node) routesAPI() {
	n.publicRoute("GET /api/v1/openapi.yaml", n.getOpenAPI)
	for _, ar := range n.auth.Routes() {
		if ar.Public {
			n.publicRoute(ar.Pattern, apiFunc(ar.Handle))
		} else {
			n.route(ar.Pattern, ar.Roles, apiFunc(ar.Handle))
		}
	}
	n.route("GET /api/v1/hall", readers, n.getHall)
	n.route("GET /api/v1/matters", readers, n.listMatters)
	n.route("GET /api/v1/matters/{code}", readers, n.getMatter)
	n.route("PUT /api/v1/matters/{code}", admins, n.putMatter)
	n.route("POST /api/v1/intake", clerks, n.postIntake)
	n.route("GET /api/v1/notices/{id}", append(operators, auth.Supervisor), n.getNotice)
	n.route("GET /api/v1/notices/{id}/print", operators, n.printNotice)
	n.route("GET /api/v1/cases", readers, n.listCases)
	n.route("GET /api/v1/cases/{id}", readers, n.getCase)
	n.route("GET /api/v1/cases/{id}/applicant", operators, n.getApplicant)
	n.route("GET /api/v1/cases/{id}/events", readers, n.getEvents)
	n.route("GET /api/v1/cases/{id}/receipt", operators, n.printReceipt)
	n.route("GET /api/v1/cases/{id}/handover-sheet", operators, n.printHandover)
	n.route("GET /api/v1/cases/{id}/notices/{kind}", operators, n.printDecision)
	n.route("GET /api/v1/cases/{id}/label", clerks, n.printLabel)
	n.route("POST /api/v1/cases/{id}/attachments", clerks, n.postAttachment)
	n.route("GET /api/v1/cases/{id}/attachments", append(operators, auth.Supervisor), n.listAttachments)
	n.route("GET /api/v1/cases/{id}/attachments/{aid}", operators, n.getAttachment)
	n.route("POST /api/v1/cases/{id}/package", clerks, n.postPackage)
	n.route("POST /api/v1/cases/{id}/dispatch", clerks, n.postDispatch)
	n.route("POST /api/v1/cases/{id}/parcel", clerks, n.postParcel)
	n.route("POST /api/v1/receive", staff, n.postReceive)
	for path, move := range stepRoutes {
		n.route("POST /api/v1/cases/{id}/"+path, stepAccess[move], n.postStep(move))
	}
	n.route("GET /api/v1/quarantine", admins, n.listQuarantine)
	n.route("POST /api/v1/quarantine/{id}/replay", admins, n.postReplay)
	n.route("GET /api/v1/audit/verify", auditors, n.getAuditVerify)
}

// stepRoutes are the moves whose request body is a Step.
var stepRoutes = map[string]string{
	"accept":             TypeAccepted,
	"request-correction": TypeCorrectionRequested,
	"supplement":         TypeSupplementSent,
	"reject":             TypeRejected,
	"pause":              TypePaused,
	"resume":             TypeResumed,
	"conclude":           TypeConcluded,
	"dispatch-result":    TypeResultDispatched,
	"deliver-result":     TypeResultDelivered,
	"close":              TypeClosed,
	"withdraw":           TypeWithdrawn,
}

// actor names who acts: the logged-in staff member.
func actor(r *http.Request) string {
	if p, ok := auth.FromContext(r.Context()); ok {
		return p.Username
	}
	return "anonymous"
}

// decodeBody reads a JSON request body strictly: unknown fields are errors, so a
// misspelt field is reported instead of silently ignored.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errTooLarge
		}
		return fieldErr("body", "无法读取请求内容", "cannot read the request body")
	}
	if err := decodeStrict(body, v); err != nil {
		return fieldErr("body", "请求内容不是有效的 JSON："+err.Error(), "the body is not valid JSON for this request: "+err.Error())
	}
	return nil
}

var errTooLarge = errors.New("handoff: request too large")

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// Problem is an RFC 9457 problem document with the detail in Chinese and English.
type Problem struct {
	Type         string `json:"type"`
	Title        string `json:"title"`
	Status       int    `json:"status"`
	Detail       string `json:"detail"`
	DetailZH     string `json:"detail_zh"`
	Field        string `json:"field,omitempty"`
	CurrentState string `json:"current_state,omitempty"`
	Instance     string `json:"instance,omitempty"`
}

const problemBase = "https://tongban.dev/problems/"

func (n *Node) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	p.Instance = r.URL.Path
	if p.Status >= 500 {
		n.opt.Log.Error("request failed", slog.String("route", r.Pattern), slog.String("err", err.Error()))
	} else {
		// Bad input is recorded where an operator sees it; the detail names fields, never values.
		n.opt.Log.Info("request refused", slog.String("route", r.Pattern), slog.String("problem", p.Type), slog.String("field", p.Field), slog.Int("status", p.Status))
	}
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func problemFor(err error) Problem {
	if status, slug, en, zh, ok := auth.Problem(err); ok {
		return Problem{Type: problemBase + slug, Title: http.StatusText(status), Status: status, Detail: en, DetailZH: zh}
	}
	var fe *FieldError
	var ce *catalog.FieldError
	var se *StateError
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &fe):
		return Problem{Type: problemBase + "invalid-field", Title: "Invalid field", Status: http.StatusBadRequest,
			Detail: fe.EN, DetailZH: fe.ZH, Field: fe.Field}
	case errors.As(err, &ce):
		return Problem{Type: problemBase + "invalid-field", Title: "Invalid field", Status: http.StatusBadRequest,
			Detail: ce.ReasonEN, DetailZH: ce.ReasonZH, Field: ce.Field}
	case errors.As(err, &se):
		return Problem{Type: problemBase + "state-conflict", Title: "Not allowed in the current state", Status: http.StatusConflict,
			Detail: "the case is " + string(se.Current) + ", which does not allow " + se.Move, DetailZH: "办件当前状态为「" + stateZH[se.Current] + "」，不能执行该操作",
			CurrentState: string(se.Current)}
	case errors.Is(err, ErrNotFound):
		return Problem{Type: problemBase + "not-found", Title: "Not found", Status: http.StatusNotFound,
			Detail: "no such record at this hall", DetailZH: "本大厅没有该记录"}
	case errors.Is(err, ErrNotYours):
		return Problem{Type: problemBase + "not-owner", Title: "Not this hall's move", Status: http.StatusConflict,
			Detail: "the case is held by the partner hall at this stage", DetailZH: "该环节由对方大厅办理"}
	case errors.Is(err, ErrPartnerUnknown):
		return Problem{Type: problemBase + "partner-not-registered", Title: "Partner hall not registered", Status: http.StatusConflict,
			Detail: "the deciding hall's keys are not configured at this hall; ask the operators to register it", DetailZH: "办理地大厅未在本大厅登记密钥，请联系运维人员"}
	case errors.Is(err, errTooLarge):
		return Problem{Type: problemBase + "too-large", Title: "Request too large", Status: http.StatusRequestEntityTooLarge,
			Detail: "the request body is larger than allowed", DetailZH: "请求内容超过允许的大小"}
	case errors.Is(err, errIdemMismatch):
		return Problem{Type: problemBase + "idempotency-key-reused", Title: "Idempotency-Key reused", Status: http.StatusUnprocessableEntity,
			Detail: "this Idempotency-Key was used for a different request", DetailZH: "该幂等键已用于另一请求"}
	case errors.Is(err, errIdemBusy):
		return Problem{Type: problemBase + "idempotency-in-progress", Title: "Request in progress", Status: http.StatusConflict,
			Detail: "a request with this Idempotency-Key is still being processed", DetailZH: "相同幂等键的请求正在处理"}
	case errors.As(err, &pe) && pe.Code == "23505":
		return Problem{Type: problemBase + "duplicate", Title: "Duplicate", Status: http.StatusConflict,
			Detail: "a record with the same key exists", DetailZH: "已存在相同记录"}
	}
	return Problem{Type: problemBase + "internal", Title: "Internal error", Status: http.StatusInternalServerError,
		Detail: "the hall could not complete the request; it has been logged", DetailZH: "系统暂时无法完成请求，已记录"}
}

// stateZH names the states for clerks.
var stateZH = map[State]string{
	Accepted: "已收件", Dispatched: "已寄出", InTransit: "运输中", Delivered: "已送达", Received: "已签收",
	UnderReview: "审查中", CorrectionRequested: "待补正", Rejected: "不予受理", Paused: "特别程序",
	Concluded: "已办结", ResultDispatched: "结果已寄出", ResultDelivered: "结果已送达", Closed: "已归档", Withdrawn: "已撤回",
}
