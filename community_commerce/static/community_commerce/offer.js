/* The commerce pages' small enhancements. Offer cards: countdowns that tick by the server's clock.
 *
 * Each card carries data-server-now (ISO, the server's clock when it was rendered);
 * each countdown carries data-target (ISO). When a card arrives (page load or an htmx
 * swap) the gap between the server's clock and the browser's is measured once, so a
 * browser whose clock is wrong still counts down to the right moment. Without this
 * script the server's own words stay ("2 hours, 3 minutes" and the date).
 * When a countdown that was running reaches zero, the card asks htmx for a fresh copy
 * (the "offer-due" event in its hx-trigger). No framework, no build step.
 */
(function () {
  "use strict";

  var offsets = new WeakMap(); // card -> server clock minus browser clock, in ms
  var armed = new WeakMap(); // countdown -> true once seen with time left (only those refresh at zero)

  function adopt(root) {
    if (!root || !root.querySelectorAll) return;
    var cards = Array.prototype.slice.call(root.querySelectorAll("[data-server-now]"));
    if (root.matches && root.matches("[data-server-now]")) cards.push(root);
    var browserNow = Date.now();
    cards.forEach(function (card) {
      if (offsets.has(card)) return;
      var serverNow = Date.parse(card.getAttribute("data-server-now"));
      offsets.set(card, isNaN(serverNow) ? 0 : serverNow - browserNow);
    });
    tick();
  }

  function words(el) {
    var holder = el.closest("[data-countdown-days]");
    function get(name, fallback) {
      return (holder && holder.getAttribute("data-countdown-" + name)) || fallback;
    }
    return { days: get("days", "{d} d {h} h"), hours: get("hours", "{h} h {m} min"), now: get("now", "now") };
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function format(ms, short, w) {
    var s = Math.ceil(ms / 1000);
    var d = Math.floor(s / 86400);
    var h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    if (d > 0) return w.days.replace("{d}", d).replace("{h}", h);
    if (h > 0) return w.hours.replace("{h}", h).replace("{m}", pad(m));
    return (short ? String(m) : pad(m)) + ":" + pad(sec); // "04:59"; a Dutch drop: "0:42"
  }

  function due(card) {
    // A little after the moment, so the server's clock has passed it too.
    window.setTimeout(function () {
      if (window.htmx && card.isConnected && card.hasAttribute("hx-get")) window.htmx.trigger(card, "offer-due");
    }, 400);
  }

  function tick() {
    var browserNow = Date.now();
    document.querySelectorAll("[data-countdown][data-target]").forEach(function (el) {
      var card = el.closest("[data-server-now]");
      var target = Date.parse(el.getAttribute("data-target"));
      if (!card || !offsets.has(card) || isNaN(target)) return;
      var left = target - (browserNow + offsets.get(card));
      var text = left > 0 ? format(left, el.getAttribute("data-countdown") === "short", words(el)) : words(el).now;
      if (el.textContent !== text) el.textContent = text;
      if (left > 0) {
        armed.set(el, true);
      } else if (armed.get(el)) {
        armed.delete(el);
        due(card);
      }
    });
  }

  // Tables with a "tick all" box (the merchant's orders): shown only when this script runs.
  function checkAll(root) {
    root.querySelectorAll("[data-check-all]").forEach(function (box) {
      var table = box.closest("table");
      var name = box.getAttribute("data-check-all");
      box.hidden = false;
      box.addEventListener("change", function () {
        table.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (each) {
          each.checked = box.checked;
        });
      });
    });
  }

  document.addEventListener("htmx:load", function (event) {
    adopt(event.detail && event.detail.elt);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      adopt(document);
      checkAll(document);
    });
  } else {
    adopt(document);
    checkAll(document);
  }
  window.setInterval(tick, 250); // cheap, and the seconds turn over on time
})();
