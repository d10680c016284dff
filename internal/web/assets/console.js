// Tongban console: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";
  var lang = document.body.getAttribute("data-lang") || "zh";
  var T = {
    zh: { left: "剩余 %d 天 %h 小时 %m 分", over: "已超时 %d 天 %h 小时 %m 分",
          idOK: "号码校验通过", idLen: "应为 18 位", idChar: "校验码不符，应为 %c", idDigits: "前 17 位须为数字",
          idDate: "出生日期无效" },
    en: { left: "%d d %h h %m min left", over: "overdue by %d d %h h %m min",
          idOK: "check character correct", idLen: "must be 18 characters", idChar: "wrong check character, expected %c",
          idDigits: "the first 17 must be digits", idDate: "invalid birth date" }
  }[lang === "en" ? "en" : "zh"];

  // GB 11643 / ISO 7064 MOD 11-2 check character of a resident ID number.
  var W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], C = "10X98765432";
  function checkID(v) {
    v = v.replace(/\s+/g, "").toUpperCase();
    if (v.length !== 18) return { ok: false, msg: T.idLen };
    if (!/^[0-9]{17}$/.test(v.slice(0, 17))) return { ok: false, msg: T.idDigits };
    var y = +v.slice(6, 10), m = +v.slice(10, 12), d = +v.slice(12, 14), dt = new Date(y, m - 1, d);
    if (dt.getFullYear() !== y || dt.getMonth() !== m - 1 || dt.getDate() !== d || dt > new Date() || y < 1900) return { ok: false, msg: T.idDate };
    var s = 0;
    for (var i = 0; i < 17; i++) s += (+v[i]) * W[i];
    var c = C[s % 11];
    if (v[17] !== c) return { ok: false, msg: T.idChar.replace("%c", c) };
    return { ok: true, msg: T.idOK };
  }
  function wireID(input) {
    var hint = document.getElementById(input.getAttribute("data-idcheck"));
    var type = input.form && input.form.querySelector("[name=id_type]");
    function run() {
      if (type && type.value !== "111") { input.classList.remove("invalid", "valid"); if (hint) hint.textContent = ""; input.setCustomValidity(""); return; }
      var v = input.value;
      if (!v) { input.classList.remove("invalid", "valid"); if (hint) { hint.textContent = ""; hint.className = "hint"; } return; }
      var r = checkID(v);
      input.classList.toggle("invalid", !r.ok && v.length >= 18);
      input.classList.toggle("valid", r.ok);
      input.setAttribute("aria-invalid", r.ok ? "false" : "true");
      input.setCustomValidity(r.ok || v.length < 18 ? "" : r.msg);
      if (hint) { hint.textContent = v.length < 18 && !r.ok ? T.idLen + " (" + v.length + "/18)" : r.msg; hint.className = "hint " + (r.ok ? "good" : "bad"); }
    }
    input.addEventListener("input", run);
    if (type) type.addEventListener("change", run);
    run();
  }

  // Countdowns: the server renders the remaining time; this keeps it current.
  function fmt(ms) {
    var key = ms < 0 ? "over" : "left";
    ms = Math.abs(ms);
    var mins = Math.floor(ms / 60000), d = Math.floor(mins / 1440), h = Math.floor(mins % 1440 / 60), m = mins % 60;
    return T[key].replace("%d", d).replace("%h", h).replace("%m", m);
  }
  function tick() {
    var skew = +(document.body.getAttribute("data-skew") || 0);
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var ms = +el.getAttribute("data-due") - (Date.now() + skew);
      el.textContent = fmt(ms);
      if (ms < 0) el.classList.add("over");
    });
  }

  // 容缺: the commitment date is needed once an item is waived.
  function wireWaive(form) {
    var date = form.querySelector("[name=commitment_date]");
    if (!date) return;
    function run() {
      var any = form.querySelector("input[name=waived]:checked");
      date.required = !!any;
      date.closest("label").style.opacity = any ? 1 : .6;
    }
    form.addEventListener("change", run);
    run();
    // Ticking an item fills in the checklist's counts, which the clerk then corrects.
    form.querySelectorAll("input[data-orig]").forEach(function (box) {
      box.addEventListener("change", function () {
        var row = box.closest("tr"), o = row.querySelector("input[name^=orig_]"), c = row.querySelector("input[name^=copy_]");
        if (box.checked && +o.value === 0 && +c.value === 0) { o.value = box.getAttribute("data-orig"); c.value = box.getAttribute("data-copy"); }
        if (!box.checked) { o.value = 0; c.value = 0; }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var now = document.body.getAttribute("data-now");
    if (now) document.body.setAttribute("data-skew", String(+now - Date.now()));
    document.querySelectorAll("[data-idcheck]").forEach(wireID);
    document.querySelectorAll("form[data-intake]").forEach(wireWaive);
    if (document.querySelector("[data-due]")) { tick(); setInterval(tick, 60000); }
    document.querySelectorAll("[data-back]").forEach(function (a) {
      a.addEventListener("click", function (e) { if (history.length > 1) { e.preventDefault(); history.back(); } });
    });
    // A scan box keeps the focus, so the next parcel can be scanned straight away.
    var scan = document.querySelector("input[data-scan]");
    if (scan) { scan.focus(); scan.select(); }
    // Ask before an irreversible step.
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) { if (!confirm(f.getAttribute("data-confirm"))) e.preventDefault(); });
    });
  });
})();
