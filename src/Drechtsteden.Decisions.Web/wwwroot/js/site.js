// Behaviour the server cannot render. No framework: htmx does the live updates, this file the rest.
(function () {
  "use strict";

  // Mermaid (5 MB) is loaded only when a diagram is shown: a <details> around it is opened.
  var mermaidLoaded = null;
  function visible(node) {
    for (var d = node.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) {
      if (!d.open) return false;
    }
    return true;
  }
  function renderDiagrams(root) {
    var pending = Array.prototype.filter.call((root || document).querySelectorAll("pre.mermaid:not([data-processed])"), visible);
    if (pending.length === 0) return;
    if (!mermaidLoaded) {
      mermaidLoaded = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = document.body.getAttribute("data-mermaid");
        script.onload = function () {
          window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral" });
          resolve(window.mermaid);
        };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    mermaidLoaded.then(function (mermaid) { return mermaid.run({ nodes: pending }); }).then(function () {
      pending.forEach(function (node) {
        var svg = node.querySelector("svg");
        if (!svg) return;
        svg.setAttribute("role", "img");
        svg.setAttribute("aria-label", node.getAttribute("data-label") || "Diagram");
        // At its own size, so the text stays readable; the figure scrolls sideways when the diagram is wider than the page.
        var box = svg.viewBox && svg.viewBox.baseVal;
        if (box && box.width > 0) {
          svg.style.maxWidth = "none";
          svg.setAttribute("width", Math.ceil(box.width));
          svg.setAttribute("height", Math.ceil(box.height));
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { renderDiagrams(document); });
  document.addEventListener("toggle", function (e) { if (e.target.open) renderDiagrams(e.target); }, true);

  // A live update replaces the region: sections the user opened stay open, and focus stays where it was.
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function (e) {
    var target = e.detail.target;
    if (!target || e.detail.xhr.status !== 200) return;
    var active = document.activeElement;
    kept = {
      open: Array.prototype.map.call(target.querySelectorAll("details[id][open]"), function (d) { return d.id; }),
      closed: Array.prototype.map.call(target.querySelectorAll("details[id]:not([open])"), function (d) { return d.id; }),
      focus: active && active !== document.body && target.contains(active) ? (active.id || null) : null,
      scrollY: window.scrollY
    };
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!kept) return;
    kept.open.forEach(function (id) { var d = document.getElementById(id); if (d) d.open = true; });
    kept.closed.forEach(function (id) { var d = document.getElementById(id); if (d) d.open = false; });
    if (kept.focus) { var f = document.getElementById(kept.focus); if (f) f.focus({ preventScroll: true }); }
    window.scrollTo(0, kept.scrollY);
    kept = null;
    renderDiagrams(document);
    // The new version of the process: the coordinator's forms send it as If-Match (Versie).
    var live = document.getElementById("live");
    if (live) document.querySelectorAll("input[name='Versie']").forEach(function (input) { input.value = live.getAttribute("data-version"); });
  });

  // An error summary's link leads to its field (by name: the server knows the field, not the element's id).
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[data-field]");
    if (!link) return;
    var name = link.getAttribute("data-field");
    var field = document.querySelector("[name='" + CSS.escape(name) + "']:not([type=hidden])") || document.getElementById(name);
    if (!field) return;
    e.preventDefault();
    var details = field.closest("details");
    if (details) details.open = true;
    field.focus();
    field.scrollIntoView({ block: "center" });
  });

  // Required fields look invalid only after the user tried to send the form, not before anything was done.
  document.addEventListener("invalid", function (e) { if (e.target.form) e.target.form.classList.add("submitted"); }, true);

  // "Naar de actie": the link opens the action's form.
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[href^='#actie-']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (target && target.tagName === "DETAILS") target.open = true;
  });

  // A form with data-confirm asks first (cancelling a meeting with a regional item on it, for instance).
  document.addEventListener("submit", function (e) {
    var message = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) e.preventDefault();
  });

  // An error summary takes focus, so a screen reader reads it and the keyboard starts there; its links lead to the fields.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
})();
