package model

// MonitoringSubscriptionRecord is a distribution's monitoring subscription
// (CreateMonitoringSubscription), under monsub/<distribution id>. Enabled
// switches on the distribution's additional metrics ("Viewing additional
// CloudFront distribution metrics", Amazon CloudFront Developer Guide).
type MonitoringSubscriptionRecord struct {
	DistributionID string
	// RealtimeMetricsSubscriptionStatus is "Enabled", "Disabled" or ""
	// (the subscription has no RealtimeMetricsSubscriptionConfig).
	RealtimeMetricsSubscriptionStatus string
}
