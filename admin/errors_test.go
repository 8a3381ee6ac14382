package admin_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
)

func TestStatusSentinels(t *testing.T) {
	tests := []struct {
		giveStatus int
		want       error
	}{
		{giveStatus: 400, want: admin.ErrValidation},
		{giveStatus: 403, want: admin.ErrForbidden},
		{giveStatus: 404, want: admin.ErrNotFound},
		{giveStatus: 429, want: admin.ErrRateLimited},
		{giveStatus: 500, want: nil},
	}
	sentinels := []error{admin.ErrValidation, admin.ErrForbidden, admin.ErrNotFound, admin.ErrRateLimited, admin.ErrUnauthorized}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.giveStatus), func(t *testing.T) {
			f := newFake(t, status(tt.giveStatus))
			c := f.client(t, admin.WithRetry(admin.RetryPolicy{MaxAttempts: 1}))
			_, err := c.GetProject(t.Context(), "p1")
			var ae *admin.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.giveStatus, ae.StatusCode)
			assert.Equal(t, "GET", ae.Method)
			assert.Equal(t, base+"/projects/p1", ae.Path)
			for _, s := range sentinels {
				assert.Equal(t, s == tt.want, errors.Is(err, s), "%v", s)
			}
			assert.Len(t, f.requests(), 1, "not retried")
		})
	}
}

func TestServerMessageIsSurfaced(t *testing.T) {
	tests := []struct {
		name     string
		giveBody string
		wantMsg  string
	}{
		{name: "message and errors", giveBody: `{"message":"Validation errors","errors":{"name":["required"]}}`,
			wantMsg: `Validation errors {"name":["required"]}`},
		{name: "oauth", giveBody: `{"error":"invalid_request","error_description":"bad scope"}`, wantMsg: "bad scope"},
		{name: "text", giveBody: "name is required\n", wantMsg: "name is required"},
		{name: "unknown JSON", giveBody: `{"detail":"nope"}`, wantMsg: `{"detail":"nope"}`},
		{name: "capped", giveBody: strings.Repeat("é", 5000), wantMsg: strings.Repeat("é", 512) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, 400, tt.giveBody) })
			c := f.client(t)
			_, err := c.CreateProject(t.Context(), admin.Project{Name: "p"})
			var ae *admin.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.wantMsg, ae.Message)
			assert.ErrorIs(t, err, admin.ErrValidation)
			assert.Equal(t, "admin: POST "+base+"/projects: 400 Bad Request: "+tt.wantMsg, err.Error())
		})
	}
}

func TestHugeResponseIsAClearError(t *testing.T) {
	huge := `{"items":[` + strings.Repeat(`{"id":"x","name":"y"},`, 10<<20/22) + `{"id":"x"}]}`
	require.Greater(t, len(huge), 10<<20)
	tests := []struct {
		name    string
		chunked bool
	}{
		{name: "announced"},
		{name: "chunked", chunked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request) {
				if !tt.chunked {
					w.Header().Set("Content-Length", fmt.Sprint(len(huge)))
				}
				w.WriteHeader(200)
				_, _ = w.Write([]byte(huge))
			})
			c := f.client(t)
			_, err := admin.Collect(c.ListProjects(t.Context()))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "admin: GET "+base+"/projects: 200: response body of")
			assert.Contains(t, err.Error(), fmt.Sprintf("more than %d", admin.MaxResponseSize))
			assert.Len(t, f.requests(), 1, "not retried")
		})
	}
}

func TestHugeErrorBodyKeepsTheStatus(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request) {
		reply(w, 404, strings.Repeat("x", 1<<20))
	})
	c := f.client(t)
	_, err := c.GetProject(t.Context(), "p1")
	assert.ErrorIs(t, err, admin.ErrNotFound)
}

func TestMalformedResponseIsAClearError(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "truncated", give: `{"id":"p1","name":`},
		{name: "not JSON", give: `<html>gateway</html>`},
		{name: "wrong type", give: `{"id":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, ok(tt.give))
			c := f.client(t)
			_, err := c.GetProject(t.Context(), "p1")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "admin: GET "+base+"/projects/p1: decode response: ")
		})
	}
}
