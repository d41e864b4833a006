package cloudfront

import (
	"net/http"
	"strconv"

	"openfront/internal/api/awsproto"
	"openfront/internal/control"
	"openfront/internal/model"
)

// The rest of the distribution surface: the lists of distributions by the
// resource they use, alternate domain name moves and conflicts, and
// resource policies (API Reference, 2020-05-31).

// listDistributionsByKeyGroup serves ListDistributionsByKeyGroup: the ids
// of the distributions trusting the key group.
func (h *Handler) listDistributionsByKeyGroup(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	ids, page, err := h.control.ListKeyGroupDistributions(r.Context(), r.PathValue("KeyGroupId"), opts)
	if err != nil {
		return err
	}
	return h.writeDistributionIDs(w, r, ids, page)
}

func (h *Handler) writeDistributionIDs(w http.ResponseWriter, r *http.Request, ids []string, page control.Page) error {
	items := make([]any, len(ids))
	for i, id := range ids {
		items[i] = id
	}
	return h.write(w, r, http.StatusOK, "DistributionIdList", "DistributionIdList", listTree(page, items))
}

// listDistributionsByConnectionMode serves
// ListDistributionsByConnectionMode (a DistributionList).
func (h *Handler) listDistributionsByConnectionMode(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	ds, page, err := h.control.ListDistributionsByConnectionMode(r.Context(), r.PathValue("ConnectionMode"), opts)
	if err != nil {
		return err
	}
	return h.writeDistributions(w, r, ds, page)
}

// listDistributionsByUnserved answers the lists of distributions by a
// kind of resource OpenFront does not have (control.UnservedResourceNotFound):
// the paging parameters are checked, then the resource is not found.
func listDistributionsByUnserved(what, pathLabel, queryParam string) func(*Handler, http.ResponseWriter, *http.Request) error {
	return func(h *Handler, w http.ResponseWriter, r *http.Request) error {
		if _, err := listOptions(r, 0); err != nil {
			return err
		}
		id := r.URL.Query().Get(queryParam)
		if pathLabel != "" {
			id = r.PathValue(pathLabel)
		}
		if id == "" {
			return awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The parameter %s is required.", queryParam)
		}
		return control.UnservedResourceNotFound(what, id)
	}
}

// listDistributionsByOwnedResource serves ListDistributionsByOwnedResource:
// the resource must be a shareable one this account owns, and OpenFront
// has none (control.CheckShareableResource).
func (h *Handler) listDistributionsByOwnedResource(w http.ResponseWriter, r *http.Request) error {
	if _, err := listOptions(r, 0); err != nil {
		return err
	}
	return h.control.CheckShareableResource(r.PathValue("ResourceArn"))
}

// associateAlias serves AssociateAlias: 200 with no body.
func (h *Handler) associateAlias(w http.ResponseWriter, r *http.Request) error {
	alias := r.URL.Query().Get("Alias")
	if alias == "" {
		return awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The parameter Alias is required.")
	}
	if err := h.control.AssociateAlias(r.Context(), r.PathValue("TargetDistributionId"), alias); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// listConflictingAliases serves ListConflictingAliases; MaxItems is at
// most 100 (listConflictingAliasesMaxItemsInteger).
func (h *Handler) listConflictingAliases(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	id, alias := q.Get("DistributionId"), q.Get("Alias")
	switch {
	case id == "" || len(id) > 25:
		return awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The parameter DistributionId is required (at most 25 characters).")
	case alias == "" || len(alias) > 253:
		return awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The parameter Alias is required (at most 253 characters).")
	}
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	if opts.MaxItems > 100 {
		return awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The parameter MaxItems must be at most 100.")
	}
	items, page, err := h.control.ConflictingAliases(r.Context(), id, alias, model.Errorf("NoSuchDistribution", "The specified distribution does not exist."), opts)
	if err != nil {
		return err
	}
	list := make([]any, len(items))
	for i, a := range items {
		list[i] = model.Tree{"Alias": a.Alias, "DistributionId": a.DistributionID, "AccountId": a.AccountID}
	}
	t := model.Tree{"MaxItems": strconv.Itoa(page.MaxItems), "Quantity": strconv.Itoa(len(list))}
	if page.IsTruncated {
		t["NextMarker"] = page.NextMarker
	}
	if len(list) > 0 {
		t["Items"] = list
	}
	return h.write(w, r, http.StatusOK, "ConflictingAliasesList", "ConflictingAliasesList", t)
}

// listDomainConflicts serves ListDomainConflicts: the conflicting aliases
// of the domain, as DomainConflicts of resource type distribution.
func (h *Handler) listDomainConflicts(w http.ResponseWriter, r *http.Request) error {
	t, err := h.decode(r, "ListDomainConflictsRequest", "ListDomainConflictsRequest")
	if err != nil {
		return err
	}
	opts, err := bodyListOptions(t)
	if err != nil {
		return err
	}
	domain := model.StrOr(t, "", "Domain")
	distID := model.StrOr(t, "", "DomainControlValidationResource", "DistributionId")
	tenantID := model.StrOr(t, "", "DomainControlValidationResource", "DistributionTenantId")
	switch {
	case (distID == "") == (tenantID == ""):
		return awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "Specify either DomainControlValidationResource.DistributionId or DistributionTenantId, not both.")
	case tenantID != "":
		return model.Errorf("EntityNotFound", "The distribution tenant %q does not exist (OpenFront has no distribution tenants).", tenantID)
	}
	items, page, err := h.control.ConflictingAliases(r.Context(), distID, domain, model.Errorf("EntityNotFound", "The distribution %q does not exist.", distID), opts)
	if err != nil {
		return err
	}
	list := make([]any, len(items))
	for i, a := range items {
		list[i] = model.Tree{"Domain": a.Alias, "ResourceType": "distribution", "ResourceId": a.DistributionID, "AccountId": a.AccountID}
	}
	out := model.Tree{"DomainConflicts": list}
	if page.IsTruncated {
		out["NextMarker"] = page.NextMarker
	}
	return h.write(w, r, http.StatusOK, "ListDomainConflictsResult", "ListDomainConflictsResult", out)
}

// updateDomainAssociation serves UpdateDomainAssociation; If-Match is the
// target distribution's ETag and the answer carries its new one.
func (h *Handler) updateDomainAssociation(w http.ResponseWriter, r *http.Request) error {
	t, err := h.decode(r, "UpdateDomainAssociationRequest", "UpdateDomainAssociationRequest")
	if err != nil {
		return err
	}
	domain := model.StrOr(t, "", "Domain")
	distID := model.StrOr(t, "", "TargetResource", "DistributionId")
	etag, err := h.control.UpdateDomainAssociation(r.Context(), domain, distID, model.StrOr(t, "", "TargetResource", "DistributionTenantId"), ifMatch(r))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag)
	return h.write(w, r, http.StatusOK, "UpdateDomainAssociationResult", "UpdateDomainAssociationResult", model.Tree{"Domain": domain, "ResourceId": distID})
}

// The resource policy operations name a shareable resource, and OpenFront
// has none (control.CheckShareableResource): each answers the error
// CloudFront gives for the ARN, after reading the request as the model
// says.
func resourcePolicyOperation(root string, needsDocument bool) func(*Handler, http.ResponseWriter, *http.Request) error {
	return func(h *Handler, w http.ResponseWriter, r *http.Request) error {
		t, err := h.decode(r, root, root)
		if err != nil {
			return err
		}
		arn := model.StrOr(t, "", "ResourceArn")
		if arn == "" {
			return awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The parameter ResourceArn is required.")
		}
		if needsDocument && model.StrOr(t, "", "PolicyDocument") == "" {
			return awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The parameter PolicyDocument is required.")
		}
		return h.control.CheckShareableResource(arn)
	}
}
