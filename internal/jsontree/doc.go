// Package jsontree parses JSON into a small ordered tree, strictly: invalid
// UTF-8, control characters in strings, lone surrogates, trailing data and
// nesting deeper than a limit are errors. Objects keep every member in
// input order, duplicates included, so that callers can apply their own
// duplicate-key rules (protobuf JSON rejects duplicate known fields but not
// duplicate unknown ones).
package jsontree
