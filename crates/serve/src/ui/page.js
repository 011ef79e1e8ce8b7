// The model page: the target-precision slider asks GET /v1/cutoff and shows the answer, and
// marks it (in blue) on the ROC, precision-recall and score-distribution charts.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var BLUE = "#2457c5";
  var slider = document.getElementById("target");
  var shown = document.getElementById("target-shown");
  var result = document.getElementById("result");
  var error = document.getElementById("out-error");
  var confidence = slider.getAttribute("data-confidence");
  // The curve the charts draw (per example), to place a cutoff on them: the API's precision
  // and recall may be on another curve (an age-aware model's handoff curve).
  var positives = Number(result.getAttribute("data-positives"));
  var total = Number(result.getAttribute("data-total"));
  var points = (result.getAttribute("data-points") || "").split(";").filter(Boolean)
    .map(function (p) { return p.split(",").map(Number); });
  var asked = 0;

  function put(id, text, value) {
    var el = document.getElementById(id);
    el.textContent = text;
    if (value !== undefined) {
      el.setAttribute("data-value", String(value));
    }
  }

  // Data -> SVG coordinates of a chart, from the frame the report wrote on its <figure>.
  function frame(fig) {
    var n = function (name) {
      return fig.getAttribute("data-" + name).split(" ").map(Number);
    };
    var x = n("x"), y = n("y"), px = n("px"), py = n("py");
    return {
      x: function (v) { return px[0] + (v - x[0]) / (x[1] - x[0]) * (px[1] - px[0]); },
      y: function (v) { return py[0] + (v - y[0]) / (y[1] - y[0]) * (py[1] - py[0]); },
      top: py[1],
      bottom: py[0]
    };
  }

  // An emptied <g class="live"> on top of a chart, and its frame; null if the chart has none.
  function layer(id) {
    var fig = document.getElementById(id);
    if (!fig || !fig.hasAttribute("data-x")) {
      return null;
    }
    var svg = fig.querySelector("svg");
    var g = svg.querySelector("g.live");
    if (!g) {
      g = document.createElementNS(NS, "g");
      g.setAttribute("class", "live");
      svg.appendChild(g);
    }
    while (g.firstChild) {
      g.removeChild(g.firstChild);
    }
    return { g: g, f: frame(fig) };
  }

  function add(g, name, attrs, text) {
    var el = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text) {
      el.textContent = text;
    }
    g.appendChild(el);
  }

  function dot(id, x, y, label) {
    var l = layer(id);
    if (!l) {
      return;
    }
    var cx = l.f.x(x), cy = l.f.y(y);
    add(l.g, "circle", { cx: cx, cy: cy, r: 7, fill: "none", stroke: BLUE, "stroke-width": 3 });
    var right = x > 0.6;
    add(l.g, "text", {
      x: right ? cx - 12 : cx + 12, y: cy - 10, fill: BLUE, "font-family": "sans-serif",
      "font-size": 13, "font-weight": "bold", "text-anchor": right ? "end" : "start"
    }, label);
  }

  function clearMarks() {
    ["chart-roc", "chart-pr", "chart-score-distribution"].forEach(layer);
  }

  function mark(c, target) {
    var label = "target " + Number(target).toFixed(2) + ": " + c.threshold.toFixed(3);
    // The loosest charted point at or above the threshold: the leads it selects.
    var tp = 0, fp = 0;
    for (var i = points.length - 1; i >= 0; i--) {
      if (points[i][0] >= c.threshold) { tp = points[i][1]; fp = points[i][2]; break; }
    }
    var negatives = total - positives;
    var recall = positives > 0 ? tp / positives : 0;
    dot("chart-roc", negatives > 0 ? fp / negatives : 0, recall, label);
    dot("chart-pr", recall, tp + fp > 0 ? tp / (tp + fp) : 0, label);
    var l = layer("chart-score-distribution");
    if (l) {
      var x = l.f.x(c.threshold);
      add(l.g, "line", {
        x1: x, x2: x, y1: l.f.top, y2: l.f.bottom, stroke: BLUE, "stroke-width": 3,
        "stroke-dasharray": "2 3"
      });
      add(l.g, "text", {
        x: x + 6, y: l.f.top + 36, fill: BLUE, "font-family": "sans-serif", "font-size": 13,
        "font-weight": "bold"
      }, label);
    }
  }

  function update() {
    var target = slider.value;
    var mine = ++asked;
    shown.textContent = Number(target).toFixed(2);
    result.classList.add("stale");
    var url = "v1/cutoff?target_precision=" + encodeURIComponent(target) +
      "&confidence=" + encodeURIComponent(confidence);
    fetch(url, { headers: { accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      })
      .catch(function (e) {
        return { ok: false, body: { error: { message: "the server did not answer: " + e } } };
      })
      .then(function (answer) {
        if (mine !== asked) {
          return; // a newer request is on its way
        }
        if (!answer.ok) {
          var err = answer.body && answer.body.error;
          error.textContent = err ? err.message : "the server refused the target";
          error.hidden = false;
          clearMarks();
          result.setAttribute("data-target", target);
          result.setAttribute("data-state", "error");
          return;
        }
        var c = answer.body.cutoff;
        error.hidden = true;
        put("out-threshold", c.threshold.toFixed(4), c.threshold);
        put("out-precision", c.precision.toFixed(3), c.precision);
        put("out-lower", c.precision_lower_bound.toFixed(3), c.precision_lower_bound);
        put("out-recall", c.recall.toFixed(3), c.recall);
        put("out-mql-rate", (100 * c.mql_rate).toFixed(1) + "%", c.mql_rate);
        put("out-per-1000", (1000 * c.mql_rate).toFixed(0), 1000 * c.mql_rate);
        mark(c, target);
        result.classList.remove("stale");
        result.setAttribute("data-target", target);
        result.setAttribute("data-state", "ok");
      });
  }

  slider.addEventListener("input", update);
  update();
}());
