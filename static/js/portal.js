// Small behaviours of the portal, loaded as a file so the CSP needs no inline script. Loaded
// without defer: it marks <html> as scripted before the first paint (the phone menu starts
// collapsed), and everything else listens on the document, which exists already.
document.documentElement.classList.add("js");

// The log form: an outbound message attached to an open request expects an answer. Tick "Needs
// a response" when a request is ticked, unless the user has unticked it (it stays untickable).
(function () {
  function sync(form) {
    var needs = form.querySelector('input[name="needs_response"]');
    if (!needs || needs.dataset.touched) return;
    var outbound = form.querySelector('input[name="direction"][value="outbound"]');
    var attached = form.querySelector('input[name="requests"]:checked');
    var opens = form.querySelector('input[name="open_request"]:checked');
    needs.checked = Boolean(outbound && outbound.checked && (attached || opens));
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest("#log-form");
    if (!form) return;
    if (event.target.name === "needs_response") {
      event.target.dataset.touched = "1";
      return;
    }
    sync(form);
  });
})();

// Filter forms send only the filters in use, so pushed URLs stay short and shareable.
document.addEventListener("htmx:configRequest", function (event) {
  if (!event.target.matches || !event.target.matches("form.filters")) return;
  var data = event.detail.formData;
  if (!data) return;
  Array.from(data.keys()).forEach(function (key) {
    if (data.get(key) === "") data.delete(key);
  });
});

// The menu button of narrow screens: it shows and hides the menu, Escape closes it again.
document.addEventListener("click", function (event) {
  var toggle = event.target.closest(".nav-toggle");
  if (!toggle) return;
  toggle.setAttribute("aria-expanded", String(toggle.getAttribute("aria-expanded") !== "true"));
});
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  var toggle = document.querySelector('.nav-toggle[aria-expanded="true"]');
  if (!toggle) return;
  toggle.setAttribute("aria-expanded", "false");
  toggle.focus();
});

// Logging from the keyboard: the "Log" link at the top of a project page and the shortcut L
// (when not typing in a field, and unless the user turned single-key shortcuts off: then the
// link has no aria-keyshortcuts) put the cursor in the log form's first field; Ctrl+Enter (or
// Cmd+Enter) in the form logs it. After HTMX answers, the cursor goes back to the form: to the
// first field with an error, or to the first field for the next entry.
(function () {
  function firstField(form, selector) {
    return form && form.querySelector(selector || "select, input:not([type=hidden]), textarea");
  }
  function focusLogForm() {
    var form = document.getElementById("log-form");
    var field = firstField(form);
    if (!field) return false;
    form.scrollIntoView({ block: "start" }); // the form's heading too, not only its first field
    field.focus({ preventScroll: true });
    return true;
  }
  function typing(target) {
    return target.closest("input, select, textarea, [contenteditable]:not([contenteditable=false])");
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-focus-log]");
    if (link && focusLogForm()) event.preventDefault();
  });
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      var form = event.target.closest && event.target.closest("#log-form");
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
    if (event.key !== "l" && event.key !== "L") return;
    if (typing(event.target) || !document.querySelector("a[data-focus-log][aria-keyshortcuts]")) return;
    if (focusLogForm()) event.preventDefault();
  });
  var refocus = false;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = document.getElementById("log-form");
    refocus = Boolean(form && event.detail.target === form && form.contains(document.activeElement));
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!refocus) return;
    refocus = false;
    var form = document.getElementById("log-form");
    var field = firstField(form, ".has-error select, .has-error input, .has-error textarea") || firstField(form);
    if (field) field.focus();
  });
})();
