// Enhancements for visitors whose browser runs scripts; the page is
// complete without them (a <noscript> meta refresh reloads it, and every
// time is shown in UTC).
//
// - Staleness: a static page cannot know the monitor stopped, but the
//   visitor's clock can. When the page was generated longer ago than
//   data-stale-after seconds (three expected cadences of the monitor, and
//   never less than two of the page's own refreshes), say so.
// - Auto-refresh every data-refresh seconds behind a "Pause auto-refresh"
//   button (WCAG 2.2.1), keeping the scroll position; a pause lasts across
//   reloads for the rest of the visit (sessionStorage).
// - Times: every <time datetime> with a time of day is shown in the
//   visitor's time zone, with "5 minutes ago" for the last and next day.
(function () {
  "use strict";
  var body = document.body;
  // Times in the page's language, as the visitor writes it: en-GB's
  // 24-hour clock on an English page for a British visitor.
  var lang = document.documentElement.lang || undefined;
  if (lang) {
    var mine = [].concat(navigator.languages || [], navigator.language || []).filter(function (l) {
      return l.split("-")[0].toLowerCase() === lang.split("-")[0].toLowerCase();
    });
    lang = mine[0] || lang;
  }
  var now = function () { return Date.now(); };

  // sessionStorage throws where storage is disabled; then a pause lasts
  // until the next reload, and the scroll position is the browser's.
  var store = {
    get: function (k) { try { return window.sessionStorage.getItem(k); } catch (e) { return null; } },
    set: function (k, v) { try { window.sessionStorage.setItem(k, v); } catch (e) { /* not kept */ } },
    del: function (k) { try { window.sessionStorage.removeItem(k); } catch (e) { /* nothing kept */ } }
  };

  // Staleness.
  var note = document.getElementById("stale");
  var generated = Date.parse(body.getAttribute("data-generated") || "");
  var after = Number(body.getAttribute("data-stale-after")) * 1000;
  function checkStale() {
    if (!note || isNaN(generated) || !(after > 0)) {
      return;
    }
    var age = now() - generated;
    if (age <= after) {
      note.hidden = true;
      return;
    }
    // The sentence is the page's, in its language; Intl words the age.
    var minutes = Math.floor(age / 60000);
    var text = minutes < 120 ? minutes + " minutes ago" : Math.floor(minutes / 60) + " hours ago";
    try {
      var rel = new Intl.RelativeTimeFormat(lang, { numeric: "always" });
      text = minutes < 120 ? rel.format(-minutes, "minute") : rel.format(-Math.floor(minutes / 60), "hour");
    } catch (e) { /* an old browser: the English words above */ }
    var sentence = note.getAttribute("data-text") || "Last updated {ago} — this page may be out of date.";
    note.textContent = sentence.replace("{ago}", text);
    note.hidden = false;
  }

  // Auto-refresh.
  var pausedKey = "statusgen:refresh-paused";
  var scrollKey = "statusgen:scroll:" + location.pathname;
  var every = Number(body.getAttribute("data-refresh")) * 1000;
  var control = document.getElementById("refresh");
  var button = control && control.querySelector("button");
  var status = document.getElementById("refresh-note");
  var running = status && status.textContent; // "Reloads every 60 s", in the page's language
  var timer = 0;
  var saved = store.get(scrollKey);
  if (saved !== null) {
    store.del(scrollKey);
    var xy = saved.split(",");
    window.scrollTo(Number(xy[0]) || 0, Number(xy[1]) || 0);
  }
  function paused() { return button.getAttribute("aria-pressed") === "true"; }
  function reload() {
    timer = 0;
    if (paused()) {
      return;
    }
    if (document.hidden) {
      return; // a tab in the background reloads when it is seen again
    }
    if (navigator.onLine === false) {
      schedule();
      return;
    }
    // Reload only a page the host still serves: a failed reload would
    // leave the visitor an error page that never refreshes again.
    fetch(location.href, { method: "HEAD", cache: "no-store" }).then(function (r) {
      if (!r.ok || paused()) {
        schedule();
        return;
      }
      store.set(scrollKey, Math.round(window.scrollX) + "," + Math.round(window.scrollY));
      location.reload();
    }, schedule);
  }
  function schedule() {
    if (timer) {
      clearTimeout(timer);
    }
    timer = paused() ? 0 : setTimeout(reload, every);
  }
  function show() {
    var p = paused();
    button.setAttribute("aria-pressed", p ? "true" : "false");
    status.textContent = p ? status.getAttribute("data-paused") : running;
  }
  if (every > 0 && button && status) {
    if (store.get(pausedKey) === "1") {
      button.setAttribute("aria-pressed", "true");
    }
    button.addEventListener("click", function () {
      var p = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", p ? "true" : "false");
      if (p) {
        store.set(pausedKey, "1");
      } else {
        store.del(pausedKey);
      }
      show();
      schedule();
    });
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && !timer && !paused()) {
        reload();
      }
    });
    control.hidden = false;
    show();
    schedule();
  }

  // Times, in a task of their own: the page is usable before they are.
  var clock = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
  var absolute, relative;
  var times = [];
  function ago(ms) {
    var s = Math.round(ms / 1000), a = Math.abs(s);
    if (a < 60) { return relative.format(0, "second"); } // "now"
    if (a < 3600) { return relative.format(Math.round(s / 60), "minute"); }
    return relative.format(Math.round(s / 3600), "hour");
  }
  function showTimes() {
    var t = now();
    times.forEach(function (x) {
      var text = absolute.format(new Date(x.at));
      if (Math.abs(t - x.at) < 86400000) {
        text += " (" + ago(x.at - t) + ")";
      }
      if (x.el.textContent !== text) {
        x.el.textContent = text;
      }
    });
  }
  function localTimes() {
    try {
      absolute = new Intl.DateTimeFormat(lang, {
        year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      });
      relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
    } catch (e) {
      return; // an old browser keeps the UTC times
    }
    Array.prototype.forEach.call(document.querySelectorAll("time[datetime]"), function (el) {
      var iso = el.getAttribute("datetime");
      var at = clock.test(iso) ? Date.parse(iso) : NaN; // a date alone has no time zone to convert
      if (!isNaN(at)) {
        if (!el.title) {
          el.title = el.textContent; // the UTC time, as the page was written
        }
        times.push({ el: el, at: at });
      }
    });
    if (!times.length) {
      return;
    }
    showTimes();
    var tz = document.getElementById("tz-note");
    var zone = absolute.resolvedOptions().timeZone;
    if (tz && zone && tz.getAttribute("data-local")) {
      tz.textContent = tz.getAttribute("data-local").replace("{zone}", zone);
    }
  }
  setTimeout(localTimes, 0);

  checkStale();
  setInterval(function () {
    checkStale();
    if (times.length) {
      showTimes();
    }
  }, 30000);
})();
