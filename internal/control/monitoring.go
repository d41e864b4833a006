package control

import (
	"context"
	"encoding/json"

	"openfront/internal/model"
	"openfront/internal/store"
)

// Monitoring subscriptions switch a distribution's additional metrics on
// or off ("Viewing additional CloudFront distribution metrics", Amazon
// CloudFront Developer Guide). One per distribution, stored under
// monsub/<id>; the edge's snapshot reads them (internal/metrics exports
// the additional series of the distributions that have one Enabled).

// PutMonitoringSubscription creates or replaces a distribution's monitoring
// subscription (CreateMonitoringSubscription). Replacing is how a
// subscription is changed: the API has no update operation, and the AWS
// provider for Terraform updates aws_cloudfront_monitoring_subscription by
// calling CreateMonitoringSubscription again. An empty status is a
// subscription without a RealtimeMetricsSubscriptionConfig (optional in the
// API): nothing is switched on.
func (c *Control) PutMonitoringSubscription(ctx context.Context, distID, status string) (*model.MonitoringSubscriptionRecord, error) {
	if status != "Enabled" && status != "Disabled" && status != "" {
		return nil, model.Errorf("InvalidArgument", "RealtimeMetricsSubscriptionStatus must be Enabled or Disabled.")
	}
	rec := &model.MonitoringSubscriptionRecord{DistributionID: distID, RealtimeMetricsSubscriptionStatus: status}
	value, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	_, err = c.store.Update(ctx, func(tx store.Txn) error {
		if _, err := c.getDist(tx, distID); err != nil {
			return err
		}
		return tx.Put(model.MonitoringSubscriptionKey(distID), value)
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// GetMonitoringSubscription returns a distribution's monitoring
// subscription.
func (c *Control) GetMonitoringSubscription(ctx context.Context, distID string) (*model.MonitoringSubscriptionRecord, error) {
	var rec model.MonitoringSubscriptionRecord
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		if _, err := c.getDist(tx, distID); err != nil {
			return err
		}
		kv, ok, err := tx.Get(model.MonitoringSubscriptionKey(distID))
		if err != nil {
			return err
		}
		if !ok {
			return errNoSuchMonitoringSubscription()
		}
		return json.Unmarshal(kv.Value, &rec)
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// DeleteMonitoringSubscription removes a distribution's monitoring
// subscription (its additional metrics stop).
func (c *Control) DeleteMonitoringSubscription(ctx context.Context, distID string) error {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		if _, err := c.getDist(tx, distID); err != nil {
			return err
		}
		key := model.MonitoringSubscriptionKey(distID)
		if _, ok, err := tx.Get(key); err != nil {
			return err
		} else if !ok {
			return errNoSuchMonitoringSubscription()
		}
		return tx.Delete(key)
	})
	return err
}

func errNoSuchMonitoringSubscription() error {
	return model.Errorf("NoSuchMonitoringSubscription", "A monitoring subscription does not exist for the specified distribution.")
}
