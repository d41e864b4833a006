package cloudfront

import (
	"encoding/base64"
	"net/http"
	"strconv"

	"openfront/internal/api/awsproto"
	"openfront/internal/control"
	"openfront/internal/model"
)

// CloudFront Functions (2020-05-31 model: CreateFunction, DescribeFunction,
// GetFunction, UpdateFunction, PublishFunction, TestFunction,
// DeleteFunction, ListFunctions).

// functionInput reads the FunctionConfig and FunctionCode of a
// CreateFunctionRequest or UpdateFunctionRequest.
func functionInput(req model.Tree) (control.FunctionInput, error) {
	in := control.FunctionInput{
		Comment: model.StrOr(req, "", "FunctionConfig", "Comment"),
		Runtime: model.StrOr(req, "", "FunctionConfig", "Runtime"),
	}
	for _, a := range model.StructItems(model.Sub(req, "FunctionConfig"), "KeyValueStoreAssociations") {
		in.KeyValueStoreARNs = append(in.KeyValueStoreARNs, model.StrOr(a, "", "KeyValueStoreARN"))
	}
	for _, t := range model.StructItems(req, "Tags") {
		in.Tags = append(in.Tags, control.Tag{Key: model.StrOr(t, "", "Key"), Value: model.StrOr(t, "", "Value")})
	}
	code, err := base64.StdEncoding.DecodeString(model.StrOr(req, "", "FunctionCode"))
	if err != nil {
		return in, awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The parameter FunctionCode is not valid base64.")
	}
	in.Code = code
	return in, nil
}

func (h *Handler) createFunction(w http.ResponseWriter, r *http.Request) error {
	req, err := h.decode(r, "CreateFunctionRequest", "CreateFunctionRequest")
	if err != nil {
		return err
	}
	in, err := functionInput(req)
	if err != nil {
		return err
	}
	fn, err := h.control.CreateFunction(r.Context(), model.StrOr(req, "", "Name"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, "/function/"+fn.Name))
	w.Header().Set("ETag", fn.ETag)
	return h.write(w, r, http.StatusCreated, "FunctionSummary", "FunctionSummary", functionSummaryTree(fn))
}

func (h *Handler) describeFunction(w http.ResponseWriter, r *http.Request) error {
	fn, err := h.control.DescribeFunction(r.Context(), r.PathValue("Name"), r.URL.Query().Get("Stage"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", fn.ETag)
	return h.write(w, r, http.StatusOK, "FunctionSummary", "FunctionSummary", functionSummaryTree(fn))
}

// getFunction answers with the code itself as the body (GetFunctionResult's
// payload is the FunctionCode blob).
func (h *Handler) getFunction(w http.ResponseWriter, r *http.Request) error {
	fn, err := h.control.GetFunction(r.Context(), r.PathValue("Name"), r.URL.Query().Get("Stage"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", fn.ETag)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(fn.Code)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(fn.Code)
	return err
}

// updateFunction sends the new ETag in ETag and in ETtag, the header name
// botocore's model gives UpdateFunctionResult.ETag (the Go SDK and
// Terraform read that one).
func (h *Handler) updateFunction(w http.ResponseWriter, r *http.Request) error {
	req, err := h.decode(r, "UpdateFunctionRequest", "UpdateFunctionRequest")
	if err != nil {
		return err
	}
	in, err := functionInput(req)
	if err != nil {
		return err
	}
	fn, err := h.control.UpdateFunction(r.Context(), r.PathValue("Name"), ifMatch(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", fn.ETag)
	w.Header()["ETtag"] = []string{fn.ETag}
	return h.write(w, r, http.StatusOK, "FunctionSummary", "FunctionSummary", functionSummaryTree(fn))
}

func (h *Handler) publishFunction(w http.ResponseWriter, r *http.Request) error {
	fn, err := h.control.PublishFunction(r.Context(), r.PathValue("Name"), ifMatch(r))
	if err != nil {
		return err
	}
	return h.write(w, r, http.StatusOK, "FunctionSummary", "FunctionSummary", functionSummaryTree(fn))
}

func (h *Handler) testFunction(w http.ResponseWriter, r *http.Request) error {
	req, err := h.decode(r, "TestFunctionRequest", "TestFunctionRequest")
	if err != nil {
		return err
	}
	event, err := base64.StdEncoding.DecodeString(model.StrOr(req, "", "EventObject"))
	if err != nil {
		return awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The parameter EventObject is not valid base64.")
	}
	if len(event) > 40960 {
		return awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The parameter EventObject is longer than 40960 bytes.")
	}
	res, err := h.control.TestFunction(r.Context(), r.PathValue("Name"), ifMatch(r), model.StrOr(req, "", "Stage"), event)
	if err != nil {
		return err
	}
	logs := make([]any, len(res.Logs))
	for i, l := range res.Logs {
		logs[i] = l
	}
	tr := model.Tree{
		"FunctionSummary":       functionSummaryTree(res.Function),
		"ComputeUtilization":    res.ComputeUtilization,
		"FunctionExecutionLogs": logs,
		"FunctionErrorMessage":  res.ErrorMessage,
		"FunctionOutput":        res.Output,
	}
	return h.write(w, r, http.StatusOK, "TestResult", "TestResult", tr)
}

func (h *Handler) deleteFunction(w http.ResponseWriter, r *http.Request) error {
	if err := h.control.DeleteFunction(r.Context(), r.PathValue("Name"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listFunctions(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	fns, p, err := h.control.ListFunctions(r.Context(), r.URL.Query().Get("Stage"), opts)
	if err != nil {
		return err
	}
	items := make([]any, len(fns))
	for i, fn := range fns {
		items[i] = functionSummaryTree(fn)
	}
	t := model.Tree{"MaxItems": strconv.Itoa(p.MaxItems), "Quantity": strconv.Itoa(len(items))}
	if p.IsTruncated {
		t["NextMarker"] = p.NextMarker
	}
	if len(items) > 0 {
		t["Items"] = items
	}
	return h.write(w, r, http.StatusOK, "FunctionList", "FunctionList", t)
}

func functionSummaryTree(fn *control.Function) model.Tree {
	cfg := model.Tree{"Comment": fn.Comment, "Runtime": fn.Runtime}
	if len(fn.KeyValueStoreARNs) > 0 {
		items := make([]any, len(fn.KeyValueStoreARNs))
		for i, arn := range fn.KeyValueStoreARNs {
			items[i] = model.Tree{"KeyValueStoreARN": arn}
		}
		cfg["KeyValueStoreAssociations"] = model.Tree{"Quantity": strconv.Itoa(len(items)), "Items": items}
	}
	return model.Tree{
		"Name":           fn.Name,
		"Status":         fn.Status,
		"FunctionConfig": cfg,
		"FunctionMetadata": model.Tree{
			"FunctionARN":      fn.ARN,
			"Stage":            fn.Stage,
			"CreatedTime":      timestamp(fn.CreatedTime),
			"LastModifiedTime": timestamp(fn.LastModified),
		},
	}
}
