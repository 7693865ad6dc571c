// Small behaviours of the log form, loaded as a file so the CSP needs no inline script.
// An outbound message attached to an open request expects an answer: tick "Needs a response"
// when a request is ticked, unless the user has unticked it themselves (it stays untickable).
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
