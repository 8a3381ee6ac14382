// Package version holds the SDK's version, in one place: the Decision API
// client, the bucketing poller and the HTTP sink send it in their request
// headers, and package decision re-exports it as decision.SDKVersion,
// which visitors put in their context (fs_version).
package version
