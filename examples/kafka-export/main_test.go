package main

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The program's run against a broker is tested by the kafkatest module
// (TestKafkaExport), which builds this program: this module cannot
// import its broker.

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestParseConfig(t *testing.T) {
	defaults := func(c config) config {
		c.topic, c.visitors, c.flag, c.timeout = "flagship-events", 100, "btn-color", 30*time.Second
		return c
	}
	tests := []struct {
		name     string
		giveArgs []string
		giveEnv  map[string]string
		want     config
	}{
		{
			name:     "in-process Flagship",
			giveArgs: []string{"-brokers", "k1:9092, k2:9092,"},
			want:     defaults(config{brokers: []string{"k1:9092", "k2:9092"}}),
		},
		{
			name:     "local Flagship server, default environment",
			giveArgs: []string{"-brokers", "k1:9092", "-flagship-url", "http://127.0.0.1:8080", "-kafka-only", "-visitors", "5", "-topic", "t"},
			want: config{brokers: []string{"k1:9092"}, topic: "t", kafkaOnly: true, visitors: 5, flag: "btn-color",
				timeout: 30 * time.Second, flagshipURL: "http://127.0.0.1:8080", envID: "flagshiptest-env"},
		},
		{
			name:     "local Flagship server, environment from the variables",
			giveArgs: []string{"-brokers", "k1:9092", "-flagship-url", "http://127.0.0.1:8080"},
			giveEnv:  map[string]string{"FLAGSHIP_ENV_ID": "env-1", "FLAGSHIP_API_KEY": "key-1"},
			want:     defaults(config{brokers: []string{"k1:9092"}, flagshipURL: "http://127.0.0.1:8080", envID: "env-1", apiKey: "key-1"}),
		},
		{
			name:     "Flagship",
			giveArgs: []string{"-brokers", "k1:9092", "-cache-dir", "/var/cache/x", "-create-topic", "-timeout", "5s", "-flag", "f", "-v"},
			giveEnv:  map[string]string{"FLAGSHIP_ENV_ID": "env-1", "FLAGSHIP_API_KEY": "key-1"},
			want: config{brokers: []string{"k1:9092"}, topic: "flagship-events", visitors: 100, flag: "f", createTopic: true,
				cacheDir: "/var/cache/x", timeout: 5 * time.Second, verbose: true, envID: "env-1", apiKey: "key-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(tt.giveArgs, func(k string) string { return tt.giveEnv[k] }, io.Discard)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name     string
		giveArgs []string
		giveEnv  map[string]string
	}{
		{name: "no brokers", giveArgs: nil},
		{name: "empty brokers", giveArgs: []string{"-brokers", " , "}},
		{name: "empty topic", giveArgs: []string{"-brokers", "k:9092", "-topic", ""}},
		{name: "no visitors", giveArgs: []string{"-brokers", "k:9092", "-visitors", "0"}},
		{name: "empty flag", giveArgs: []string{"-brokers", "k:9092", "-flag", ""}},
		{name: "zero timeout", giveArgs: []string{"-brokers", "k:9092", "-timeout", "0s"}},
		{name: "argument", giveArgs: []string{"-brokers", "k:9092", "extra"}},
		{name: "unknown flag", giveArgs: []string{"-brokers", "k:9092", "-nope"}},
		{name: "environment without key", giveArgs: []string{"-brokers", "k:9092"}, giveEnv: map[string]string{"FLAGSHIP_ENV_ID": "env-1"}},
		{name: "key without environment", giveArgs: []string{"-brokers", "k:9092"}, giveEnv: map[string]string{"FLAGSHIP_API_KEY": "key-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.giveArgs, func(k string) string { return tt.giveEnv[k] }, io.Discard)
			assert.Error(t, err)
		})
	}
	_, err := parseConfig([]string{"-h"}, func(string) string { return "" }, io.Discard)
	assert.ErrorIs(t, err, flag.ErrHelp)
}
