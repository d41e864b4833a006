package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"openfront/internal/control"
	"openfront/internal/model"
	"openfront/internal/stats"
)

func (c *Console) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET "+Prefix+"/login", c.loginForm)
	m.HandleFunc("POST "+Prefix+"/login", c.login)
	m.Handle("POST "+Prefix+"/logout", c.authorized(c.logout))
	m.Handle("GET "+Prefix+"/static/", c.static)
	m.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// Not the mux's 307 to /console/, which would carry the POST on.
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
			return
		}
		http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
	})
	m.Handle("GET "+Prefix+"/{$}", c.authorized(c.distributions))
	m.Handle("GET "+Prefix+"/distributions.json", c.authorized(c.distributionsJSON))
	m.Handle("GET "+Prefix+"/distributions/{id}", c.authorized(c.distribution))
	m.Handle("GET "+Prefix+"/distributions/{id}/config.json", c.authorized(c.configJSON))
	m.Handle("GET "+Prefix+"/distributions/{id}/stats.json", c.authorized(c.statsJSON))
	m.Handle("POST "+Prefix+"/distributions/{id}/invalidations", c.authorized(c.createInvalidation))
	m.Handle("GET "+Prefix+"/distributions/{id}/invalidations/{inv}", c.authorized(c.invalidation))
	m.Handle("GET "+Prefix+"/distributions/{id}/cache", c.authorized(c.cacheContents))
	m.Handle("GET "+Prefix+"/functions", c.authorized(c.functions))
	m.Handle("GET "+Prefix+"/functions/{name}", c.authorized(c.function))
	m.Handle("POST "+Prefix+"/functions/{name}/test", c.authorized(c.testFunction))
	m.Handle("POST "+Prefix+"/functions/{name}/publish", c.authorized(c.publishFunction))
	m.Handle("GET "+Prefix+"/lightsail", c.authorized(c.lightsail))
	m.Handle("GET "+Prefix+"/lightsail/{name}", c.authorized(c.lightsailDistribution))
	m.Handle("GET "+Prefix+"/lightsail/{name}/stats.json", c.authorized(c.lightsailStatsJSON))
	m.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		c.renderError(w, http.StatusNotFound, "There is no such console page.", nil)
	})
	c.mux = m
}

// render executes a page into a buffer first, so that a template error
// never leaves half a page behind.
func (c *Console) render(w http.ResponseWriter, status int, page string, data map[string]any) {
	data["Prefix"] = Prefix
	data["Node"] = c.opts.Node
	var buf bytes.Buffer
	if err := c.pages[page].Execute(&buf, data); err != nil {
		c.opts.Log.Error("console: render", "page", page, "err", err)
		http.Error(w, "The page could not be rendered.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (c *Console) renderError(w http.ResponseWriter, status int, msg string, p *principal) {
	data := map[string]any{"Title": http.StatusText(status), "Message": msg}
	if p != nil {
		data["CSRF"], data["KeyID"] = p.csrf, p.keyID
	}
	c.render(w, status, "error", data)
}

// controlError shows a control error: its message for the API's own
// errors (a missing distribution, an invalid path), a generic one else.
func (c *Console) controlError(w http.ResponseWriter, err error, p *principal) {
	var me *model.Error
	if errors.As(err, &me) {
		status := http.StatusBadRequest
		if strings.HasPrefix(me.Code, "NoSuch") || me.Code == "NotFoundException" {
			status = http.StatusNotFound
		}
		c.renderError(w, status, me.Message, p)
		return
	}
	c.opts.Log.Error("console: control", "err", err)
	c.renderError(w, http.StatusInternalServerError, "The request failed; see the server's log.", p)
}

func pageData(p *principal, title string) map[string]any {
	return map[string]any{"Title": title, "CSRF": p.csrf, "KeyID": p.keyID}
}

// allDistributions lists every distribution, page by page.
func (c *Console) allDistributions(r *http.Request) ([]*control.Distribution, error) {
	var all []*control.Distribution
	marker := ""
	for {
		items, pg, err := c.opts.Control.ListDistributions(r.Context(), control.ListOptions{Marker: marker, MaxItems: 1000}, nil)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if !pg.IsTruncated || pg.NextMarker == "" || pg.NextMarker == marker {
			return all, nil
		}
		marker = pg.NextMarker
	}
}

// distributionRow is a distribution as the list shows it.
type distributionRow struct {
	ID, Status, DomainName, Comment, Origins string
	Enabled                                  bool
	Aliases                                  []string
	LastModified                             time.Time
}

func rowOf(d *control.Distribution) distributionRow {
	var origins []string
	for _, o := range model.StructItems(d.Config, "Origins") {
		origins = append(origins, model.StrOr(o, "", "DomainName"))
	}
	return distributionRow{
		ID: d.ID, Status: d.Status, DomainName: d.DomainName, Comment: model.StrOr(d.Config, "", "Comment"),
		Origins: strings.Join(origins, ", "), Enabled: model.Bool(d.Config, "Enabled"),
		Aliases: model.StringItems(d.Config, "Aliases"), LastModified: d.LastModified,
	}
}

func (c *Console) distributions(w http.ResponseWriter, r *http.Request, p *principal) {
	all, err := c.allDistributions(r)
	if err != nil {
		c.controlError(w, err, p)
		return
	}
	rows := make([]distributionRow, len(all))
	for i, d := range all {
		rows[i] = rowOf(d)
	}
	data := pageData(p, "Distributions")
	data["Distributions"] = rows
	c.render(w, http.StatusOK, "distributions", data)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (c *Console) distributionsJSON(w http.ResponseWriter, r *http.Request, p *principal) {
	all, err := c.allDistributions(r)
	if err != nil {
		c.controlError(w, err, p)
		return
	}
	rows := make([]distributionRow, len(all))
	for i, d := range all {
		rows[i] = rowOf(d)
	}
	writeJSON(w, rows)
}

type originView struct{ ID, DomainName, Path, Kind string }

type behaviourView struct{ PathPattern, TargetOriginID, ViewerProtocolPolicy, CachePolicyID, AllowedMethods string }

func (c *Console) distribution(w http.ResponseWriter, r *http.Request, p *principal) {
	c.showDistribution(w, r, p, http.StatusOK, "", "")
}

// showDistribution renders a distribution's page; problem and paths are
// a failed invalidation's error and input, shown again in the form.
func (c *Console) showDistribution(w http.ResponseWriter, r *http.Request, p *principal, status int, problem, paths string) {
	d, err := c.opts.Control.GetDistribution(r.Context(), r.PathValue("id"))
	if err != nil {
		c.controlError(w, err, p)
		return
	}
	invals, _, err := c.opts.Control.ListInvalidations(r.Context(), d.ID, control.ListOptions{MaxItems: 50})
	if err != nil {
		c.controlError(w, err, p)
		return
	}
	var origins []originView
	for _, o := range model.StructItems(d.Config, "Origins") {
		kind := "custom"
		if model.Sub(o, "S3OriginConfig") != nil {
			kind = "S3"
		}
		origins = append(origins, originView{ID: model.StrOr(o, "", "Id"), DomainName: model.StrOr(o, "", "DomainName"), Path: model.StrOr(o, "", "OriginPath"), Kind: kind})
	}
	behaviour := func(b model.Tree, pattern string) behaviourView {
		return behaviourView{PathPattern: pattern, TargetOriginID: model.StrOr(b, "", "TargetOriginId"),
			ViewerProtocolPolicy: model.StrOr(b, "", "ViewerProtocolPolicy"), CachePolicyID: model.StrOr(b, "", "CachePolicyId"),
			AllowedMethods: strings.Join(model.StringItems(b, "AllowedMethods"), ", ")}
	}
	var behaviours []behaviourView
	for _, b := range model.StructItems(d.Config, "CacheBehaviors") {
		behaviours = append(behaviours, behaviour(b, model.StrOr(b, "", "PathPattern")))
	}
	behaviours = append(behaviours, behaviour(model.Sub(d.Config, "DefaultCacheBehavior"), "Default (*)"))
	config, err := json.MarshalIndent(d.Config, "", "  ")
	if err != nil {
		c.controlError(w, err, p)
		return
	}
	data := pageData(p, d.ID)
	data["D"] = rowOf(d)
	data["ARN"] = d.ARN
	data["InProgressInvalidations"] = d.InProgressInvalidationBatches
	data["Origins"] = origins
	data["Behaviours"] = behaviours
	data["Config"] = string(config)
	data["Invalidations"] = invals
	data["Problem"], data["Paths"] = problem, paths
	data["Totals"] = c.pageTotals(r, d.ID)
	data["Graphs"] = c.opts.Traffic != nil || c.opts.Fleet != nil
	data["StatsURL"] = Prefix + "/distributions/" + d.ID + "/stats.json"
	data["HasCache"] = c.opts.Cache != nil || c.opts.Fleet != nil
	c.render(w, status, "distribution", data)
}

func (c *Console) configJSON(w http.ResponseWriter, r *http.Request, p *principal) {
	d, err := c.opts.Control.GetDistribution(r.Context(), r.PathValue("id"))
	if err != nil {
		c.controlError(w, err, p)
		return
	}
	w.Header().Set("ETag", d.ETag)
	writeJSON(w, d.Config)
}

// Totals are a distribution's running totals on this node, what the
// graphs poll: the page turns successive samples into rates.
type Totals struct {
	Node string `json:"node"`
	// Time is when the sample was taken (Unix milliseconds).
	Time int64 `json:"time"`
	// Fleet is true when the totals are the sum of Nodes live edges'
	// published counters (etcd), false for this node's own.
	Fleet           bool  `json:"fleet"`
	Nodes           int   `json:"nodes"`
	Requests        int64 `json:"requests"`
	BytesDownloaded int64 `json:"bytesDownloaded"`
	BytesUploaded   int64 `json:"bytesUploaded"`
	// Hits are Hit and RefreshHit responses, Misses Miss responses: the
	// cache hit ratio is Hits/(Hits+Misses), errors and pass-through not
	// counted ("Cache hit rate", Amazon CloudFront Developer Guide).
	Hits      int64 `json:"hits"`
	Misses    int64 `json:"misses"`
	Status4xx int64 `json:"status4xx"`
	Status5xx int64 `json:"status5xx"`
	// OriginLatency counts origin fetches by latency bucket (not
	// cumulative); OriginLatencyBounds are the buckets' upper bounds in
	// seconds, the last bucket having none.
	OriginLatency       []uint64  `json:"originLatency"`
	OriginLatencyBounds []float64 `json:"originLatencyBounds"`
	OriginErrors        int64     `json:"originErrors"`
}

// totals are a distribution's totals: this node's, or with a fleet the sum
// of every live edge's last published ones.
func (c *Console) totals(ctx context.Context, distID string) (Totals, error) {
	t := Totals{Node: c.opts.Node, Nodes: 1, Time: c.opts.Now().UnixMilli(), OriginLatencyBounds: stats.OriginLatencyBuckets[:],
		OriginLatency: make([]uint64, len(stats.OriginLatencyBuckets)+1)}
	if c.opts.Fleet != nil {
		published, err := c.opts.Fleet.Traffic(ctx)
		if err != nil {
			return t, err
		}
		t.Fleet, t.Node, t.Nodes = true, "", 0
		for node, value := range published {
			var nt stats.NodeTraffic
			if err := json.Unmarshal(value, &nt); err != nil {
				c.opts.Log.Warn("console: bad published traffic", "node", node, "err", err)
				continue
			}
			t.Nodes++
			if l, ok := nt.Live[distID]; ok {
				t.add(l)
			}
		}
		return t, nil
	}
	if c.opts.Traffic != nil {
		if l, ok := c.opts.Traffic.Live()[distID]; ok {
			t.add(l)
		}
	}
	return t, nil
}

func (t *Totals) add(l stats.Live) {
	for i, n := range l.Results {
		t.Requests += n
		switch stats.Results[i] {
		case "Hit", "RefreshHit":
			t.Hits += n
		case "Miss":
			t.Misses += n
		}
	}
	t.BytesDownloaded += l.BytesDownloaded
	t.BytesUploaded += l.BytesUploaded
	t.Status4xx += l.StatusClasses[4]
	t.Status5xx += l.StatusClasses[5]
	for i, n := range l.OriginLatency {
		if i < len(t.OriginLatency) {
			t.OriginLatency[i] += n
		}
	}
	for _, n := range l.OriginErrors {
		t.OriginErrors += n
	}
}

// pageTotals are the totals a page starts with (zero when the fleet's
// cannot be read: the graphs retry every second).
func (c *Console) pageTotals(r *http.Request, distID string) Totals {
	t, err := c.totals(r.Context(), distID)
	if err != nil {
		c.opts.Log.Warn("console: read the fleet's traffic", "err", err)
	}
	return t
}

func (c *Console) writeTotals(w http.ResponseWriter, r *http.Request, distID string) {
	t, err := c.totals(r.Context(), distID)
	if err != nil {
		c.opts.Log.Warn("console: read the fleet's traffic", "err", err)
		http.Error(w, "The fleet's counters cannot be read.", http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, t)
}

func (c *Console) statsJSON(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	if _, err := c.opts.Control.GetDistribution(r.Context(), id); err != nil {
		c.controlError(w, err, p)
		return
	}
	c.writeTotals(w, r, id)
}

// maxInvalidationPaths bounds the form's paths before control checks them
// against the batch quota.
const maxInvalidationPaths = 3000

func (c *Console) createInvalidation(w http.ResponseWriter, r *http.Request, p *principal) {
	input := r.PostFormValue("paths")
	var paths []string
	for _, line := range strings.Split(input, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			paths = append(paths, line)
		}
		if len(paths) > maxInvalidationPaths {
			break
		}
	}
	inv, _, err := c.opts.Control.CreateInvalidation(r.Context(), r.PathValue("id"), "console-"+randomToken(), paths)
	if err != nil {
		var me *model.Error
		if errors.As(err, &me) && !strings.HasPrefix(me.Code, "NoSuch") {
			c.showDistribution(w, r, p, http.StatusBadRequest, me.Message, input)
			return
		}
		c.controlError(w, err, p)
		return
	}
	if p.basic {
		w.WriteHeader(http.StatusCreated)
		writeJSON(w, inv)
		return
	}
	http.Redirect(w, r, Prefix+"/distributions/"+inv.DistributionID+"/invalidations/"+inv.ID, http.StatusSeeOther)
}

func (c *Console) invalidation(w http.ResponseWriter, r *http.Request, p *principal) {
	inv, err := c.opts.Control.GetInvalidation(r.Context(), r.PathValue("id"), r.PathValue("inv"))
	if err != nil {
		c.controlError(w, err, p)
		return
	}
	data := pageData(p, "Invalidation "+inv.ID)
	data["Inv"] = inv
	c.render(w, http.StatusOK, "invalidation", data)
}

func (c *Console) lightsail(w http.ResponseWriter, r *http.Request, p *principal) {
	var all []*control.LightsailDistribution
	token := ""
	for {
		items, next, err := c.opts.Control.LightsailDistributions(r.Context(), token)
		if err != nil {
			c.controlError(w, err, p)
			return
		}
		all = append(all, items...)
		if next == "" || next == token {
			break
		}
		token = next
	}
	data := pageData(p, "Lightsail distributions")
	data["Distributions"] = all
	c.render(w, http.StatusOK, "lightsail", data)
}

// lightsailDistribution is a Lightsail distribution's page: its settings
// and the graphs of the derived distribution the edge serves it as.
func (c *Console) lightsailDistribution(w http.ResponseWriter, r *http.Request, p *principal) {
	d, err := c.opts.Control.LightsailDistribution(r.Context(), r.PathValue("name"))
	if err != nil {
		c.controlError(w, err, p)
		return
	}
	config, err := json.MarshalIndent(d.Config, "", "  ")
	if err != nil {
		c.controlError(w, err, p)
		return
	}
	data := pageData(p, d.Name)
	data["L"] = d
	data["Config"] = string(config)
	data["Totals"] = c.pageTotals(r, d.ID)
	data["Graphs"] = c.opts.Traffic != nil || c.opts.Fleet != nil
	data["StatsURL"] = Prefix + "/lightsail/" + url.PathEscape(d.Name) + "/stats.json"
	c.render(w, http.StatusOK, "lightsaildistribution", data)
}

func (c *Console) lightsailStatsJSON(w http.ResponseWriter, r *http.Request, p *principal) {
	d, err := c.opts.Control.LightsailDistribution(r.Context(), r.PathValue("name"))
	if err != nil {
		c.controlError(w, err, p)
		return
	}
	c.writeTotals(w, r, d.ID)
}

// cacheSummary is what the cache holds for a distribution: with a fleet,
// the sum of every live edge's last published summary (each edge
// recomputes its own every ten seconds); else this node's cache, now.
func (c *Console) cacheSummary(ctx context.Context, distID string) (sum *stats.CacheSummary, fleet bool, nodes int, err error) {
	sum = &stats.CacheSummary{}
	if c.opts.Fleet != nil {
		published, err := c.opts.Fleet.Traffic(ctx)
		if err != nil {
			return nil, true, 0, err
		}
		for node, value := range published {
			var nt stats.NodeTraffic
			if err := json.Unmarshal(value, &nt); err != nil {
				c.opts.Log.Warn("console: bad published traffic", "node", node, "err", err)
				continue
			}
			nodes++
			if s := nt.Cache[distID]; s != nil {
				sum.Merge(s, node, stats.TopObjects)
			}
		}
		return sum, true, nodes, nil
	}
	if s := stats.SummarizeCache(slices.Values(c.opts.Cache.Objects(distID)), stats.TopObjects, nil)[distID]; s != nil {
		sum = s
	}
	return sum, false, 1, nil
}

// cacheContents shows what the cache holds for a distribution: the top
// objects by hits and by bytes. Purging creates an invalidation of the
// path (through control, so every edge of a fleet purges it, as in
// CloudFront).
func (c *Console) cacheContents(w http.ResponseWriter, r *http.Request, p *principal) {
	d, err := c.opts.Control.GetDistribution(r.Context(), r.PathValue("id"))
	if err != nil {
		c.controlError(w, err, p)
		return
	}
	if c.opts.Cache == nil && c.opts.Fleet == nil {
		c.renderError(w, http.StatusNotFound, "This node has no edge cache.", p)
		return
	}
	sum, fleet, nodes, err := c.cacheSummary(r.Context(), d.ID)
	if err != nil {
		c.opts.Log.Warn("console: read the fleet's cache summaries", "err", err)
		c.renderError(w, http.StatusServiceUnavailable, "The fleet's cache summaries cannot be read; try again.", p)
		return
	}
	if r.URL.Query().Get("format") == "json" {
		writeJSON(w, sum)
		return
	}
	data := pageData(p, "Cache of "+d.ID)
	data["ID"] = d.ID
	data["Summary"] = sum
	data["Fleet"], data["Nodes"] = fleet, nodes
	c.render(w, http.StatusOK, "cache", data)
}
