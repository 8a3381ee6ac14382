// Package readmetest provides helpers for the tests that check README.md
// against the code: reading the README, finding its Markdown tables and
// splitting their rows, and writing values the way the README writes them.
//
// Failures name README.md and a line number counted from 1.
package readmetest
