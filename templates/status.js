// Staleness warning: a static page cannot know the monitor stopped, but the
// visitor's clock can. When the page was generated longer ago than
// data-stale-after seconds (three expected cadences of the monitor, and
// never less than two of the page's own refreshes), say so. The page is
// complete without this script.
(function () {
  "use strict";
  var body = document.body;
  var note = document.getElementById("stale");
  var generated = Date.parse(body.getAttribute("data-generated") || "");
  var after = Number(body.getAttribute("data-stale-after")) * 1000;
  if (!note || isNaN(generated) || !(after > 0)) {
    return;
  }
  function check() {
    var age = Date.now() - generated;
    if (age <= after) {
      note.hidden = true;
      return;
    }
    var minutes = Math.floor(age / 60000);
    var text = minutes < 120 ? minutes + " minutes" : Math.floor(minutes / 60) + " hours";
    note.textContent = "Last updated " + text + " ago — this page may be out of date.";
    note.hidden = false;
  }
  check();
  setInterval(check, 30000);
})();
