/* npgan latent explorer: plain JavaScript, no framework, nothing loaded from outside the page.
 *
 * The frames were rendered by G when the report was built (npgan/report/explorer.py) and sit in
 * one sprite sheet per noise vector. The frame index below must match ExplorerPlan.value_indices:
 * free codes row-major (first code slowest), then the "single" state (0: every single code at its
 * anchor; then each single code's non-anchor values in order).
 *
 * The page is written with the first state already shown (npgan/report/explorer_page.py): a still
 * image, the caption, the controls (disabled) and the strip. This script enables the controls, puts
 * its canvas in the still's place and redraws what a change of state changes.
 */
(function () {
  "use strict";
  var root = document.getElementById("explorer");
  var dataNode = document.getElementById("explorer-data");
  if (!root || !dataNode) { return; }
  var data = JSON.parse(dataNode.textContent);
  var codes = data.codes;
  var H = data.frame[0], W = data.frame[1];
  var sheets = Array.prototype.slice.call(document.querySelectorAll("img.explorer-sheet"));
  var canvas = document.getElementById("explorer-canvas");
  var still = document.getElementById("explorer-still");
  var ctx = canvas.getContext("2d");
  var caption = document.getElementById("explorer-caption");
  var note = document.getElementById("explorer-note");
  var controls = document.getElementById("explorer-controls");
  var strip = document.getElementById("explorer-strip");
  var stripTitle = document.getElementById("explorer-strip-title");
  var noiseOut = document.getElementById("explorer-noise");

  var state = { values: codes.map(function (c) { return c.anchor; }), noise: 0, sweep: codes.length ? 0 : -1 };
  var singleOffset = {};
  var offset = 1;
  codes.forEach(function (c, i) { if (!c.free) { singleOffset[i] = offset; offset += c.values.length - 1; } });

  function frameIndex(values) {
    var f = 0, s = 0;
    codes.forEach(function (c, i) {
      if (c.free) { f = f * c.values.length + values[i]; }
      else if (values[i] !== c.anchor) { s = singleOffset[i] + (values[i] < c.anchor ? values[i] : values[i] - 1); }
    });
    return f * data.n_single + s;
  }

  function withValue(values, i, v) {
    /* values with code i set to v; a single code set away from its anchor sends the other single codes home */
    var out = values.slice();
    out[i] = v;
    if (!codes[i].free && v !== codes[i].anchor) {
      codes.forEach(function (c, j) { if (!c.free && j !== i) { out[j] = c.anchor; } });
    }
    return out;
  }

  function draw(target, values) {
    var k = frameIndex(values);
    var c = target.getContext("2d");
    c.imageSmoothingEnabled = false;
    c.drawImage(sheets[state.noise], (k % data.cols) * W, Math.floor(k / data.cols) * H, W, H, 0, 0, W, H);
  }

  function fmt(c, v) {
    return c.kind === "categorical" ? String(c.values[v]) : (c.values[v] >= 0 ? "+" : "\u2212") + Math.abs(c.values[v]).toFixed(2);
  }

  function digit(c, v) {
    /* the digit category v of c draws (matched on a labelled test set), or null */
    return c.digits && c.digits[v] !== null && c.digits[v] !== undefined ? c.digits[v] : null;
  }

  function named(c, v) {
    var d = digit(c, v);
    return c.name + " = " + fmt(c, v) + (d === null ? "" : " (digit " + d + ")");
  }

  function describe(values) {
    var parts = codes.map(function (c, i) { return named(c, values[i]); });
    parts.push("noise vector " + (state.noise + 1) + " of " + data.n_noise);
    return parts.join(", ");
  }

  function syncControls() {
    codes.forEach(function (c, i) {
      if (c.kind === "categorical") {
        var r = controls.querySelector("input[name=code-" + i + "][value='" + state.values[i] + "']");
        if (r) { r.checked = true; }
      } else {
        var s = document.getElementById("code-" + i);
        s.value = String(c.values[state.values[i]]);
        s.setAttribute("aria-valuetext", c.name + " = " + fmt(c, state.values[i]));
        document.getElementById("code-" + i + "-out").textContent = fmt(c, state.values[i]);
      }
      var fs = document.getElementById("code-" + i + "-box");
      if (fs) { fs.classList.toggle("active", i === state.sweep); }
    });
    noiseOut.textContent = "noise vector " + (state.noise + 1) + " of " + data.n_noise;
  }

  function renderStrip() {
    strip.textContent = "";
    if (state.sweep < 0) { return; }
    var i = state.sweep, c = codes[i];
    stripTitle.textContent = "Sweep of " + c.name + (c.kind === "categorical" ? " over its categories" : " from " +
      fmt(c, 0) + " to " + fmt(c, c.values.length - 1)) + ", the other codes as set" +
      (c.free ? "" : " (the other one-at-a-time codes at their anchors)");
    var order = c.order || c.values.map(function (_, v) { return v; });  /* c1 by matched digit */
    order.forEach(function (v) {
      var b = document.createElement("button");
      b.type = "button";
      b.setAttribute("aria-pressed", String(v === state.values[i]));
      b.setAttribute("aria-label", "show " + named(c, v));
      var cv = document.createElement("canvas");
      cv.width = W; cv.height = H;
      cv.setAttribute("aria-hidden", "true");
      draw(cv, withValue(state.values, i, v));
      var lab = document.createElement("span");
      lab.textContent = c.digits ? (digit(c, v) === null ? "\u2013" : String(digit(c, v))) : fmt(c, v);
      b.appendChild(cv); b.appendChild(lab);
      b.addEventListener("click", function () { set(i, v); });
      strip.appendChild(b);
    });
  }

  function render() {
    draw(canvas, state.values);
    var text = "G's image for " + describe(state.values);
    canvas.setAttribute("aria-label", text);
    caption.textContent = describe(state.values);
    explainSingles();
    syncControls();
    renderStrip();
  }

  function explainSingles() {
    /* which one-at-a-time codes the current state holds at their anchors, and why */
    var set = codes.filter(function (c, j) { return !c.free && state.values[j] !== c.anchor; });
    var held = codes.filter(function (c) { return !c.free && set.indexOf(c) < 0; });
    note.textContent = set.length && held.length ? held.map(function (c) { return c.name; }).join(", ") +
      (held.length > 1 ? " stay at their anchors" : " stays at its anchor") + " while " + set[0].name +
      " is set: these codes are explored one at a time." : "";
  }

  function set(i, v) {
    state.values = withValue(state.values, i, v);
    render();
  }

  function focusCode(i) { if (state.sweep !== i) { state.sweep = i; syncControls(); renderStrip(); } }

  function wireControls() {
    /* the controls are in the page (disabled until now): listen to them */
    codes.forEach(function (c, i) {
      if (c.kind === "categorical") {
        controls.querySelectorAll("input[name=code-" + i + "]").forEach(function (inp) {
          var v = parseInt(inp.value, 10);
          inp.disabled = false;
          inp.addEventListener("change", function () { if (inp.checked) { set(i, v); } });
        });
      } else {
        var s = document.getElementById("code-" + i);
        var step = c.values[1] - c.values[0];
        s.disabled = false;
        s.addEventListener("input", function () { set(i, Math.round((parseFloat(s.value) - c.values[0]) / step)); });
      }
      var box = document.getElementById("code-" + i + "-box");
      box.addEventListener("mouseenter", function () { focusCode(i); });
      box.addEventListener("focusin", function () { focusCode(i); });
    });
    var prev = document.getElementById("explorer-prev"), next = document.getElementById("explorer-next");
    prev.disabled = false; next.disabled = false;
    prev.addEventListener("click", function () {
      state.noise = (state.noise + data.n_noise - 1) % data.n_noise; render();
    });
    next.addEventListener("click", function () {
      state.noise = (state.noise + 1) % data.n_noise; render();
    });
  }

  function start() {
    canvas.width = W; canvas.height = H;
    wireControls();
    render();
    if (still) { still.remove(); }
    canvas.hidden = false;
    root.setAttribute("data-ready", "true");
  }

  window.npganExplorer = { data: data, state: state, frameIndex: frameIndex };
  Promise.all(sheets.map(function (im) { return im.decode(); })).then(start, function (err) {
    note.textContent = "The explorer's images could not be decoded: " + err;
    root.setAttribute("data-ready", "error");
  });
})();
