package flagshiptest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// acc is the path of the default account's management API.
const acc = "/v1/accounts/" + flagshiptest.DefaultAdminAccountID

// envPath is the path of the server's environment in the management API.
const envPath = acc + "/account_environments/" + flagshiptest.EnvID

// credentials is the token request body of the default access.
const credentials = `{"grant_type":"client_credentials","client_id":"client","client_secret":"secret"}`

// token returns a new non-expiring token of s's default access.
func token(t testing.TB, s *flagshiptest.Server) string {
	t.Helper()
	got := post(t, s, "/"+flagshiptest.DefaultAdminAccountID+"/token", credentials)
	require.Equal(t, http.StatusOK, got.status, got.body)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(got.body), &tr))
	require.NotEmpty(t, tr.AccessToken)
	return tr.AccessToken
}

// api sends a management call with the bearer token tok.
func api(t testing.TB, s *flagshiptest.Server, tok, method, path, body string) response {
	t.Helper()
	return do(t, s, method, path, body, "Authorization: Bearer "+tok)
}

// decodeBody decodes a response body into a value of type T.
func decodeBody[T any](t testing.TB, r response) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(r.body), &v), r.body)
	return v
}

// page is the list envelope.
type page[T any] struct {
	Items            []T `json:"items"`
	TotalCount       int `json:"total_count"`
	CurrentItemCount int `json:"current_item_count"`
	CurrentPage      int `json:"current_page"`
	ItemsPerPage     int `json:"items_per_page"`
	LastPage         int `json:"last_page"`
}

// apiError is the management API's error body.
type apiError struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors"`
}

// mustCreate sends a POST that must answer 201 and returns the created
// object.
func mustCreate[T any](t testing.TB, s *flagshiptest.Server, tok, path, body string) T {
	t.Helper()
	got := api(t, s, tok, http.MethodPost, path, body)
	require.Equal(t, http.StatusCreated, got.status, got.body)
	return decodeBody[T](t, got)
}
