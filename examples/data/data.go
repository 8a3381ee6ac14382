// Package data holds the bucketing file the demo and the examples run on:
// an environment with four campaigns, as Flagship's CDN would serve it.
//
//   - "Checkout flow A/B test" (ab): classic against one-page checkout,
//     50/50, flags checkoutFlow and checkoutSteps.
//   - "Dark mode rollout" (toggle): darkMode on for 30% of visitors.
//   - "Product page multivariate test" (ab): two flags, productLayout and
//     ctaText, in four combinations allocated 40/30/20/10.
//   - "Free shipping for loyalty members" (perso): only visitors whose
//     context has loyalty "silver" or "gold", freeShippingThreshold 50 or
//     0, 50/50.
package data

import _ "embed"

// Bucketing is examples/data/bucketing.json.
//
//go:embed bucketing.json
var Bucketing []byte
