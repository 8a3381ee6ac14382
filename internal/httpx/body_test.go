package httpx_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/internal/httpx"
)

func TestReadBody(t *testing.T) {
	const limit = 16
	tests := []struct {
		name        string
		giveSize    int
		giveChunked bool // no Content-Length: the size is found by reading
		want        string
		wantErr     string
	}{
		{name: "empty", giveSize: 0, want: ""},
		{name: "under the limit", giveSize: 5, want: "aaaaa"},
		{name: "at the limit", giveSize: limit, want: strings.Repeat("a", limit)},
		{name: "at the limit, chunked", giveSize: limit, giveChunked: true, want: strings.Repeat("a", limit)},
		{name: "announced larger", giveSize: limit + 1, wantErr: "response body of 17 bytes, more than 16"},
		{name: "found larger", giveSize: limit + 1, giveChunked: true, wantErr: "response body of more than 16 bytes"},
		{name: "much larger", giveSize: 1 << 20, giveChunked: true, wantErr: "response body of more than 16 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if !tt.giveChunked {
					w.Header().Set("Content-Length", strconv.Itoa(tt.giveSize))
				}
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush() // without Content-Length, the body is chunked
				_, _ = w.Write([]byte(strings.Repeat("a", tt.giveSize)))
			})
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
			require.NoError(t, err)
			resp, err := newClient(t).Do(req)
			require.NoError(t, err)
			defer httpx.DrainClose(resp.Body)

			got, err := httpx.ReadBody(resp, limit)
			var tooLarge *httpx.TooLargeError
			assert.Equal(t, tt.wantErr != "", errors.As(err, &tooLarge), err)
			assert.Equal(t, tt.wantErr, errString(err))
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
