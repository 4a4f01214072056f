// The register's form: search boxes for long lists (villages, countries, records). Nothing here
// checks an answer: the register on the server does, and says why beside the field.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf"]');
  var token = csrf ? csrf.getAttribute("content") : "";

  function fold(text) {
    return (text || "").normalize("NFC").toLowerCase().replace(/[\s\u200b-\u200d]+/g, " ").trim();
  }

  function filterLocal(select, query) {
    var wanted = fold(query);
    Array.prototype.forEach.call(select.options, function (option) {
      var keep = !wanted || option.selected || option.classList.contains("keep") ||
        fold(option.textContent).indexOf(wanted) >= 0;
      option.hidden = !keep;
    });
  }

  function replaceOptions(select, found) {
    var kept = Array.prototype.filter.call(select.options, function (option) {
      return option.selected || option.classList.contains("keep");
    });
    var seen = {};
    kept.forEach(function (option) { seen[option.value] = true; });
    while (select.options.length) { select.remove(0); }
    kept.forEach(function (option) { select.add(option); });
    found.forEach(function (item) {
      if (seen[item.value]) { return; }
      var option = document.createElement("option");
      option.value = item.value;
      option.textContent = item.label;
      select.add(option);
    });
    select.dataset.loaded = String(found.length);
  }

  function also(finder) {
    // another answer the look-up needs (a referral's person, for their departures)
    var name = finder.dataset.also;
    var other = name ? finder.closest("form").querySelector('[name="' + name + '"]') : null;
    return other ? other.value : "";
  }

  function askServer(finder, select, query) {
    var body = new URLSearchParams();
    body.set("q", query);
    if (finder.dataset.also) { body.set(finder.dataset.also, also(finder)); }
    fetch(finder.dataset.source, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": token }
    }).then(function (response) {
      return response.ok ? response.json() : [];
    }).then(function (found) {
      if (finder.dataset.asked === query) { replaceOptions(select, found); }
    }).catch(function () { /* the list keeps what it had */ });
  }

  document.querySelectorAll(".finder").forEach(function (finder) {
    var query = finder.querySelector(".finder-query");
    var select = finder.querySelector("select");
    var timer = null;
    query.addEventListener("input", function () {
      if (!finder.dataset.source) { filterLocal(select, query.value); return; }
      clearTimeout(timer);
      timer = setTimeout(function () {
        finder.dataset.asked = query.value;
        askServer(finder, select, query.value);
      }, 200);
    });
    if (finder.dataset.also) {  // the person chosen: their departures to pick from
      var other = finder.closest("form").querySelector('[name="' + finder.dataset.also + '"]');
      if (other) {
        other.addEventListener("change", function () {
          Array.prototype.forEach.call(select.options, function (o) { o.selected = false; });
          finder.dataset.asked = query.value;
          askServer(finder, select, query.value);
        });
      }
    }
    query.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === "ArrowDown") {
        event.preventDefault();  // Enter in a search box chooses, it does not send the form
        var first = Array.prototype.find.call(select.options, function (o) { return !o.hidden && o.value; });
        if (first && event.key === "Enter" && !select.multiple) { first.selected = true; }
        select.focus();
      }
    });
  });

  // The first field with a problem gets the focus, so the clerk sees why.
  var wrong = document.querySelector(".has-error input, .has-error select, .has-error textarea");
  if (wrong) { wrong.focus(); }
})();
