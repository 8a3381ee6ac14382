package decision

// SDKVersion is the version of this SDK. [APIClient] sends it in the
// x-sdk-version and User-Agent headers unless APIOptions.SDKVersion
// overrides it.
const SDKVersion = "0.1.0"
