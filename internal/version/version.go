package version

// SDK is the version of this SDK, sent in the x-sdk-version header and,
// after "flagship-go/", in the User-Agent header.
const SDK = "0.1.0"

// UserAgent is the User-Agent header of every request the SDK sends.
const UserAgent = "flagship-go/" + SDK
