package credential

import (
	"strings"
	"time"
)

// DayBound says which end of a plain date ParseTime means.
type DayBound int

// Day bounds. A validity "until 2027-12-31" (有效期至 2027-12-31) includes
// that day, so it ends where the next day starts: DayEnd.
const (
	DayStart DayBound = iota // the first instant of the day
	DayEnd                   // the first instant of the next day
)

// ParseTime reads a time of an API request: an RFC 3339 time is the instant
// it names, whatever its offset; a plain date (YYYY-MM-DD) is a calendar day
// in loc, the deployment's time zone, bounded as bound says. A nil loc is
// UTC. The error carries ReasonInvalidField.
func ParseTime(s string, loc *time.Location, bound DayBound) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, Errorf(ReasonInvalidField, "%q is neither an RFC 3339 time nor a YYYY-MM-DD date", s)
	}
	if bound == DayEnd {
		d = d.AddDate(0, 0, 1)
	}
	// time.Date, not an offset added to UTC midnight: in a zone with
	// daylight saving a day is not always 24 hours.
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, zoneOrUTC(loc)), nil
}

// IsMidnight reports whether t is the first instant of a day in loc: a
// bound given as a plain date, which pages show as the day alone.
func IsMidnight(t time.Time, loc *time.Location) bool {
	l := t.In(zoneOrUTC(loc))
	return l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 && l.Nanosecond() == 0
}

// LastDay is the calendar day in loc of the last instant before until: the
// day a validity ending at until runs through.
func LastDay(until time.Time, loc *time.Location) string {
	return until.Add(-time.Nanosecond).In(zoneOrUTC(loc)).Format(time.DateOnly)
}

// FormatTime writes an instant as RFC 3339 in loc, for the plain-language
// details of checks: a reader sees the deployment's clock and its offset.
func FormatTime(t time.Time, loc *time.Location) string {
	return t.In(zoneOrUTC(loc)).Format(time.RFC3339)
}

func zoneOrUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
