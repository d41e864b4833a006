// Live graphs of one distribution: polls the page's stats endpoint every
// second and draws the rates between successive samples as SVG lines.
// The endpoint serves running totals; rates are computed here.
"use strict";
(function () {
  const section = document.getElementById("graphs");
  if (!section) return;
  const url = section.dataset.stats;
  const keep = 60; // samples (seconds) on the charts
  const samples = [];
  const series = { rps: [], bps: [], hit: [], e4: [], e5: [], p50: [], p99: [] };
  const svgNS = "http://www.w3.org/2000/svg";

  function text(id, v) { const el = document.getElementById(id); if (el) el.textContent = v; }

  function human(n, unit) {
    if (n === null || !isFinite(n)) return "–";
    const steps = ["", "k", "M", "G", "T"];
    let i = 0;
    while (Math.abs(n) >= 1000 && i < steps.length - 1) { n /= 1000; i++; }
    return (n >= 100 || i === 0 && Number.isInteger(n) ? n.toFixed(0) : n.toFixed(1)) + " " + steps[i] + unit;
  }
  function ms(s) { return s === null ? "–" : (s * 1000 < 10 ? (s * 1000).toFixed(2) : (s * 1000).toFixed(0)) + " ms"; }

  // quantile estimates a quantile from histogram bucket counts, taking
  // each bucket's upper bound (the last, unbounded one: twice the last
  // bound), as a Prometheus histogram_quantile would at the bounds.
  function quantile(q, counts, bounds) {
    let total = 0;
    for (const c of counts) total += c;
    if (total === 0) return null;
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= q * total) return i < bounds.length ? bounds[i] : bounds[bounds.length - 1] * 2;
    }
    return null;
  }

  function draw(id, lines, max) {
    const svg = document.getElementById(id);
    if (!svg) return;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    for (const y of [20, 40, 60]) {
      const g = document.createElementNS(svgNS, "line");
      g.setAttribute("class", "grid");
      g.setAttribute("x1", "0"); g.setAttribute("x2", "300");
      g.setAttribute("y1", String(y)); g.setAttribute("y2", String(y));
      svg.appendChild(g);
    }
    let top = max || 0;
    if (!max) for (const l of lines) for (const v of l) if (v !== null && v > top) top = v;
    if (top <= 0) top = 1;
    lines.forEach(function (l, n) {
      // The newest sample on the right once the chart is full; until
      // then the line grows from the left.
      const pts = [];
      const step = 300 / (keep - 1);
      l.forEach(function (v, i) {
        if (v === null) return;
        pts.push((i * step).toFixed(1) + "," + (78 - v / top * 74).toFixed(1));
      });
      const pl = document.createElementNS(svgNS, "polyline");
      if (n > 0) pl.setAttribute("class", "second");
      pl.setAttribute("points", pts.join(" "));
      svg.appendChild(pl);
    });
  }

  function push(name, v) { const s = series[name]; s.push(v); if (s.length > keep) s.shift(); }

  function update(cur) {
    text("total-requests", cur.requests);
    text("total-bytes", cur.bytesDownloaded);
    text("total-hits", cur.hits);
    text("total-misses", cur.misses);
    text("total-4xx", cur.status4xx);
    text("total-5xx", cur.status5xx);
    samples.push(cur);
    if (samples.length > 11) samples.shift();
    if (samples.length < 2) return;
    const prev = samples[samples.length - 2];
    const dt = Math.max((cur.time - prev.time) / 1000, 0.001);
    // A fleet's totals drop when an edge leaves (its counters go with
    // it): no rate for that second rather than a negative one.
    function rate(a, b) { const d = a - b; return d < 0 ? null : d / dt; }
    const rps = rate(cur.requests, prev.requests);
    const bps = rate(cur.bytesDownloaded, prev.bytesDownloaded);
    const hits = cur.hits - prev.hits, lookups = hits + (cur.misses - prev.misses);
    const hit = lookups > 0 && hits >= 0 && hits <= lookups ? hits / lookups : null;
    const e4 = rate(cur.status4xx, prev.status4xx), e5 = rate(cur.status5xx, prev.status5xx);
    // Latency quantiles over the last ten seconds of origin fetches.
    const first = samples[0];
    const window = cur.originLatency.map(function (c, i) { return Math.max(c - ((first.originLatency || [])[i] || 0), 0); });
    const p50 = quantile(0.5, window, cur.originLatencyBounds), p99 = quantile(0.99, window, cur.originLatencyBounds);
    push("rps", rps); push("bps", bps); push("hit", hit); push("e4", e4); push("e5", e5); push("p50", p50); push("p99", p99);
    text("now-rps", human(rps, "")); text("now-bps", human(bps, "B"));
    text("now-hit", hit === null ? "–" : (hit * 100).toFixed(0) + " %");
    text("now-4xx", human(e4, "")); text("now-5xx", human(e5, ""));
    text("now-p50", ms(p50)); text("now-p99", ms(p99));
    draw("chart-rps", [series.rps]);
    draw("chart-bps", [series.bps]);
    draw("chart-hit", [series.hit], 1);
    draw("chart-err", [series.e4, series.e5]);
    draw("chart-lat", [series.p50, series.p99]);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.redirected || r.status === 401) { window.location.reload(); throw new Error("logged out"); }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(update)
      .catch(function () {})
      .finally(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
