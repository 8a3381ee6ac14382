package decision_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/decision"
)

func TestContextDefaultsAreSent(t *testing.T) {
	tests := []struct {
		name        string
		giveContext map[string]any
		want        string
	}{
		{name: "added", giveContext: map[string]any{"plan": "gold"}, want: `{"fs_client":"go","plan":"gold"}`},
		{name: "request wins", giveContext: map[string]any{"fs_client": "ts"}, want: `{"fs_client":"ts"}`},
		{name: "empty context", want: `{"fs_client":"go"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, http.StatusOK, `{"visitorId":"v1","campaigns":[]}`)
			c, err := decision.NewAPIClient("env", "key", decision.APIOptions{BaseURL: f.URL,
				ContextDefaults: map[string]any{"fs_client": "go"}})
			require.NoError(t, err)
			_, err = c.Decide(context.Background(), decision.Request{VisitorID: "v1", Context: tt.giveContext})
			require.NoError(t, err)
			reqs := f.requests()
			require.Len(t, reqs, 1)
			assert.Contains(t, reqs[0].Body, `"context":`+tt.want)
		})
	}
}
