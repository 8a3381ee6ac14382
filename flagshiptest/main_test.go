package flagshiptest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// vectorsDir holds Flagship's published decision vectors.
const vectorsDir = "../testdata/vectors"

// response is an answer of the server.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request to the server with the given headers ("Name: value")
// and returns its answer.
func do(t testing.TB, s *flagshiptest.Server, method, path, body string, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		require.True(t, ok, h)
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func post(t testing.TB, s *flagshiptest.Server, path, body string, headers ...string) response {
	t.Helper()
	return do(t, s, http.MethodPost, path, body, headers...)
}

func decisionPath() string { return "/v2/" + flagshiptest.EnvID + "/campaigns" }

func bucketingPath() string { return "/" + flagshiptest.EnvID + "/bucketing.json" }

// assertMessage asserts that body is a Flagship error body whose message
// starts with want.
func assertMessage(t testing.TB, body, want string) {
	t.Helper()
	var m struct {
		Message *string `json:"message"`
	}
	if !assert.NoError(t, json.Unmarshal([]byte(body), &m), body) || !assert.NotNil(t, m.Message, body) {
		return
	}
	assert.True(t, strings.HasPrefix(*m.Message, want), "message %q does not start with %q", *m.Message, want)
}
