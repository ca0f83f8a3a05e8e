// Shows upload progress on the document forms (data-upload-progress). Without this script the
// form posts as usual; with it, the same request goes through XMLHttpRequest so that the
// <progress> bar can follow the bytes sent, and the answer replaces the page.
(function () {
  "use strict";
  function replacePage(xhr) {
    if (xhr.responseURL && xhr.responseURL !== window.location.href) {
      window.location.assign(xhr.responseURL);
      return;
    }
    document.open();
    document.write(xhr.responseText);
    document.close();
  }
  document.querySelectorAll("form[data-upload-progress]").forEach(function (form) {
    var bar = form.querySelector(".upload-progress");
    if (!bar || !window.FormData || !window.XMLHttpRequest) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
      });
      xhr.addEventListener("load", function () { replacePage(xhr); });
      xhr.addEventListener("error", function () { form.submit(); });
      bar.hidden = false;
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      xhr.send(new FormData(form));
    });
  });
}());
