package handoff

import (
	"errors"
	"net/http"

	"github.com/tongban/tongban/handoff/catalog"
	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/problem"
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
	body, err := problem.ReadBody(r)
	if errors.Is(err, problem.ErrTooLarge) {
		return err
	}
	if err != nil {
		return fieldErr("body", "无法读取请求内容", "cannot read the request body")
	}
	if err := decodeStrict(body, v); err != nil {
		return fieldErr("body", "请求内容不是有效的 JSON："+err.Error(), "the body is not valid JSON for this request: "+err.Error())
	}
	return nil
}

// errTooLarge is a body over its route's limit.
var errTooLarge = problem.ErrTooLarge

func writeJSON(w http.ResponseWriter, status int, v any) error { return problem.JSON(w, status, v) }

// Problem is an RFC 9457 problem document with the detail in Chinese and English.
type Problem = problem.Problem

const problemBase = problem.Base

func (n *Node) writeError(w http.ResponseWriter, r *http.Request, err error) {
	problem.Write(w, r, n.opt.Log, problemFor(err), err)
}

func problemFor(err error) Problem {
	if p, ok := problem.Common(err); ok {
		return p
	}
	var fe *FieldError
	var ce *catalog.FieldError
	var se *StateError
	switch {
	case errors.As(err, &fe):
		return problem.Field(fe.Field, fe.EN, fe.ZH)
	case errors.As(err, &ce):
		return problem.Field(ce.Field, ce.ReasonEN, ce.ReasonZH)
	case errors.As(err, &se):
		p := problem.New(http.StatusConflict, "state-conflict", "Not allowed in the current state",
			"the case is "+string(se.Current)+", which does not allow "+se.Move, "办件当前状态为「"+stateZH[se.Current]+"」，不能执行该操作")
		p.CurrentState = string(se.Current)
		return p
	case errors.Is(err, ErrNotFound):
		return problem.New(http.StatusNotFound, "not-found", "Not found", "no such record at this hall", "本大厅没有该记录")
	case errors.Is(err, ErrNotYours):
		return problem.New(http.StatusConflict, "not-owner", "Not this hall's move", "the case is held by the partner hall at this stage", "该环节由对方大厅办理")
	case errors.Is(err, ErrPartnerUnknown):
		return problem.New(http.StatusConflict, "partner-not-registered", "Partner hall not registered",
			"the deciding hall's keys are not configured at this hall; ask the operators to register it", "办理地大厅未在本大厅登记密钥，请联系运维人员")
	case errors.Is(err, errIdemMismatch):
		return problem.New(http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency-Key reused",
			"this Idempotency-Key was used for a different request", "该幂等键已用于另一请求")
	case errors.Is(err, errIdemBusy):
		return problem.New(http.StatusConflict, "idempotency-in-progress", "Request in progress",
			"a request with this Idempotency-Key is still being processed", "相同幂等键的请求正在处理")
	}
	return problem.Internal("the hall could not complete the request; it has been logged", "系统暂时无法完成请求，已记录")
}

// stateZH names the states for clerks.
var stateZH = map[State]string{
	Accepted: "已收件", Dispatched: "已寄出", InTransit: "运输中", Delivered: "已送达", Received: "已签收",
	UnderReview: "审查中", CorrectionRequested: "待补正", Rejected: "不予受理", Paused: "特别程序",
	Concluded: "已办结", ResultDispatched: "结果已寄出", ResultDelivered: "结果已送达", Closed: "已归档", Withdrawn: "已撤回",
}
