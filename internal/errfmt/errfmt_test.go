package errfmt_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed27eed597/flagship-go/internal/errfmt"
)

var (
	errEmpty = errors.New("visitor: empty visitor id")
	errCache = errors.New("bucketing: cache")
	errFile  = errors.New("bucketing: invalid file")
)

// codeError is a typed error with its own prefix, found with errors.As.
type codeError struct{ code int }

func (e *codeError) Error() string { return fmt.Sprintf("bucketing: fetch: status %d", e.code) }

func TestErrorf(t *testing.T) {
	tests := []struct {
		name       string
		giveFormat string
		giveArgs   []any
		want       string
		wantIs     []error
	}{
		{
			name: "sentinel of the same package", giveFormat: "visitor: new: %w", giveArgs: []any{errEmpty},
			want: "visitor: new: empty visitor id", wantIs: []error{errEmpty},
		},
		{
			name: "prefix from the first operand", giveFormat: "%w: load %s: %w", giveArgs: []any{errCache, "f.json", errFile},
			want: "bucketing: cache: load f.json: invalid file", wantIs: []error{errCache, errFile},
		},
		{
			name: "typed error of the same package", giveFormat: "bucketing: poll: %w", giveArgs: []any{&codeError{500}},
			want: "bucketing: poll: fetch: status 500",
		},
		{
			name: "another package's error is kept whole", giveFormat: "bucketing: record activation: %w: %w", giveArgs: []any{errEmpty, errFile},
			want: "bucketing: record activation: visitor: empty visitor id: invalid file", wantIs: []error{errEmpty, errFile},
		},
		{
			name: "errors printed with %v are trimmed too", giveFormat: "visitor: activate %q: %v", giveArgs: []any{"k", errEmpty},
			want: `visitor: activate "k": empty visitor id`,
		},
		{
			name: "no prefix: fmt.Errorf", giveFormat: "record %d: %w", giveArgs: []any{3, errEmpty},
			want: "record 3: visitor: empty visitor id", wantIs: []error{errEmpty},
		},
		{
			name: "first operand without a prefix", giveFormat: "%w: %w", giveArgs: []any{fs.ErrNotExist, errEmpty},
			want: "file does not exist: visitor: empty visitor id", wantIs: []error{fs.ErrNotExist, errEmpty},
		},
		{
			name: "nil error operand", giveFormat: "visitor: x: %v", giveArgs: []any{error(nil)},
			want: "visitor: x: <nil>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := errfmt.Errorf(tt.giveFormat, tt.giveArgs...)
			assert.EqualError(t, err, tt.want)
			for _, target := range tt.wantIs {
				assert.ErrorIs(t, err, target)
			}
		})
	}
}

func TestErrorf_as(t *testing.T) {
	err := errfmt.Errorf("bucketing: poll: %w", &codeError{503})
	var ce *codeError
	if assert.ErrorAs(t, err, &ce) {
		assert.Equal(t, 503, ce.code)
	}
}

func TestErrorf_argsUnchanged(t *testing.T) {
	args := []any{errEmpty}
	_ = errfmt.Errorf("visitor: new: %w", args...)
	assert.Same(t, errEmpty, args[0])
}
