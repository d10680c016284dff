package web

import (
	"fmt"
	"net/http"
	"strings"
)

// Lang is the language a page is shown in. Simplified Chinese is the default; English
// is one click away for visitors and auditors.
type Lang string

const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// LangCookie remembers the visitor's choice of language.
const LangCookie = "tongban_lang"

// LangOf is the language of a request: the cookie when it names a known language,
// otherwise Chinese.
func LangOf(r *http.Request) Lang {
	if c, err := r.Cookie(LangCookie); err == nil && Lang(c.Value) == EN {
		return EN
	}
	return ZH
}

// Dict holds every string of the UI, each in Chinese and English, by key. Templates
// reach it through Page.T, so no Chinese or English text is typed into a template.
type Dict map[string][2]string

// Text returns key in lang, formatted with args (fmt verbs). A missing key shows as
// ⟦key⟧, which the tests look for.
func (d Dict) Text(lang Lang, key string, args ...any) string {
	e, ok := d[key]
	if !ok {
		return "⟦" + key + "⟧"
	}
	s := e[0]
	if lang == EN {
		s = e[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Merge adds entries; a key defined twice is a programming error and panics, so two
// pages cannot silently fight over a word.
func (d Dict) Merge(entries Dict) {
	for k, v := range entries {
		if _, dup := d[k]; dup {
			panic("web: dictionary key defined twice: " + k)
		}
		d[k] = v
	}
}

// Missing lists keys that lack one of the two languages.
func (d Dict) Missing() []string {
	var out []string
	for k, v := range d {
		if strings.TrimSpace(v[0]) == "" || strings.TrimSpace(v[1]) == "" {
			out = append(out, k)
		}
	}
	return out
}

// baseDict is what the layout, the login page and the error page say.
var baseDict = Dict{
	"app.name":              {"通办", "Tongban"},
	"app.tagline":           {"跨城通办 · 异地代收代办", "Cross-city government service handoffs"},
	"lang.switch":           {"English", "简体中文"},
	"lang.switch.title":     {"切换到英文界面", "Switch to Chinese"},
	"nav.skip":              {"跳到正文", "Skip to content"},
	"user.logout":           {"退出登录", "Log out"},
	"user.role":             {"角色", "Role"},
	"role.window_clerk":     {"综合窗口", "Window clerk"},
	"role.hall_staff":       {"办理地大厅", "Partner hall staff"},
	"role.supervisor":       {"电子监察", "Supervisor"},
	"role.admin":            {"系统管理员", "Administrator"},
	"role.finance_preparer": {"财务经办", "Finance preparer"},
	"role.finance_approver": {"财务复核", "Finance approver"},

	"login.title":      {"工作人员登录", "Staff login"},
	"login.username":   {"用户名", "Username"},
	"login.password":   {"密码", "Password"},
	"login.code":       {"动态验证码（如已绑定）", "One-time code (if enrolled)"},
	"login.submit":     {"登录", "Log in"},
	"login.hint":       {"请使用本大厅分配的工作账号登录。连续输错将锁定账号。", "Use the staff account this hall gave you. Repeated failures lock the account."},
	"login.bad":        {"用户名或密码错误", "Wrong username or password"},
	"login.locked":     {"多次登录失败，账号已锁定，请稍后再试或联系管理员", "The account is locked after repeated failures; try again later or ask an administrator"},
	"login.rate":       {"尝试过于频繁，请稍候再试", "Too many attempts; wait a moment and try again"},
	"login.second":     {"需要有效的动态验证码", "A valid one-time code is required"},
	"login.wrong_hall": {"您的账号不属于本节点", "Your account belongs to another node"},
	"login.expired":    {"登录已过期，请重新登录", "Your session has ended; please log in again"},
	"login.welcome":    {"欢迎，%s", "Welcome, %s"},
	"logout.done":      {"您已安全退出", "You have logged out"},

	"error.title":     {"无法完成操作", "The request could not be completed"},
	"error.forbidden": {"您的角色无权访问此页面", "Your role may not open this page"},
	"error.csrf":      {"页面已过期，请返回后刷新再提交", "The page has expired; go back, reload and submit again"},
	"error.notfound":  {"没有找到该页面或记录", "No such page or record"},
	"error.internal":  {"系统暂时无法完成请求，已记录，请稍后再试", "The system could not complete the request; it has been logged. Please try again later"},
	"error.back":      {"返回", "Back"},
	"error.home":      {"返回首页", "Home"},
	"error.code":      {"错误代码", "Error code"},
	"error.field":     {"相关字段", "Field"},
	"time.left":       {"剩余 %d 天 %d 小时 %d 分", "%d d %d h %d min left"},
	"time.over":       {"已超时 %d 天 %d 小时 %d 分", "overdue by %d d %d h %d min"},
	"flash.close":     {"关闭", "Dismiss"},
	"footer.timezone": {"时间均为北京时间", "Times are China Standard Time"},
	"footer.noscript": {"未启用 JavaScript 时页面同样可用。", "Every page works without JavaScript."},
}
