// CertLedger department console: signs in with an API key kept in
// sessionStorage, and drives the REST API with fetch. No framework, no
// build step; every string comes from the server-rendered message catalog.
(function () {
  "use strict";

  var KEY_STORAGE = "certledger.apiKey";
  var msgs = JSON.parse(document.getElementById("console-messages").textContent);
  var lang = document.documentElement.lang.indexOf("zh") === 0 ? "zh" : "en";

  var state = { apiKey: "", dept: null, types: [], catalogue: [], current: null, idempotencyKey: "" };

  function $(id) { return document.getElementById(id); }

  // t formats a catalog message, replacing %s and %d in order.
  function t(key) {
    var args = Array.prototype.slice.call(arguments, 1);
    var m = Object.prototype.hasOwnProperty.call(msgs, key) ? msgs[key] : key;
    return m.replace(/%[sd]/g, function () { return args.length ? String(args.shift()) : ""; });
  }

  function pick(zh, en) { return lang === "zh" ? (zh || en) : (en || zh); }

  function show(el, text) { el.textContent = text; el.hidden = false; }
  function hide(el) { el.textContent = ""; el.hidden = true; }

  // ApiError carries an RFC 9457 problem's words to the user as they are.
  function ApiError(status, message) { this.status = status; this.message = message; }

  function problemText(status, body) {
    if (body && typeof body === "object") {
      if (body.title && body.detail) { return body.title + ": " + body.detail; }
      if (body.detail) { return body.detail; }
      if (body.title) { return body.title; }
    }
    return "HTTP " + status;
  }

  // api calls the gateway with the department's key. opts.blob asks for a
  // binary answer (the QR PNG).
  function api(method, path, body, opts) {
    opts = opts || {};
    var headers = { "Accept": opts.blob ? "image/png" : "application/json" };
    var key = opts.apiKey !== undefined ? opts.apiKey : state.apiKey;
    if (key) { headers["Authorization"] = "Bearer " + key; }
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (opts.headers) { Object.keys(opts.headers).forEach(function (h) { headers[h] = opts.headers[h]; }); }
    return fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer"
    }).catch(function (err) {
      throw new ApiError(0, t("console.msg.network", err.message));
    }).then(function (resp) {
      if (resp.ok) { return opts.blob ? resp.blob() : resp.json(); }
      return resp.text().then(function (text) {
        var parsed = null;
        try { parsed = JSON.parse(text); } catch (e) { parsed = null; }
        throw new ApiError(resp.status, problemText(resp.status, parsed));
      });
    });
  }

  // sameOriginPath keeps API calls on this origin even when the gateway
  // advertises absolute URLs under its public address.
  function sameOriginPath(u) {
    var parsed = new URL(u, window.location.href);
    return parsed.pathname + parsed.search;
  }

  function statusInfo(status, code) {
    switch (status) {
      case "valid": return { text: t("status.valid"), tone: "ok" };
      case "suspended": return { text: t("status.suspended"), tone: "warn" };
      case "revoked": return { text: t("status.revoked." + (code || "revoked")), tone: "bad" };
      case "expired": return { text: t("status.expired"), tone: "muted" };
      case "not_yet_valid": return { text: t("status.not_yet_valid"), tone: "info" };
      default: return { text: status || "?", tone: "muted" };
    }
  }

  function typeByCode(code) {
    var all = state.types.concat(state.catalogue || []);
    for (var i = 0; i < all.length; i++) {
      if (all[i].code === code || all[i].id === code) { return all[i]; }
    }
    return null;
  }

  // --- sign-in ---------------------------------------------------------

  function signIn(key) {
    return api("GET", "/api/v1/me", undefined, { apiKey: key }).then(function (me) {
      state.apiKey = key;
      state.dept = me.department || me;
      // /me lists the types this department may issue, with their
      // schemas; the public catalogue names the rest for display.
      state.types = me.types || [];
      return api("GET", "/api/v1/types").then(function (cat) {
        state.catalogue = cat.types || [];
        sessionStorage.setItem(KEY_STORAGE, key);
        enterWorkspace();
      });
    });
  }

  function enterWorkspace() {
    $("login").hidden = true;
    $("workspace").hidden = false;
    $("session").hidden = false;
    $("dept-name").textContent = pick(state.dept.nameZh, state.dept.nameEn);
    var sel = $("issue-type");
    sel.textContent = "";
    state.types.forEach(function (ty) {
      var o = document.createElement("option");
      o.value = ty.id;
      o.textContent = pick(ty.nameZh, ty.nameEn);
      sel.appendChild(o);
    });
    // A department without issuing rights (the governance department)
    // sees why it cannot issue; the next sign-in starts afresh.
    hide($("issue-error"));
    formChanged();
    $("issue-submit").disabled = state.types.length === 0;
    if (state.types.length === 0) { show($("issue-error"), t("console.msg.noTypes")); }
    renderTypeFields();
  }

  function signOut() {
    sessionStorage.removeItem(KEY_STORAGE);
    state = { apiKey: "", dept: null, types: [], catalogue: [], current: null, idempotencyKey: "" };
    revokeQR();
    $("workspace").hidden = true;
    $("session").hidden = true;
    $("credential").hidden = true;
    $("login").hidden = false;
    $("api-key").value = "";
    $("api-key").focus();
  }

  $("login-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var key = $("api-key").value.trim();
    var err = $("login-error");
    hide(err);
    if (!key) { return; }
    var btn = ev.target.querySelector("button");
    btn.disabled = true;
    signIn(key).catch(function (e) {
      show(err, t("console.msg.loginFailed", e.message));
    }).then(function () { btn.disabled = false; });
  });

  $("logout").addEventListener("click", signOut);

  // --- the issue form, generated from the type's field schema -------------

  function currentType() {
    var id = $("issue-type").value;
    for (var i = 0; i < state.types.length; i++) { if (state.types[i].id === id) { return state.types[i]; } }
    return null;
  }

  function renderTypeFields() {
    var box = $("type-fields");
    box.textContent = "";
    var ty = currentType();
    if (!ty) { return; }
    (ty.fields || []).forEach(function (f) {
      var wrap = document.createElement("div");
      wrap.className = "field" + (f.type === "string" && (f.maxLength || 0) > 120 ? " wide" : "");
      var label = document.createElement("label");
      label.htmlFor = "f-" + f.name;
      label.textContent = pick(f.labelZh, f.labelEn) + " ";
      if (f.required) {
        var req = document.createElement("span");
        req.className = "req";
        req.setAttribute("aria-hidden", "true");
        req.textContent = "*";
        label.appendChild(req);
      }
      var input = document.createElement("input");
      input.id = "f-" + f.name;
      input.name = f.name;
      input.dataset.field = f.name;
      input.dataset.label = pick(f.labelZh, f.labelEn);
      input.required = !!f.required;
      if (f.type === "date") {
        input.type = "date";
      } else if (f.type === "number") {
        input.type = "text";
        input.inputMode = "decimal";
        input.pattern = "-?[0-9]+(\\.[0-9]+)?";
      } else {
        input.type = "text";
        if (f.maxLength) { input.maxLength = f.maxLength; }
      }
      wrap.appendChild(label);
      wrap.appendChild(input);
      box.appendChild(wrap);
    });
  }

  // One filled-in form is one submission with one Idempotency-Key, so a
  // second click or a retry after a lost answer replays the first issuance.
  // Once issued, the button says so until the form changes.
  function formChanged() {
    state.idempotencyKey = newIdempotencyKey();
    var btn = $("issue-submit");
    if (btn.dataset.done) {
      delete btn.dataset.done;
      btn.textContent = t("console.issue.button");
      btn.disabled = state.types.length === 0;
    }
  }

  $("issue-type").addEventListener("change", function () { formChanged(); renderTypeFields(); });
  $("issue-form").addEventListener("input", formChanged);

  function newIdempotencyKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  $("issue-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var err = $("issue-error");
    hide(err);
    var ty = currentType();
    if (!ty) { return; }
    var missing = [];
    var inputs = ev.target.querySelectorAll("input[required], select[required]");
    Array.prototype.forEach.call(inputs, function (el) {
      var empty = !el.value.trim();
      el.setAttribute("aria-invalid", empty ? "true" : "false");
      if (empty) {
        var lab = ev.target.querySelector("label[for='" + el.id + "']");
        missing.push(el.dataset.label || (lab ? lab.textContent.replace("*", "").trim() : el.name));
      }
    });
    if (missing.length) { show(err, t("console.msg.required", missing.join(lang === "zh" ? "、" : ", "))); return; }

    var fields = {};
    Array.prototype.forEach.call($("type-fields").querySelectorAll("input"), function (el) {
      var v = el.value.trim();
      if (v !== "") { fields[el.dataset.field] = v; }
    });
    var body = {
      type: ty.id,
      holder: { name: $("holder-name").value.trim(), idType: $("holder-idType").value, idNumber: $("holder-idNumber").value.trim() },
      fields: fields
    };
    // A date means midnight where the pages show time: China Standard Time
    // on Chinese pages, UTC on English ones.
    var midnight = lang === "zh" ? "T00:00:00+08:00" : "T00:00:00Z";
    if ($("valid-from").value) { body.validFrom = $("valid-from").value + midnight; }
    if ($("valid-until").value) { body.validUntil = $("valid-until").value + midnight; }
    var btn = $("issue-submit");
    if (btn.dataset.done) { return; }
    if (!state.idempotencyKey) { state.idempotencyKey = newIdempotencyKey(); }
    btn.disabled = true;
    btn.textContent = t("console.msg.working");
    api("POST", "/api/v1/credentials", body, { headers: { "Idempotency-Key": state.idempotencyKey } }).then(function (res) {
      btn.dataset.done = "1";
      btn.textContent = t("console.issue.done");
      var rec = res.record || { status: "valid" };
      showCredential({
        id: res.id, document: res.document, record: rec,
        verifyUrl: res.verifyUrl, qrUrl: res.qrUrl
      }, t("console.msg.issued"));
    }).catch(function (e) {
      // The key stays: submitting the same form again is a retry.
      show(err, e.message);
      btn.disabled = false;
      btn.textContent = t("console.issue.button");
    });
  });

  // --- opening an issued credential -------------------------------------

  $("open-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var err = $("open-error");
    hide(err);
    var id = $("open-id").value.trim();
    if (!id) { return; }
    api("GET", "/api/v1/credentials/" + encodeURIComponent(id)).then(function (res) {
      var doc = res.document || null;
      showCredential({
        id: (doc && doc.id) || (res.record && res.record.id) || id,
        document: doc, record: res.record || res,
        verifyUrl: res.verifyUrl || "", qrUrl: res.qrUrl || ""
      }, "");
    }).catch(function (e) { show(err, e.message); });
  });

  // --- the credential panel ------------------------------------------------

  var qrObjectURL = "";
  function revokeQR() {
    if (qrObjectURL) { URL.revokeObjectURL(qrObjectURL); qrObjectURL = ""; }
    $("cred-qr").removeAttribute("src");
  }

  function setStatus(rec) {
    var info = statusInfo(rec.status, rec.revocationCode);
    var badge = $("cred-status");
    badge.textContent = info.text;
    badge.className = "badge tone-" + info.tone;
    badge.dataset.status = rec.status || "";
    // Offer only the changes the ledger accepts: revoked is final.
    var revoked = rec.status === "revoked";
    $("act-suspend").disabled = rec.status !== "valid";
    $("act-reinstate").disabled = rec.status !== "suspended";
    $("act-revoke").disabled = revoked;
    $("status-reason").disabled = revoked;
    $("status-code").disabled = revoked;
    disarmRevoke();
  }

  // Revocation cannot be undone, so its button asks for a second click that
  // names the kind of revocation chosen.
  var revokeArmed = false;
  function disarmRevoke() {
    revokeArmed = false;
    $("act-revoke").textContent = t("console.action.revoke");
    $("revoke-confirm").hidden = true;
  }
  $("status-code").addEventListener("change", disarmRevoke);

  function claimValue(doc, name) {
    if (!doc || !doc.claims) { return ""; }
    for (var i = 0; i < doc.claims.length; i++) { if (doc.claims[i].name === name) { return doc.claims[i].value; } }
    return "";
  }

  function showCredential(c, message) {
    state.current = c;
    $("credential").hidden = false;
    $("cred-id").textContent = c.id;
    var ty = typeByCode((c.document && c.document.type) || (c.record && c.record.type));
    var holder = claimValue(c.document, "holder.name");
    $("cred-summary").textContent = [ty ? pick(ty.nameZh, ty.nameEn) : "", holder].filter(Boolean).join(" · ");
    setStatus(c.record || { status: "valid" });
    hide($("status-error"));
    hide($("status-ok"));
    if (message) { show($("cred-message"), message); } else { hide($("cred-message")); }
    $("history").hidden = true;

    var link = $("cred-verify");
    var verifyUrl = c.verifyUrl || ("/v/" + encodeURIComponent(c.id));
    link.href = verifyUrl;
    $("cred-verify-url").value = new URL(verifyUrl, window.location.href).href;
    if (!c.verifyUrl) { show($("cred-message"), t("console.msg.noToken")); }

    revokeQR();
    var qrPath = c.qrUrl ? sameOriginPath(c.qrUrl) : "/api/v1/credentials/" + encodeURIComponent(c.id) + "/qr.png";
    api("GET", qrPath, undefined, { blob: true }).then(function (blob) {
      qrObjectURL = URL.createObjectURL(blob);
      $("cred-qr").src = qrObjectURL;
    }).catch(function (e) { show($("status-error"), e.message); });
    // An instant jump: a smooth scroll would move buttons under a pointer
    // (or an automated click) for half a second.
    $("credential").scrollIntoView({ block: "start" });
  }

  $("status-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var err = $("status-error"), ok = $("status-ok");
    hide(err); hide(ok); hide($("cred-message"));
    if (!state.current) { return; }
    var btn = ev.submitter || document.activeElement;
    var action = btn && btn.value;
    if (["suspend", "reinstate", "revoke"].indexOf(action) < 0) { return; }
    var reason = $("status-reason").value.trim();
    if (!reason) {
      $("status-reason").setAttribute("aria-invalid", "true");
      show(err, t("console.msg.required", t("verify.reason")));
      return;
    }
    $("status-reason").setAttribute("aria-invalid", "false");
    var body = { reason: reason };
    if (action === "revoke") {
      body.code = $("status-code").value;
      if (!revokeArmed) {
        revokeArmed = true;
        var kind = t("status.revoked." + body.code);
        btn.textContent = t("console.action.confirmRevoke", kind);
        show($("revoke-confirm"), t("console.msg.revokeFinal", kind));
        return;
      }
    }
    disarmRevoke();
    btn.disabled = true;
    api("POST", "/api/v1/credentials/" + encodeURIComponent(state.current.id) + "/" + action, body).then(function (res) {
      var rec = res.record || res;
      state.current.record = rec;
      $("status-reason").value = "";
      show(ok, t("console.msg.changed", statusInfo(rec.status, rec.revocationCode).text));
      if (!$("history").hidden) { loadHistory(); }
    }).catch(function (e) {
      show(err, e.message);
    }).then(function () {
      setStatus(state.current.record || { status: "valid" });
    });
  });

  // --- history -------------------------------------------------------------

  // fmtTime shows an instant as the pages do: Chinese in UTC+8, English in
  // UTC, always naming the zone.
  function fmtTime(iso) {
    var d = new Date(iso);
    if (!iso || isNaN(d.getTime())) { return iso || ""; }
    var zh = lang === "zh";
    var shifted = new Date(d.getTime() + (zh ? 8 * 3600 * 1000 : 0));
    return shifted.toISOString().slice(0, 16).replace("T", " ") + (zh ? " (UTC+8)" : " UTC");
  }

  // actionText names a change; a revocation is named by its kind
  // (撤销, 注销 or 吊销), as the record shows it.
  function actionText(ch) {
    if (ch.action === "revoke") { return t("console.history.revoke." + (ch.code || "revoked")); }
    return t("console.action." + ch.action);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function loadHistory() {
    var list = $("history");
    return api("GET", "/api/v1/credentials/" + encodeURIComponent(state.current.id) + "/history").then(function (res) {
      var changes = res.history || res || [];
      list.textContent = "";
      if (!changes.length) { list.appendChild(el("li", "", t("console.msg.historyEmpty"))); }
      changes.forEach(function (ch) {
        var info = statusInfo(ch.status, ch.code);
        var li = el("li", "tl-item tl-" + info.tone);
        var head = el("div", "tl-head");
        head.appendChild(el("strong", "", actionText(ch)));
        head.appendChild(el("span", "badge tone-" + info.tone, info.text));
        li.appendChild(head);
        li.appendChild(el("div", "tl-time", fmtTime(ch.time)));
        if (ch.reason) { li.appendChild(el("div", "tl-reason", ch.reason)); }
        if (ch.txId) {
          var tx = el("div", "tl-tx mono", t("console.history.tx") + " " + ch.txId.slice(0, 16) + "…");
          tx.title = ch.txId;
          li.appendChild(tx);
        }
        if (ch.apiKeyId) { li.appendChild(el("div", "tl-tx mono", t("console.history.apiKey") + " " + ch.apiKeyId)); }
        list.appendChild(li);
      });
      list.hidden = false;
    }).catch(function (e) { show($("status-error"), e.message); });
  }

  $("history-load").addEventListener("click", loadHistory);

  // --- start ---------------------------------------------------------------

  var saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) {
    // Signed in earlier in this tab: skip the sign-in form instead of
    // flashing it while the key is checked again.
    $("login").hidden = true;
    signIn(saved).catch(function (e) {
      sessionStorage.removeItem(KEY_STORAGE);
      $("login").hidden = false;
      show($("login-error"), t("console.msg.loginFailed", e.message));
    });
  }
})();
