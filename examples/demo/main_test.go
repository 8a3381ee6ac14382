package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"-visitors", "300", "-workers", "8"}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errs.String())
	}
	for _, want := range []string{"300 visitors", "Checkout flow A/B test", "http-hits", "p99", "OK: every record enqueued was delivered."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunBadFlags(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"-visitors", "0"}, &out, &errs); code != 2 {
		t.Errorf("-visitors 0: exit %d, want 2", code)
	}
	if code := run(context.Background(), []string{"-nope"}, &out, &errs); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}
