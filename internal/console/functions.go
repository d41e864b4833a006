package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"openfront/internal/control"
	"openfront/internal/model"
)

// The functions pages: CloudFront Functions with their code (both stages),
// TestFunction run from a form, and publishing DEVELOPMENT to LIVE
// ("Testing functions", "Publishing functions", Amazon CloudFront
// Developer Guide). Both go through package control like the API.

// maxEventBytes is TestFunction's limit on the event object (its
// EventObject is "up to 40 KB", CloudFront API Reference, TestFunction).
const maxEventBytes = 40960

// exampleEvent is a viewer-request event as CloudFront's console proposes
// it ("CloudFront Functions event structure").
const exampleEvent = `{
  "version": "1.0",
  "context": {"eventType": "viewer-request"},
  "viewer": {"ip": "198.51.100.11"},
  "request": {
    "method": "GET",
    "uri": "/index.html",
    "querystring": {"lang": {"value": "en"}},
    "headers": {"host": {"value": "example.org"}, "accept": {"value": "text/html"}},
    "cookies": {}
  }
}`

// functionRow is a function as the list shows it: its DEVELOPMENT stage,
// and whether it has a LIVE one.
type functionRow struct {
	*control.Function
	Live bool
}

func (c *Console) functions(w http.ResponseWriter, r *http.Request, p *principal) {
	var rows []*functionRow
	byName := map[string]*functionRow{}
	marker := ""
	for {
		items, pg, err := c.opts.Control.ListFunctions(r.Context(), "", control.ListOptions{Marker: marker, MaxItems: 1000})
		if err != nil {
			c.controlError(w, err, p)
			return
		}
		for _, fn := range items {
			row := byName[fn.Name]
			if row == nil {
				row = &functionRow{}
				byName[fn.Name] = row
				rows = append(rows, row)
			}
			if fn.Stage == control.StageLive {
				row.Live = true
			}
			if fn.Stage == control.StageDevelopment || row.Function == nil {
				row.Function = fn
			}
		}
		if !pg.IsTruncated || pg.NextMarker == "" || pg.NextMarker == marker {
			break
		}
		marker = pg.NextMarker
	}
	data := pageData(p, "Functions")
	data["Functions"] = rows
	c.render(w, http.StatusOK, "functions", data)
}

// testRun is a TestFunction run shown on the function's page.
type testRun struct {
	Stage, Event string
	Result       *control.TestResult
	Problem      string // the API's error (an event that is not one, ...)
}

func (c *Console) function(w http.ResponseWriter, r *http.Request, p *principal) {
	c.showFunction(w, r, p, http.StatusOK, &testRun{Stage: control.StageDevelopment, Event: exampleEvent}, "")
}

// showFunction renders a function's page with both stages' code, the test
// form (and the last run) and the publish form.
func (c *Console) showFunction(w http.ResponseWriter, r *http.Request, p *principal, status int, run *testRun, problem string) {
	name := r.PathValue("name")
	dev, err := c.opts.Control.GetFunction(r.Context(), name, control.StageDevelopment)
	if err != nil {
		c.controlError(w, err, p)
		return
	}
	live, err := c.opts.Control.GetFunction(r.Context(), name, control.StageLive)
	var me *model.Error
	if err != nil && !(errors.As(err, &me) && strings.HasPrefix(me.Code, "NoSuch")) {
		c.controlError(w, err, p)
		return
	}
	data := pageData(p, "Function "+dev.Name)
	data["Dev"], data["Live"] = dev, live
	data["Published"] = live != nil && string(live.Code) == string(dev.Code) && live.Runtime == dev.Runtime
	data["Run"] = run
	data["Problem"] = problem
	data["FunctionURL"] = Prefix + "/functions/" + url.PathEscape(dev.Name)
	c.render(w, status, "function", data)
}

// testFunction runs TestFunction on the form's event against the chosen
// stage, as it is now (its current ETag), and shows the result.
func (c *Console) testFunction(w http.ResponseWriter, r *http.Request, p *principal) {
	run := &testRun{Stage: r.PostFormValue("stage"), Event: r.PostFormValue("event")}
	if run.Stage == "" {
		run.Stage = control.StageDevelopment
	}
	status := http.StatusOK
	if len(run.Event) > maxEventBytes {
		run.Problem, status = "The event object is longer than 40960 bytes.", http.StatusBadRequest
	} else if fn, err := c.opts.Control.GetFunction(r.Context(), r.PathValue("name"), run.Stage); err != nil {
		var me *model.Error
		if !errors.As(err, &me) || me.Code == "NoSuchFunctionExists" && run.Stage == control.StageDevelopment {
			c.controlError(w, err, p)
			return
		}
		run.Problem, status = me.Message, http.StatusBadRequest
	} else if res, err := c.opts.Control.TestFunction(r.Context(), fn.Name, fn.ETag, run.Stage, []byte(run.Event)); err != nil {
		var me *model.Error
		if !errors.As(err, &me) {
			c.controlError(w, err, p)
			return
		}
		run.Problem, status = me.Message, http.StatusBadRequest
	} else {
		run.Result = res
	}
	if p.basic {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if run.Problem != "" {
			writeJSON(w, map[string]string{"error": run.Problem})
		} else {
			writeJSON(w, run.Result)
		}
		return
	}
	c.showFunction(w, r, p, status, run, "")
}

// publishFunction publishes the DEVELOPMENT stage the page showed (its
// ETag from the form: a stage changed since is refused, as If-Match is).
func (c *Console) publishFunction(w http.ResponseWriter, r *http.Request, p *principal) {
	fn, err := c.opts.Control.PublishFunction(r.Context(), r.PathValue("name"), r.PostFormValue("etag"))
	if err != nil {
		var me *model.Error
		if errors.As(err, &me) && !strings.HasPrefix(me.Code, "NoSuch") {
			c.showFunction(w, r, p, http.StatusConflict, &testRun{Stage: control.StageDevelopment, Event: exampleEvent}, me.Message)
			return
		}
		c.controlError(w, err, p)
		return
	}
	if p.basic {
		writeJSON(w, fn)
		return
	}
	http.Redirect(w, r, Prefix+"/functions/"+url.PathEscape(fn.Name), http.StatusSeeOther)
}
