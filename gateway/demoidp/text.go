package demoidp

import "strings"

// texts are the pages' words in Chinese (the default) and English.
var texts = map[string]map[string]string{
	"zh": {
		"title":          "演示身份认证服务",
		"banner":         "演示系统 · 非真实的统一身份认证服务",
		"banner_detail":  "此服务仅用于 CertLedger 演示：账户为虚构的演示公民和演示企业，请勿输入真实的账号或密码。",
		"login_heading":  "登录",
		"login_lead":     "一个网站请求您登录，以确认您的身份。",
		"login_username": "用户名",
		"login_password": "密码",
		"login_button":   "登录",
		"login_wrong":    "用户名或密码错误。",
		"login_where":    "演示账户的用户名和密码写在 %s 的 \"citizens\" 中。",
		"expired":        "此次登录已过期或已完成。请返回原网站重新登录。",
		"home_lead":      "这是 CertLedger 演示用的 OpenID Connect 身份认证服务。请从 CertLedger 的“我的证照”页面（/me）开始登录。",
		"busy":           "登录请求过多，请稍后再试。",
	},
	"en": {
		"title":          "Demo identity provider",
		"banner":         "Demonstration · not a real government identity service",
		"banner_detail":  "This service exists only for the CertLedger demo: its accounts are made-up demo citizens and a demo company. Never enter a real username or password here.",
		"login_heading":  "Sign in",
		"login_lead":     "A website asks you to sign in to confirm who you are.",
		"login_username": "Username",
		"login_password": "Password",
		"login_button":   "Sign in",
		"login_wrong":    "Wrong username or password.",
		"login_where":    "The demo accounts' usernames and passwords are in %s, under \"citizens\".",
		"expired":        "This sign-in has expired or is complete. Go back to the website and sign in again.",
		"home_lead":      "This is the OpenID Connect identity provider of the CertLedger demo. Start signing in from CertLedger's \"My credentials\" page (/me).",
		"busy":           "Too many sign-ins right now; please try again in a moment.",
	},
}

// pickLang reads ?lang= first, then the first zh or en in Accept-Language;
// Chinese otherwise.
func pickLang(query, accept string) string {
	if _, ok := texts[query]; ok {
		return query
	}
	for part := range strings.SplitSeq(accept, ",") {
		tag := strings.ToLower(strings.TrimSpace(part))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return "zh"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "zh"
}
