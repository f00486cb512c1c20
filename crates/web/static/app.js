// kehou: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Forms with data-confirm ask in a dialog before they submit.
  var dialog = document.getElementById("confirm-dialog");
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (!question || !dialog || form.dataset.confirmed === "yes") { return; }
    event.preventDefault();
    dialog.querySelector(".question").textContent = question;
    dialog.returnValue = "";
    dialog.showModal();
    dialog.addEventListener("close", function onClose() {
      dialog.removeEventListener("close", onClose);
      if (dialog.returnValue === "ok") {
        form.dataset.confirmed = "yes";
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    });
  });
  // Selects with data-autosubmit submit their form on change (membership switcher).
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) { event.target.form.submit(); }
  });
  // After a refused submit, go to the first field in error (its message is read with it),
  // else to the form's summary of errors.
  var bad = document.querySelector("[aria-invalid=true], .has-error input, .has-error select, .has-error textarea");
  var summary = document.querySelector("main .alert");
  if (bad) {
    bad.focus();
    if (bad.scrollIntoView) { bad.scrollIntoView({ block: "center" }); }
  } else if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
  // On a phone the navigation scrolls sideways: keep the current section in sight.
  var active = document.querySelector("nav .active, nav [aria-current=page]");
  if (active && active.scrollIntoView) { active.scrollIntoView({ block: "nearest", inline: "center" }); }
  // Buttons with data-check="all|none" tick or untick every checkbox of their form.
  document.addEventListener("click", function (event) {
    var mode = event.target.getAttribute("data-check");
    if (!mode) { return; }
    event.preventDefault();
    // form.elements includes boxes tied to the form by their form attribute (list rows).
    Array.prototype.forEach.call(event.target.form.elements, function (box) {
      if (box.type === "checkbox") { box.checked = mode === "all"; }
    });
  });
  // The message centre's badge follows new messages live (server-sent events).
  var badge = document.querySelector("[data-unread]");
  if (badge && window.EventSource) {
    var toast = document.getElementById("live-message");
    var source = new EventSource("/messages/stream");
    // Let go of the connection when leaving the page (browsers allow few per site).
    window.addEventListener("pagehide", function () { source.close(); });
    source.addEventListener("unread", function (event) {
      var data = JSON.parse(event.data);
      badge.textContent = String(data.unread);
      badge.hidden = data.unread === 0;
      if (data.newest && toast && data.announce) {
        toast.textContent = "新消息：" + data.newest.title;
        toast.hidden = false;
        setTimeout(function () { toast.hidden = true; }, 6000);
      }
    });
  }
})();
