package flagshiptest

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// defaultAccountSettings is served when the file has no accountSettings.
const defaultAccountSettings = `{"enabledXPC":false,"enabled1V1T":false}`

// serveAccountSettings serves GET /{envID}/accountSettings.json, which
// Flagship's JS SDK reads at start in DECISION_API mode (spec §12):
// {"accountSettings": ...}, the accountSettings object of the bucketing
// file served, as it is there.
func (h *Handler) serveAccountSettings(w http.ResponseWriter, r *http.Request, env string) {
	if env != h.envID {
		writeMessage(w, http.StatusNotFound, "unknown environment id "+quote(env))
		return
	}
	h.mu.Lock()
	served := h.served
	h.mu.Unlock()
	settings := accountSettingsOf(served)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"accountSettings":`)
	b.Write(settings)
	b.WriteString("}\n")
	_, _ = w.Write(b.Bytes()) // a client that left is no concern
}

// accountSettingsOf returns the accountSettings member of a bucketing
// file (or its snake_case form, account_settings), compacted, or
// defaultAccountSettings when it has none that is an object.
func accountSettingsOf(file []byte) []byte {
	var f struct {
		Camel json.RawMessage `json:"accountSettings"`
		Snake json.RawMessage `json:"account_settings"`
	}
	_ = json.Unmarshal(file, &f) // a file bucketing.Parse took
	for _, raw := range []json.RawMessage{f.Camel, f.Snake} {
		var buf bytes.Buffer
		if len(raw) > 0 && raw[0] == '{' && json.Compact(&buf, raw) == nil {
			return buf.Bytes()
		}
	}
	return []byte(defaultAccountSettings)
}
