package model

// API version 2016-01-13 has no cache policies: its DefaultCacheBehavior and
// CacheBehavior require ForwardedValues and MinTTL. A behaviour that names a
// cache policy is shown to such a client with the legacy settings that say
// what the policy does, and those settings are ignored when the client sends
// the config back: the policy, which that version cannot see or change,
// stays in charge. So a 2020-05-31 config reads and round-trips through
// 2016-01-13 unchanged.

// ShowCachePolicyAsLegacy sets behaviour b's ForwardedValues, MinTTL,
// DefaultTTL and MaxTTL to the legacy equivalent of cache policy cp: the
// query strings, cookies and headers in its cache key (which CloudFront
// also forwards to the origin) and its TTLs. "allExcept" cookies or query
// strings are shown as all of them, the nearest legacy setting.
func ShowCachePolicyAsLegacy(b Tree, cp CachePolicy) {
	cookies := Tree{"Forward": "none"}
	switch cp.Cookies.Behavior {
	case "whitelist":
		cookies = Tree{"Forward": "whitelist", "WhitelistedNames": Wrapper(cp.Cookies.Names)}
	case "all", "allExcept":
		cookies = Tree{"Forward": "all"}
	}
	var keys []string
	if cp.QueryStrings.Behavior == "whitelist" {
		keys = cp.QueryStrings.Names
	}
	b["ForwardedValues"] = Tree{
		"QueryString":          boolString(cp.QueryStrings.Behavior != "" && cp.QueryStrings.Behavior != "none"),
		"Cookies":              cookies,
		"Headers":              Wrapper(cp.Headers),
		"QueryStringCacheKeys": Wrapper(keys),
	}
	b["MinTTL"], b["DefaultTTL"], b["MaxTTL"] = itoa(cp.MinTTL), itoa(cp.DefaultTTL), itoa(cp.MaxTTL)
}

// DropLegacyCacheSettings removes ForwardedValues and the TTLs from every
// behaviour of cfg that names a cache policy: what a 2016-01-13 client sends
// back for such a behaviour is what ShowCachePolicyAsLegacy showed it.
func DropLegacyCacheSettings(cfg Tree) {
	for _, b := range append([]Tree{Sub(cfg, "DefaultCacheBehavior")}, StructItems(cfg, "CacheBehaviors")...) {
		if id, _ := Str(b, "CachePolicyId"); id == "" {
			continue
		}
		for _, k := range []string{"ForwardedValues", "MinTTL", "DefaultTTL", "MaxTTL"} {
			delete(b, k)
		}
	}
}

// BehaviorsNamingCachePolicy returns the behaviours of cfg that name a cache
// policy and have no ForwardedValues.
func BehaviorsNamingCachePolicy(cfg Tree) []Tree {
	var out []Tree
	for _, b := range append([]Tree{Sub(cfg, "DefaultCacheBehavior")}, StructItems(cfg, "CacheBehaviors")...) {
		if id, _ := Str(b, "CachePolicyId"); id != "" && Sub(b, "ForwardedValues") == nil {
			out = append(out, b)
		}
	}
	return out
}
