package decision

import "github.com/seed27eed597/flagship-go/internal/version"

// SDKVersion is the version of this SDK. [APIClient] sends it in the
// x-sdk-version and User-Agent headers unless APIOptions.SDKVersion
// overrides it, and visitors put it in their context (fs_version).
const SDKVersion = version.SDK
