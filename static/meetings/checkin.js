// Camera scanning at the check-in desk with the browser's BarcodeDetector (Chrome, Edge,
// Android, recent Safari).  Without it the desk types the code or searches by name.
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  var button = document.getElementById("scan-start");
  var video = document.getElementById("scan-video");
  var input = document.getElementById("scan-code");
  var note = document.getElementById("scan-note");
  if (!form || !button) return;
  var supported = "BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
  if (!supported) { note.hidden = false; return; }
  button.hidden = false;
  var stream = null;

  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.hidden = true;
  }

  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      return video.play();
    }).then(function () {
      var tick = function () {
        if (!stream) return;
        detector.detect(video).then(function (codes) {
          if (codes.length && codes[0].rawValue) {
            input.value = codes[0].rawValue.trim();
            stop();
            form.submit();
          } else {
            window.setTimeout(tick, 200);
          }
        }).catch(function () { window.setTimeout(tick, 400); });
      };
      tick();
    }).catch(function () { stop(); note.hidden = false; });
  });
})();
