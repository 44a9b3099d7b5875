// Questionnaire: extra comfort when JavaScript runs. Everything works without it (each axis is a
// plain multipart form; the server validates, stores the files and redirects back).
(function () {
  "use strict";

  var AUTOSAVE_DELAY_MS = 1500;  // after the last keystroke
  var timers = {};
  var dirty = {};

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

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

  // --- Autosave of a draft ------------------------------------------------------------------
  // What is typed in an axis is kept server-side as a draft (never an answer) a moment after the
  // last change, and when the page is hidden or closed; "Save axis" still validates and saves.

  function axisForm(element) {
    return element && element.closest ? element.closest("form[data-axis-form]") : null;
  }

  function draftBody(form) {
    var data = new FormData(form);
    data.delete("file");
    data.set("intent", "draft");
    return data;
  }

  function setTocState(code, state, label) {
    var item = document.querySelector('[data-toc-axis="' + code + '"]');
    if (!item) { return; }
    var badge = item.querySelector("[data-toc-state]");
    item.className = "convergence-toc__item convergence-toc__item--" + state;
    if (badge) {
      badge.textContent = label;
      badge.className = "fr-badge fr-badge--sm fr-badge--no-icon fr-badge--warning";
    }
  }

  function saveDraft(form) {
    var code = form.getAttribute("data-axis-form");
    timers[code] = null;
    if (!dirty[code]) { return; }
    dirty[code] = false;
    var status = document.getElementById("axis-" + code + "-draft-status");
    window.fetch(form.getAttribute("action"), {
      method: "POST",
      body: draftBody(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (response) {
      return response.json();
    }).then(function (answer) {
      if (status && answer.message) { status.textContent = answer.message; }
      if (answer.saved) { setTocState(code, "draft", answer.state_label); }
    }).catch(function () {
      dirty[code] = true;  // try again at the next change or when the page is hidden
    });
  }

  function scheduleDraft(event) {
    var form = axisForm(event.target);
    if (!form || event.target.type === "file") { return; }
    var code = form.getAttribute("data-axis-form");
    dirty[code] = true;
    if (timers[code]) { window.clearTimeout(timers[code]); }
    timers[code] = window.setTimeout(function () { saveDraft(form); }, AUTOSAVE_DELAY_MS);
  }
  document.addEventListener("input", scheduleDraft);
  document.addEventListener("change", scheduleDraft);

  // A closed tab or a page left: send what is pending with sendBeacon (it survives the unload).
  function flushDrafts() {
    document.querySelectorAll("form[data-axis-form]").forEach(function (form) {
      var code = form.getAttribute("data-axis-form");
      if (!dirty[code]) { return; }
      if (timers[code]) { window.clearTimeout(timers[code]); timers[code] = null; }
      dirty[code] = false;
      if (navigator.sendBeacon) { navigator.sendBeacon(form.getAttribute("action"), draftBody(form)); }
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flushDrafts(); }
  });
  window.addEventListener("pagehide", flushDrafts);

  // --- Evidence chosen in the axis: size checked at once, upload progress -------------------

  function fileError(input, message) {
    var error = document.getElementById(input.id + "-error");
    var group = input.closest(".fr-upload-group");
    if (error) { error.textContent = message; error.hidden = !message; }
    if (group) { group.classList.toggle("fr-upload-group--error", Boolean(message)); }
    if (message) {
      input.setAttribute("aria-invalid", "true");
      if (error && (input.getAttribute("aria-describedby") || "").indexOf(error.id) < 0) {
        input.setAttribute("aria-describedby", (input.getAttribute("aria-describedby") + " " + error.id).trim());
      }
    } else {
      input.removeAttribute("aria-invalid");
    }
  }

  function tooLarge(input) {
    var max = Number(input.getAttribute("data-max-bytes") || 0);
    return Array.prototype.some.call(input.files || [], function (file) { return max && file.size > max; });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "file" || !axisForm(input)) { return; }
    fileError(input, tooLarge(input) ? input.getAttribute("data-too-large") : "");
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches("form[data-axis-form]")) { return; }
    var code = form.getAttribute("data-axis-form");
    var input = form.querySelector("input[type=file]");
    if (input && tooLarge(input)) {
      event.preventDefault();
      fileError(input, input.getAttribute("data-too-large"));
      input.focus();
      return;
    }
    // The explicit save supersedes the pending draft.
    if (timers[code]) { window.clearTimeout(timers[code]); timers[code] = null; }
    dirty[code] = false;
  });

  document.addEventListener("htmx:beforeSend", function (event) {
    var form = event.detail.elt;
    var xhr = event.detail.xhr;
    if (!form || !form.matches || !form.matches("form[data-axis-form]") || !xhr || !xhr.upload) { return; }
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files || !input.files.length) { return; }
    var code = form.getAttribute("data-axis-form");
    var box = document.getElementById("ax-" + code + "-upload");
    var bar = document.getElementById("ax-" + code + "-upload-progress");
    var percent = document.getElementById("ax-" + code + "-upload-percent");
    if (!box || !bar) { return; }
    box.hidden = false;
    var lastTenth = -1;
    xhr.upload.addEventListener("progress", function (progress) {
      if (!progress.lengthComputable) { return; }
      var value = Math.round((progress.loaded / progress.total) * 100);
      bar.value = value;
      // Announce every 10 % only, not every event.
      var tenth = Math.floor(value / 10);
      if (percent && tenth !== lastTenth) { lastTenth = tenth; percent.textContent = value + " %"; }
    });
  });

  // --- Keyboard: move between axes -----------------------------------------------------------
  // Alt+ArrowDown / Alt+ArrowUp anywhere but in a drop-down list (where Alt+ArrowDown opens it);
  // j / k only when the focus is not in a field. Screen readers' browse-mode keys are left alone.

  function sections() {
    return Array.prototype.slice.call(document.querySelectorAll("section.convergence-axis"));
  }

  function focusAxis(section) {
    var heading = section && section.querySelector("h3");
    if (!heading) { return; }
    heading.focus();
    heading.scrollIntoView({ block: "start" });
  }

  function currentIndex(list) {
    var active = document.activeElement;
    var holder = active && active.closest ? active.closest("section.convergence-axis") : null;
    if (holder) { return list.indexOf(holder); }
    var index = -1;
    list.forEach(function (section, i) {
      if (section.getBoundingClientRect().top <= 80) { index = i; }
    });
    return index;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var inField = target.closest && target.closest("input, textarea, select, [contenteditable]");
    var step = 0;
    if (event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey &&
        (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      if (target.tagName === "SELECT") { return; }
      step = event.key === "ArrowDown" ? 1 : -1;
    } else if (!inField && !event.altKey && !event.ctrlKey && !event.metaKey &&
               (event.key === "j" || event.key === "k")) {
      step = event.key === "j" ? 1 : -1;
    }
    if (!step) { return; }
    var list = sections();
    if (!list.length) { return; }
    var next = Math.min(Math.max(currentIndex(list) + step, 0), list.length - 1);
    event.preventDefault();
    focusAxis(list[next]);
  });

  // The summary's links move the focus into the axis, not only the view.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-axis-link]");
    if (!link) { return; }
    var section = document.getElementById("axis-" + link.getAttribute("data-axis-link"));
    if (!section) { return; }
    event.preventDefault();
    if (window.history && window.history.pushState) { window.history.pushState(null, "", "#" + section.id); }
    focusAxis(section);
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
