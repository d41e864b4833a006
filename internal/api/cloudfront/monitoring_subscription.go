package cloudfront

import (
	"net/http"

	"openfront/internal/model"
)

// Monitoring subscriptions (2020-05-31): the model's responseCode is 200
// for all three, DeleteMonitoringSubscription's answer has no body.

const monitoringSubscription = "MonitoringSubscription"

func (h *Handler) createMonitoringSubscription(w http.ResponseWriter, r *http.Request) error {
	t, err := h.decode(r, monitoringSubscription, monitoringSubscription)
	if err != nil {
		return err
	}
	// RealtimeMetricsSubscriptionConfig is optional (API reference,
	// CreateMonitoringSubscription): without it nothing is switched on. Its
	// status is required, which the model's validation checked.
	status, _ := model.Str(t, "RealtimeMetricsSubscriptionConfig", "RealtimeMetricsSubscriptionStatus")
	rec, err := h.control.PutMonitoringSubscription(r.Context(), r.PathValue("DistributionId"), status)
	if err != nil {
		return err
	}
	return h.write(w, r, http.StatusOK, monitoringSubscription, monitoringSubscription, monitoringSubscriptionTree(rec))
}

func (h *Handler) getMonitoringSubscription(w http.ResponseWriter, r *http.Request) error {
	rec, err := h.control.GetMonitoringSubscription(r.Context(), r.PathValue("DistributionId"))
	if err != nil {
		return err
	}
	return h.write(w, r, http.StatusOK, monitoringSubscription, monitoringSubscription, monitoringSubscriptionTree(rec))
}

func (h *Handler) deleteMonitoringSubscription(w http.ResponseWriter, r *http.Request) error {
	if err := h.control.DeleteMonitoringSubscription(r.Context(), r.PathValue("DistributionId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func monitoringSubscriptionTree(rec *model.MonitoringSubscriptionRecord) model.Tree {
	if rec.RealtimeMetricsSubscriptionStatus == "" {
		return model.Tree{}
	}
	return model.Tree{"RealtimeMetricsSubscriptionConfig": model.Tree{"RealtimeMetricsSubscriptionStatus": rec.RealtimeMetricsSubscriptionStatus}}
}
