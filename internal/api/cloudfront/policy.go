package cloudfront

import (
	"net/http"

	"openfront/internal/control"
	"openfront/internal/model"
)

// policyAPI is the wire side of one policy kind: the element names of its
// documents. Cache policies and origin request policies have the same
// operations with these names changed.
type policyAPI[P any] struct {
	kind     *control.PolicyKind[P]
	resource string // "CachePolicy": the document and its path
	path     string // "/cache-policy/"
}

var (
	cachePolicyAPI           = &policyAPI[model.CachePolicy]{kind: control.CachePolicies, resource: "CachePolicy", path: "/cache-policy/"}
	originRequestPolicyAPI   = &policyAPI[model.OriginRequestPolicy]{kind: control.OriginRequestPolicies, resource: "OriginRequestPolicy", path: "/origin-request-policy/"}
	responseHeadersPolicyAPI = &policyAPI[model.ResponseHeadersPolicy]{kind: control.ResponseHeadersPolicies, resource: "ResponseHeadersPolicy", path: "/response-headers-policy/"}
)

func (a *policyAPI[P]) configName() string { return a.resource + "Config" }

func (a *policyAPI[P]) tree(p *control.Policy) model.Tree {
	return model.Tree{"Id": p.ID, "LastModifiedTime": timestamp(p.LastModified), a.configName(): p.Config}
}

func (a *policyAPI[P]) create(h *Handler, w http.ResponseWriter, r *http.Request) error {
	cfg, err := h.decode(r, a.configName(), a.configName())
	if err != nil {
		return err
	}
	p, err := control.CreatePolicy(r.Context(), h.control, a.kind, cfg)
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, a.path+p.ID))
	w.Header().Set("ETag", p.ETag)
	return h.write(w, r, http.StatusCreated, a.resource, a.resource, a.tree(p))
}

func (a *policyAPI[P]) get(h *Handler, w http.ResponseWriter, r *http.Request) error {
	p, err := control.GetPolicy(r.Context(), h.control, a.kind, r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", p.ETag)
	return h.write(w, r, http.StatusOK, a.resource, a.resource, a.tree(p))
}

func (a *policyAPI[P]) getConfig(h *Handler, w http.ResponseWriter, r *http.Request) error {
	p, err := control.GetPolicy(r.Context(), h.control, a.kind, r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", p.ETag)
	return h.write(w, r, http.StatusOK, a.configName(), a.configName(), p.Config)
}

func (a *policyAPI[P]) update(h *Handler, w http.ResponseWriter, r *http.Request) error {
	body := h.decodeOnce(r, a.configName(), a.configName())
	p, err := control.UpdatePolicy(r.Context(), h.control, a.kind, r.PathValue("Id"), ifMatch(r), func(model.Tree) (model.Tree, error) {
		return body()
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", p.ETag)
	return h.write(w, r, http.StatusOK, a.resource, a.resource, a.tree(p))
}

func (a *policyAPI[P]) delete(h *Handler, w http.ResponseWriter, r *http.Request) error {
	if err := control.DeletePolicy(r.Context(), h.control, a.kind, r.PathValue("Id"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// list answers ListCachePolicies / ListOriginRequestPolicies; Type
// (managed or custom) keeps one set.
func (a *policyAPI[P]) list(h *Handler, w http.ResponseWriter, r *http.Request) error {
	typ := r.URL.Query().Get("Type")
	if typ != "" && typ != "managed" && typ != "custom" {
		return model.Errorf("InvalidArgument", "The parameter Type must be managed or custom, not %q.", typ)
	}
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	ps, page, err := control.ListPolicies(r.Context(), h.control, a.kind, typ, opts)
	if err != nil {
		return err
	}
	items := make([]any, len(ps))
	for i, p := range ps {
		t := "custom"
		if p.Managed {
			t = "managed"
		}
		items[i] = model.Tree{"Type": t, a.resource: a.tree(p)}
	}
	return h.write(w, r, http.StatusOK, a.resource+"List", a.resource+"List", listTree(page, items))
}

// listDistributions answers ListDistributionsBy<Resource>Id: the ids of
// the distributions that use the policy.
func (a *policyAPI[P]) listDistributions(h *Handler, w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	ids, page, err := control.ListPolicyDistributions(r.Context(), h.control, a.kind, r.PathValue(a.resource+"Id"), opts)
	if err != nil {
		return err
	}
	items := make([]any, len(ids))
	for i, id := range ids {
		items[i] = id
	}
	return h.write(w, r, http.StatusOK, "DistributionIdList", "DistributionIdList", listTree(page, items))
}
