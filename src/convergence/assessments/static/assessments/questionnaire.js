// Questionnaire: extra comfort when JavaScript runs. Everything works without it.
(function () {
  "use strict";

  // Every form carries the assessment version it is based on. After an htmx save, the server
  // sends the new version (out of band, on #assessment-progress): every form adopts it, so the
  // next save of another axis is not mistaken for a concurrent change.
  function syncVersions() {
    var progress = document.getElementById("assessment-progress");
    if (!progress) { return; }
    var version = progress.getAttribute("data-version");
    document.querySelectorAll("input.js-assessment-version").forEach(function (input) {
      input.value = version;
    });
  }

  // Milestone rows: "Add a milestone" clones the row template with a fresh index.
  var counter = 1000;
  function showAddButtons(root) {
    root.querySelectorAll("[data-add-milestone]").forEach(function (button) { button.hidden = false; });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-milestone]");
    if (!button) { return; }
    var prefix = button.getAttribute("data-add-milestone");
    var template = document.getElementById(prefix + "-milestone-template");
    var rows = button.closest("fieldset").querySelector("[data-milestone-rows]");
    if (!template || !rows) { return; }
    counter += 1;
    var html = template.innerHTML.split("__n__").join(String(counter));
    rows.insertAdjacentHTML("beforeend", html);
    var added = rows.lastElementChild;
    var first = added && added.querySelector("select, input");
    if (first) { first.focus(); }
  });

  // After a save: focus the first invalid field, else the message, so keyboard and screen
  // reader users learn what happened without hunting for it.
  document.addEventListener("htmx:afterSettle", function (event) {
    syncVersions();
    var target = event.detail.target;
    if (!target || !target.classList || !target.classList.contains("convergence-axis")) { return; }
    var section = document.getElementById(target.id) || target;
    showAddButtons(section);
    var invalid = section.querySelector("[aria-invalid='true']");
    var notice = section.querySelector("[id$='-notice']");
    if (invalid) { invalid.focus(); } else if (notice) { notice.focus(); }
  });
  document.addEventListener("htmx:oobAfterSwap", syncVersions);
  document.addEventListener("DOMContentLoaded", function () { showAddButtons(document); });
})();
