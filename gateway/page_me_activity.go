package gateway

import (
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
)

// activityPageSize is how many events one page of the timeline shows: a
// few screens on a phone.
const activityPageSize = 20

// activityView is the data of the holder's timeline at /me/activity.
type activityView struct {
	holderMeta
	Items  []activityEntry
	Older  string // URL of the following (older) page, "" on the last
	Newest string // URL of the first page, when this is a later one
}

// activityEntry is one event on the page, worded in the page language.
type activityEntry struct {
	Event    string // machine name, also a data attribute
	Label    string
	Tone     string // ok, warn, bad, info, muted: the dot's colour, beside the words
	Time     string
	DateTime string // the instant for the time element
	// CredentialURL is the holder's page of the credential the event is
	// about, "" when it names none.
	CredentialURL string
	Credential    string
	TypeName      string
	IssuerName    string
	Reason        string
	Purpose       string
	By            string
}

// activityTones colours each kind of event; an unknown kind stays muted.
var activityTones = map[activityEvent]string{
	eventIssued: "ok", eventRenewed: "ok", eventChanged: "ok", eventReinstated: "ok",
	eventSuspended: "warn", eventRevoked: "bad",
	eventTokenRotated: "info", eventShareCreated: "info", eventShareOpened: "info",
	eventShareWithdrawn: "muted",
}

// handleMyActivityPage serves GET /me/activity (用证记录): the signed-in
// holder's timeline, newest first, ?before= the cursor of an older page.
func (s *Server) handleMyActivityPage(c *fiber.Ctx) error {
	L := s.pages.lang(c)
	before := c.Query("before")
	base := "/me/activity"
	if before != "" {
		base += "?before=" + url.QueryEscape(before)
	}
	sess, err := s.currentSession(c)
	if err != nil {
		return s.signInFirst(c, L, err, base, c.OriginalURL())
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	page, err := s.holderActivity(ctx, sess.Holder, before, activityPageSize)
	if err != nil {
		return s.holderPageError(c, L, err, base)
	}
	v := activityView{holderMeta: s.pages.holderMeta(L, "meactivity", L.T("activity.title"), base, sess.Holder, "activity")}
	for _, it := range page.Items {
		v.Items = append(v.Items, activityEntryOf(L, it))
	}
	if page.Next != "" {
		v.Older = "/me/activity?before=" + url.QueryEscape(page.Next)
	}
	if before != "" {
		v.Newest = "/me/activity"
	}
	return s.pages.send(c, fiber.StatusOK, "meactivity", v)
}

// activityEntryOf words one event; a type or department the registry no
// longer has is named by the credential's identifier, as on the list.
func activityEntryOf(L catalog, it activityItem) activityEntry {
	e := activityEntry{Event: string(it.Event), Label: L.T("activity.event." + string(it.Event)),
		Tone: activityTones[it.Event], Time: L.Time(it.At), DateTime: it.At.UTC().Format(time.RFC3339),
		Credential: it.Credential, Reason: it.Reason, Purpose: it.Purpose, By: it.By}
	if e.Tone == "" {
		e.Tone = "muted"
	}
	if it.Credential != "" {
		e.CredentialURL = "/me/credentials/" + url.PathEscape(it.Credential)
		e.TypeName = it.Credential
	}
	if it.Type != nil {
		e.TypeName = L.Pick(it.Type.NameZh, it.Type.NameEn)
	}
	if it.Issuer != nil {
		e.IssuerName = L.Pick(it.Issuer.NameZh, it.Issuer.NameEn)
	}
	return e
}
