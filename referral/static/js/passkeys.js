// Passkeys: runs navigator.credentials for a form marked data-webauthn="create" or "get",
// puts the browser's answer (JSON) in the form's hidden "credential" field and submits the
// form as usual, so that the CSRF token and the server's checks stay those of any form.
// A file of its own: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  function toBuffer(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeIds(list) {
    (list || []).forEach(function (c) { c.id = toBuffer(c.id); });
  }

  function answer(cred) {
    var r = cred.response;
    var out = {
      id: cred.id, rawId: toText(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(r.clientDataJSON) }
    };
    if (cred.authenticatorAttachment) { out.authenticatorAttachment = cred.authenticatorAttachment; }
    if (r.attestationObject) {
      out.response.attestationObject = toText(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = toText(r.authenticatorData);
      out.response.signature = toText(r.signature);
      if (r.userHandle) { out.response.userHandle = toText(r.userHandle); }
    }
    return out;
  }

  function ceremony(kind, options) {
    options.challenge = toBuffer(options.challenge);
    if (kind === "create") {
      options.user.id = toBuffer(options.user.id);
      decodeIds(options.excludeCredentials);
      return navigator.credentials.create({ publicKey: options });
    }
    decodeIds(options.allowCredentials);
    return navigator.credentials.get({ publicKey: options });
  }

  document.querySelectorAll("form[data-webauthn]").forEach(function (form) {
    var status = form.querySelector("[data-webauthn-status]");
    var say = function (text) { if (status) { status.textContent = text || ""; } };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!window.PublicKeyCredential || !navigator.credentials) {
        say(form.dataset.unsupported);
        return;
      }
      say(form.dataset.waiting);
      ceremony(form.dataset.webauthn, JSON.parse(form.dataset.options)).then(function (cred) {
        form.querySelector("input[name=credential]").value = JSON.stringify(answer(cred));
        form.submit();  // a plain submit: this listener does not run again
      }).catch(function () {
        say(form.dataset.failed);
      });
    });
  });
}());
