package cloudfront

import (
	"net/http"

	"openfront/internal/api/awsproto"
	"openfront/internal/control"
	"openfront/internal/model"
)

// createStreamingDistribution serves CreateStreamingDistribution and, with
// ?WithTags, CreateStreamingDistributionWithTags.
func (h *Handler) createStreamingDistribution(w http.ResponseWriter, r *http.Request) error {
	var cfg model.Tree
	var tags []control.Tag
	if _, withTags := r.URL.Query()["WithTags"]; withTags {
		if versionOf(r) < "2020-05-31" {
			return awsproto.Errorf(http.StatusBadRequest, "InvalidURI", "CreateStreamingDistributionWithTags is not part of API version %s.", versionOf(r))
		}
		t, err := h.decode(r, "StreamingDistributionConfigWithTags", "StreamingDistributionConfigWithTags")
		if err != nil {
			return err
		}
		cfg, tags = model.Sub(t, "StreamingDistributionConfig"), tagsFromTree(model.Sub(t, "Tags"))
	} else {
		var err error
		if cfg, err = h.decode(r, "StreamingDistributionConfig", "StreamingDistributionConfig"); err != nil {
			return err
		}
	}
	d, _, err := h.control.CreateStreamingDistribution(r.Context(), cfg, tags)
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, "/streaming-distribution/"+d.ID))
	w.Header().Set("ETag", d.ETag)
	return h.write(w, r, http.StatusCreated, "StreamingDistribution", "StreamingDistribution", h.streamingTree(r, d))
}

func (h *Handler) getStreamingDistribution(w http.ResponseWriter, r *http.Request) error {
	d, err := h.control.GetStreamingDistribution(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", d.ETag)
	return h.write(w, r, http.StatusOK, "StreamingDistribution", "StreamingDistribution", h.streamingTree(r, d))
}

func (h *Handler) getStreamingDistributionConfig(w http.ResponseWriter, r *http.Request) error {
	d, err := h.control.GetStreamingDistribution(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", d.ETag)
	return h.write(w, r, http.StatusOK, "StreamingDistributionConfig", "StreamingDistributionConfig", d.Config)
}

func (h *Handler) updateStreamingDistribution(w http.ResponseWriter, r *http.Request) error {
	m := h.model(r)
	body := h.decodeOnce(r, "StreamingDistributionConfig", "StreamingDistributionConfig")
	d, err := h.control.UpdateStreamingDistribution(r.Context(), r.PathValue("Id"), ifMatch(r), func(stored model.Tree) (model.Tree, error) {
		cfg, err := body()
		if err != nil {
			return nil, err
		}
		return m.Merge(stored, cfg, "StreamingDistributionConfig"), nil
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", d.ETag)
	return h.write(w, r, http.StatusOK, "StreamingDistribution", "StreamingDistribution", h.streamingTree(r, d))
}

func (h *Handler) deleteStreamingDistribution(w http.ResponseWriter, r *http.Request) error {
	if err := h.control.DeleteStreamingDistribution(r.Context(), r.PathValue("Id"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listStreamingDistributions(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	ds, p, err := h.control.ListStreamingDistributions(r.Context(), opts)
	if err != nil {
		return err
	}
	items := make([]any, len(ds))
	for i, d := range ds {
		c := d.Config
		items[i] = model.Tree{
			"Id":               d.ID,
			"ARN":              d.ARN,
			"Status":           d.Status,
			"LastModifiedTime": timestamp(d.LastModified),
			"DomainName":       d.DomainName,
			"S3Origin":         c["S3Origin"],
			"Aliases":          orDefault(c, "Aliases", model.Wrapper[string](nil)),
			"TrustedSigners":   orDefault(c, "TrustedSigners", model.Tree{"Enabled": "false", "Quantity": "0"}),
			"Comment":          model.StrOr(c, "", "Comment"),
			"PriceClass":       model.StrOr(c, "PriceClass_All", "PriceClass"),
			"Enabled":          model.StrOr(c, "false", "Enabled"),
		}
	}
	return h.write(w, r, http.StatusOK, "StreamingDistributionList", "StreamingDistributionList", listTree(p, items))
}

func (h *Handler) streamingTree(r *http.Request, d *control.StreamingDistribution) model.Tree {
	return model.Tree{
		"Id":                          d.ID,
		"ARN":                         d.ARN,
		"Status":                      d.Status,
		"LastModifiedTime":            timestamp(d.LastModified),
		"DomainName":                  d.DomainName,
		"ActiveTrustedSigners":        h.activeTrustedSigners(r, d.TrustedSigners),
		"StreamingDistributionConfig": d.Config,
	}
}
