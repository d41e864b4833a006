package model

// ValidAlias tells whether a is an alternate domain name CloudFront
// accepts in Aliases (the same rule ParseDistributionConfig applies).
func ValidAlias(a string) bool { return validAlias(a) }
