// Package semver parses and compares semantic versions the way Flagship's
// SEMVER_* targeting operators do: a string is prefixed with "v" unless it
// already starts with a lower-case 'v', then validated and compared with the
// rules of golang.org/x/mod/semver (vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]],
// no leading zeros, shorthands vMAJOR and vMAJOR.MINOR only without
// prerelease or build). The empty string is invalid. Nothing allocates.
package semver
