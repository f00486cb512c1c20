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
      // A live part of the page (a child's attendance) reloads when news concern it.
      var live = document.querySelector("[data-live]");
      if (live && data.announce && data.newest && data.newest.link === live.getAttribute("data-live")) {
        fetch(window.location.href, { credentials: "same-origin" })
          .then(function (r) { return r.text(); })
          .then(function (html) {
            var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(live.id);
            if (fresh) { live.innerHTML = fresh.innerHTML; }
          });
      }
    });
  }
  // Check-in: the browser's position (WGS-84) fills the form before it is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-locate") || form.elements.lat.value) { return; }
    event.preventDefault();
    var status = form.querySelector("[data-locate-status]");
    if (!navigator.geolocation) { status.textContent = "此浏览器无法定位，请在手机上打开"; return; }
    status.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lat.value = pos.coords.latitude;
      form.elements.lng.value = pos.coords.longitude;
      form.elements.accuracy.value = pos.coords.accuracy;
      form.submit();
    }, function (err) {
      status.textContent = err.code === 1 ? "请允许获取位置后再签到" : "定位失败，请到室外或打开 GPS 后重试";
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  });
  // Roll call: everyone present in one tap (leave kept), and the counts follow each mark.
  var roll = document.querySelector("form[data-roll]");
  if (roll) {
    var recount = function () {
      var counts = { attended: 0, late: 0, absent: 0, leave: 0, none: 0 };
      roll.querySelectorAll("li").forEach(function (row) {
        var checked = row.querySelector("input[type=radio]:checked");
        var v = checked ? checked.value : "none";
        if (v === "present" || v === "late") { counts.attended += 1; }
        if (v !== "present") { counts[v] += 1; }
      });
      Object.keys(counts).forEach(function (k) {
        var el = document.querySelector("[data-count=" + k + "]");
        if (el) { el.textContent = String(counts[k]); }
      });
    };
    roll.addEventListener("change", recount);
    var all = roll.querySelector("[data-all-present]");
    if (all) {
      all.addEventListener("click", function () {
        roll.querySelectorAll("li").forEach(function (row) {
          var want = row.hasAttribute("data-on-leave") ? "leave" : "present";
          var box = row.querySelector("input[type=radio][value=" + want + "]");
          if (box) { box.checked = true; }
        });
        recount();
      });
    }
  }
  // Print buttons.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });
  // A page waiting for a background job reloads itself until the job is done.
  var waiting = document.querySelector("[data-refresh]");
  if (waiting) {
    setTimeout(function () { window.location.reload(); }, 1000 * Number(waiting.getAttribute("data-refresh") || 2));
  }
  // The weekly grid: a lesson dragged onto another period posts the same form as the
  // move page (keyboard and phone users use that form).
  var grid = document.querySelector("table.grid-week[data-move-url]");
  if (grid) {
    var dragged = null;
    grid.addEventListener("dragstart", function (event) {
      var lesson = event.target.closest("[data-slot]");
      if (!lesson) { return; }
      dragged = lesson.getAttribute("data-slot");
      event.dataTransfer.setData("text/plain", dragged);
    });
    grid.addEventListener("dragover", function (event) {
      if (dragged && event.target.closest("td[data-time]")) { event.preventDefault(); }
    });
    grid.addEventListener("drop", function (event) {
      var cell = event.target.closest("td[data-time]");
      if (!cell || !dragged) { return; }
      event.preventDefault();
      var form = document.createElement("form");
      form.method = "post";
      form.action = grid.getAttribute("data-move-url") + dragged + "?term=" + grid.getAttribute("data-term");
      [["_csrf", grid.getAttribute("data-csrf")], ["time", cell.getAttribute("data-time")], ["locked", "1"]].forEach(function (kv) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = kv[0]; input.value = kv[1];
        form.appendChild(input);
      });
      document.body.appendChild(form);
      form.submit();
    });
  }
})();
