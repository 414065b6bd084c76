// Share a link: copy it, or hand it to the system's share sheet (the Web Share API) where
// the browser has one. Without JavaScript the address is still there to select and copy.
(function () {
  "use strict";
  document.querySelectorAll("[data-share-url]").forEach(function (box) {
    var url = box.getAttribute("data-share-url");
    var title = box.getAttribute("data-share-title") || "";
    var status = box.querySelector("[data-share-status]");
    var copy = box.querySelector("[data-share-copy]");
    var share = box.querySelector("[data-share-native]");
    function say(text) { if (status) { status.textContent = text; } }
    if (copy) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        var done = function () { say(copy.getAttribute("data-done")); };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(url).then(done, function () {
            box.querySelector("input").select(); document.execCommand("copy"); done();
          });
        } else {
          box.querySelector("input").select(); document.execCommand("copy"); done();
        }
      });
    }
    if (share && navigator.share) {
      share.hidden = false;
      share.addEventListener("click", function () {
        navigator.share({ title: title, url: url }).catch(function () {});
      });
    }
  });
})();
