// Behaviour the server cannot render: Mermaid diagrams (also after a live update swapped them in).
(function () {
  "use strict";
  var mermaidLoaded = null;
  function renderDiagrams(root) {
    var pending = (root || document).querySelectorAll("pre.mermaid:not([data-processed])");
    if (pending.length === 0) return;
    if (!mermaidLoaded) {
      mermaidLoaded = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = document.body.getAttribute("data-mermaid") || "/lib/mermaid.min.js";
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
        if (svg) { svg.setAttribute("role", "img"); svg.setAttribute("aria-label", node.getAttribute("data-label") || "Diagram"); }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { renderDiagrams(document); });
  document.addEventListener("htmx:afterSettle", function (e) { renderDiagrams(e.target); });
})();
// A live update brings the process's new version: the coordinator's forms send it as If-Match (Versie).
document.addEventListener("htmx:afterSettle", function () {
  var live = document.getElementById("live");
  if (!live) return;
  document.querySelectorAll("input[name='Versie']").forEach(function (input) { input.value = live.getAttribute("data-version"); });
});
