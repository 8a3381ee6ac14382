package flagshiptest

import (
	"net/http"
	"strconv"
	"strings"
)

// serveBucketing serves the current bucketing file with Last-Modified and
// a strong ETag, and answers 304 to a matching If-None-Match or, without
// one, to an If-Modified-Since not before Last-Modified (RFC 9110 §13.2.2).
func (h *Handler) serveBucketing(w http.ResponseWriter, r *http.Request, env string) {
	if env != h.envID {
		writeMessage(w, http.StatusNotFound, "unknown environment id "+quote(env))
		return
	}
	h.mu.Lock()
	h.bucketingRequests++
	served, etag, modified := h.served, h.etag, h.modified
	h.mu.Unlock()

	hd := w.Header()
	hd.Set("Last-Modified", modified.Format(http.TimeFormat))
	hd.Set("ETag", etag)
	notModified := false
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		notModified = etagMatch(inm, etag)
	} else if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		t, err := http.ParseTime(ims)
		notModified = err == nil && !modified.After(t)
	}
	if notModified {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(served)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(served)
	}
}

// etagMatch reports whether the If-None-Match list matches etag (weak
// comparison, as If-None-Match uses).
func etagMatch(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
