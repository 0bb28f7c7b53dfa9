// CertLedger department console: signs in with an API key kept in
// sessionStorage, or as a member of staff with the gateway's session cookie,
// and drives the REST API with fetch. No framework, no build step; every
// string comes from the server-rendered message catalog.
(function () {
  "use strict";

  var KEY_STORAGE = "certledger.apiKey";
  var msgs = JSON.parse(document.getElementById("console-messages").textContent);
  // The deployment's time zone: times are shown as its clocks show them,
  // whatever the zone of the browser.
  var settings = JSON.parse(document.getElementById("console-settings").textContent);
  var lang = document.documentElement.lang.indexOf("zh") === 0 ? "zh" : "en";

  // staff is the signed-in member of staff ({subject, department, roles}),
  // null when the console runs on an API key.
  var state = { apiKey: "", staff: null, dept: null, types: [], catalogue: [], current: null, idempotencyKey: "" };

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

  // ApiError carries an RFC 9457 problem to the user: message in the page's
  // language, problem (the parsed body, or null) for its field problems.
  function ApiError(status, message, problem) { this.status = status; this.message = message; this.problem = problem || null; }

  function has(key) { return Object.prototype.hasOwnProperty.call(msgs, key); }

  // reasonText is the catalogue's message for a problem's reason, worded
  // for the field labelled label when one is given; "" for a reason the
  // catalogue does not know.
  function reasonText(reason, label) {
    if (!reason || !has("reason." + reason)) { return ""; }
    if (label !== undefined && has("reason." + reason + ".field")) { return t("reason." + reason + ".field", label); }
    return t("reason." + reason);
  }

  // problemText words a problem from its reason. The server's English title
  // and detail show only for a reason this page does not know.
  function problemText(status, body) {
    if (body && typeof body === "object") {
      var m = reasonText(body.reason);
      if (m) {
        // An internal error is looked up in the gateway's log by its request ID.
        if (status >= 500 && body.requestId) { m += " " + t("console.msg.requestId", body.requestId); }
        return m;
      }
      if (body.title && body.detail) { return body.title + ": " + body.detail; }
      if (body.detail) { return body.detail; }
      if (body.title) { return body.title; }
    }
    return "HTTP " + status;
  }

  // --- problems next to form fields ---------------------------------------

  // fieldFor finds the input of form that a field problem's JSON pointer
  // names: #/holder/idNumber is the input named holder.idNumber, and
  // #/fields/<name> the type field with data-field=<name>.
  function fieldFor(form, pointer) {
    var parts = String(pointer || "").replace(/^#/, "").split("/").slice(1).map(function (s) {
      return s.replace(/~1/g, "/").replace(/~0/g, "~");
    });
    if (!parts.length || !parts[0]) { return null; }
    var els = form.querySelectorAll("input, select, textarea");
    for (var i = 0; i < els.length; i++) {
      var e = els[i];
      if (parts[0] === "fields" ? parts.length === 2 && e.dataset.field === parts[1] : !e.dataset.field && e.name === parts.join(".")) { return e; }
    }
    return null;
  }

  function fieldLabel(form, input) {
    if (input.dataset.label) { return input.dataset.label; }
    var lab = form.querySelector("label[for='" + input.id + "']");
    return lab ? lab.textContent.replace("*", "").trim() : input.name;
  }

  // pointerLabel names a member that has no input in the form: the holder's
  // members by their labels, anything else by its name.
  function pointerLabel(pointer) {
    var parts = String(pointer || "").split("/");
    var last = parts[parts.length - 1] || "";
    if (parts.length === 3 && parts[1] === "holder" && has("holder." + last)) { return t("holder." + last); }
    return last;
  }

  function clearFieldProblem(input) {
    var p = document.getElementById(input.id + "-problem");
    if (p) { p.remove(); }
    if (input.getAttribute("aria-describedby") === input.id + "-problem") { input.removeAttribute("aria-describedby"); }
    if (input.getAttribute("aria-invalid") === "true") { input.setAttribute("aria-invalid", "false"); }
  }

  function clearFieldProblems(form) {
    Array.prototype.forEach.call(form.querySelectorAll("input, select, textarea"), clearFieldProblem);
  }

  function markField(input, text) {
    var id = input.id + "-problem";
    var p = document.getElementById(id);
    if (p) {
      p.textContent += " " + text;
    } else {
      p = document.createElement("p");
      p.className = "field-problem";
      p.id = id;
      p.textContent = text;
      input.insertAdjacentElement("afterend", p);
    }
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
  }

  // showProblem shows an API error in form: each field problem next to the
  // input its pointer names, and in box the problem's own message with the
  // field problems that have no input here.
  function showProblem(form, box, e) {
    clearFieldProblems(form);
    var loose = [];
    var errors = (e.problem && Array.isArray(e.problem.errors)) ? e.problem.errors : [];
    errors.forEach(function (fp) {
      var input = fieldFor(form, fp.pointer);
      var text = reasonText(fp.reason, input ? fieldLabel(form, input) : pointerLabel(fp.pointer)) || fp.detail || "";
      if (input) { markField(input, text); } else if (text) { loose.push(text); }
    });
    show(box, [e.message].concat(loose).join(" "));
  }

  // credentialsFor sends the staff session cookie only without a key: a
  // key's calls never carry a cookie, so they are never a session's.
  function credentialsFor(key, session) { return !key && (session || state.staff) ? "same-origin" : "omit"; }

  // api calls the gateway with the department's key, or without one with
  // the staff session cookie; the browser adds this page's Origin to a
  // state-changing call, as the gateway requires of a session. opts.blob
  // asks for a binary answer (the QR PNG); opts.session sends the cookie
  // before the console knows who is signed in.
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
      credentials: credentialsFor(key, opts.session),
      cache: "no-store",
      referrerPolicy: "no-referrer"
    }).catch(function (err) {
      throw new ApiError(0, t("console.msg.network", err.message));
    }).then(function (resp) {
      if (resp.ok) { return opts.blob ? resp.blob() : resp.json(); }
      return resp.text().then(function (text) {
        var parsed = null;
        try { parsed = JSON.parse(text); } catch (e) { parsed = null; }
        var e = new ApiError(resp.status, problemText(resp.status, parsed), parsed);
        // A staff session that expired or was ended elsewhere: back to
        // the sign-in, saying why, instead of failing every action.
        if (resp.status === 401 && state.staff && !key) { staffEnded(e.message); }
        throw e;
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
      sessionStorage.setItem(KEY_STORAGE, key);
      return enterAs(me);
    });
  }

  // enterAs opens the workspace for the department /api/v1/me answered.
  function enterAs(me) {
    state.dept = me.department || me;
    // /me lists the types this department may issue, with their
    // schemas; the public catalogue names the rest for display.
    state.types = me.types || [];
    return api("GET", "/api/v1/types").then(function (cat) {
      state.catalogue = cat.types || [];
      enterWorkspace();
    });
  }

  // staffSignIn opens the workspace for the member of staff whose session
  // cookie this browser holds; it fails (401) when there is none.
  function staffSignIn() {
    return api("GET", "/api/v1/staff/me", undefined, { apiKey: "", session: true }).then(function (who) {
      state.staff = { subject: who.subject, department: who.department, roles: who.roles || [] };
      return api("GET", "/api/v1/me").then(enterAs);
    }).catch(function (e) {
      state.staff = null;
      throw e;
    });
  }

  // allows says whether the signed-in member of staff has role; an API
  // key's roles are not known here, so its console offers everything and
  // the gateway refuses what the key may not do.
  function allows(role) { return !state.staff || state.staff.roles.indexOf(role) >= 0; }

  // applyRoles shows only the parts of the console whose role (data-role)
  // the member of staff holds.
  function applyRoles() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-role]"), function (e) { e.hidden = !allows(e.dataset.role); });
  }

  function showWho() {
    var who = $("staff-who");
    if (!state.staff) { who.hidden = true; return; }
    $("staff-subject").textContent = state.staff.subject;
    $("staff-roles").textContent = state.staff.roles.map(function (r) {
      return has("console.staff.role." + r) ? t("console.staff.role." + r) : r;
    }).join(lang === "zh" ? "、" : ", ");
    who.hidden = false;
  }

  function enterWorkspace() {
    $("login").hidden = true;
    $("workspace").hidden = false;
    $("session").hidden = false;
    $("dept-name").textContent = pick(state.dept.nameZh, state.dept.nameEn);
    showWho();
    applyRoles();
    fillRegisterTypes();
    loadRegister(false);
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
    loadServices();
  }

  // signOut ends a staff session at the gateway (for good, so the cookie
  // cannot be replayed) before forgetting the workspace.
  function signOut() {
    if (!state.staff) { leaveWorkspace(); return; }
    var btn = $("logout");
    btn.disabled = true;
    hide($("session-error"));
    fetch("/console/logout", { method: "POST", headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store", referrerPolicy: "no-referrer" }).then(function (resp) {
      if (resp.ok) { leaveWorkspace(); return; }
      return resp.json().catch(function () { return null; }).then(function (body) { throw new ApiError(resp.status, problemText(resp.status, body), body); });
    }).catch(function (e) {
      show($("session-error"), e.message || t("console.msg.network", ""));
    }).then(function () { btn.disabled = false; });
  }

  // staffEnded returns to the sign-in when the gateway no longer knows
  // the staff session.
  function staffEnded(message) {
    leaveWorkspace();
    show($("login-error"), t("console.staff.ended", message));
  }

  function leaveWorkspace() {
    sessionStorage.removeItem(KEY_STORAGE);
    state = { apiKey: "", staff: null, dept: null, types: [], catalogue: [], current: null, idempotencyKey: "" };
    showWho();
    applyRoles();
    revokeQR();
    revokeRequestQR();
    requests.current = "";
    $("req-created").hidden = true;
    $("req-detail").hidden = true;
    $("req-list").textContent = "";
    resetRegister();
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

  // The holder ID types the page lists, before any type narrows them.
  var allIdTypes = Array.prototype.map.call($("holder-idType").options, function (o) {
    return { value: o.value, text: o.textContent };
  });

  // renderIdTypes offers only the ID types the credential type is issued
  // to (a business licence: uscc); a type that names none takes any.
  function renderIdTypes(ty) {
    var sel = $("holder-idType");
    var accepted = (ty && ty.holderIdTypes) || [];
    var previous = sel.value;
    sel.textContent = "";
    allIdTypes.forEach(function (it) {
      if (accepted.length && accepted.indexOf(it.value) < 0) { return; }
      var o = document.createElement("option");
      o.value = it.value;
      o.textContent = it.text;
      sel.appendChild(o);
    });
    if (Array.prototype.some.call(sel.options, function (o) { return o.value === previous; })) { sel.value = previous; }
  }

  function renderTypeFields() {
    var box = $("type-fields");
    box.textContent = "";
    var ty = currentType();
    renderIdTypes(ty);
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
  // A field's problem goes once the field is edited.
  $("issue-form").addEventListener("input", function (ev) { if (ev.target.id) { clearFieldProblem(ev.target); } });

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
    clearFieldProblems(ev.target);
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
    // Plain dates: the gateway reads them as days in the deployment's time
    // zone, the end date included, as it reads them from any client.
    if ($("valid-from").value) { body.validFrom = $("valid-from").value; }
    if ($("valid-until").value) { body.validUntil = $("valid-until").value; }
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
      showProblem($("issue-form"), err, e);
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

  // --- the register ---------------------------------------------------------

  // query is the selection the table shows, so More continues it even
  // after the form was edited; seq drops the answer of a superseded load.
  var register = { status: "", next: "", query: null, seq: 0 };

  // registerQuery is the register form's filters as a query string.
  function registerQuery() {
    var q = new URLSearchParams();
    [["reg-type", "type"], ["reg-from", "issuedFrom"], ["reg-to", "issuedTo"], ["reg-idType", "holderIdType"], ["reg-idNumber", "holderIdNumber"]].forEach(function (p) {
      var v = $(p[0]).value.trim();
      if (v) { q.set(p[1], v); }
    });
    if (register.status) { q.set("status", register.status); }
    return q;
  }

  function fillRegisterTypes() {
    var sel = $("reg-type");
    sel.textContent = "";
    sel.appendChild(new Option(t("console.register.anyType"), ""));
    state.types.forEach(function (ty) { sel.appendChild(new Option(pick(ty.nameZh, ty.nameEn), ty.id)); });
  }

  // loadRegister shows the first page of the form's selection (more: the
  // next page of the shown one, appended). A short page with a cursor is
  // normal: the ledger scans a bounded number of entries per request.
  function loadRegister(more) {
    var err = $("reg-error");
    hide(err);
    var base = more && register.query ? register.query : registerQuery();
    var q = new URLSearchParams(base);
    q.set("limit", "50");
    if (more) { q.set("cursor", register.next); }
    var seq = ++register.seq;
    // One request at a time for a cursor: a second click on More would
    // append the same page twice.
    $("reg-more").disabled = true;
    $("register").setAttribute("aria-busy", "true");
    return api("GET", "/api/v1/credentials?" + q.toString()).then(function (page) {
      if (seq !== register.seq) { return; }
      var rows = $("reg-rows");
      if (!more) { rows.textContent = ""; }
      register.query = base;
      (page.items || []).forEach(function (it) {
        var tr = document.createElement("tr");
        var ty = typeByCode(it.type);
        var info = statusInfo(it.status, it.revocationCode);
        tr.appendChild(el("td", "", fmtTime(it.issuedAt)));
        tr.appendChild(el("td", "", ty ? pick(ty.nameZh, ty.nameEn) : it.type));
        var st = el("td", "");
        st.appendChild(el("span", "badge tone-" + info.tone, info.text));
        tr.appendChild(st);
        tr.appendChild(el("td", "", String(it.version)));
        var idCell = el("td", "mono");
        var a = el("a", "", it.id);
        a.href = "#";
        a.addEventListener("click", function (ev) {
          ev.preventDefault();
          $("open-id").value = it.id;
          $("open-form").requestSubmit();
        });
        idCell.appendChild(a);
        tr.appendChild(idCell);
        rows.appendChild(tr);
      });
      register.next = page.next || "";
      $("reg-table").hidden = rows.children.length === 0;
      $("reg-empty").hidden = rows.children.length > 0 || !!register.next;
      $("reg-more").hidden = !register.next;
    }).catch(function (e) {
      if (seq === register.seq) { show(err, e.message); }
    }).then(function () {
      if (seq !== register.seq) { return; }
      $("reg-more").disabled = false;
      $("register").setAttribute("aria-busy", "false");
    });
  }

  // resetRegister forgets the signed-out department's register: its rows,
  // its filters (a holder's ID number among them) and any answer on the way.
  function resetRegister() {
    register.seq++;
    register.status = "";
    register.next = "";
    register.query = null;
    $("register-form").reset();
    Array.prototype.forEach.call(document.querySelectorAll("#reg-status .chip"), function (c) {
      c.setAttribute("aria-pressed", c.dataset.status === "" ? "true" : "false");
    });
    $("reg-rows").textContent = "";
    $("reg-table").hidden = true;
    $("reg-empty").hidden = true;
    $("reg-more").hidden = true;
    $("reg-more").disabled = false;
    $("register").setAttribute("aria-busy", "false");
    hide($("reg-error"));
  }

  $("register-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    loadRegister(false);
  });
  $("reg-more").addEventListener("click", function () { loadRegister(true); });
  Array.prototype.forEach.call(document.querySelectorAll("#reg-status .chip"), function (chip) {
    chip.addEventListener("click", function () {
      register.status = chip.dataset.status;
      Array.prototype.forEach.call(document.querySelectorAll("#reg-status .chip"), function (c) {
        c.setAttribute("aria-pressed", c === chip ? "true" : "false");
      });
      loadRegister(false);
    });
  });

  // The CSV is fetched with the key (a plain link could not send it) and
  // handed to the browser as a download. It is the selection the table
  // shows, every page of it, not filters typed since.
  $("reg-csv").addEventListener("click", function () {
    var err = $("reg-error");
    hide(err);
    var headers = { "Accept": "text/csv" };
    if (state.apiKey) { headers["Authorization"] = "Bearer " + state.apiKey; }
    fetch("/api/v1/credentials?" + (register.query || registerQuery()).toString(), {
      headers: headers, credentials: credentialsFor(state.apiKey), cache: "no-store", referrerPolicy: "no-referrer"
    }).then(function (resp) {
      if (!resp.ok) {
        return resp.json().catch(function () { return null; }).then(function (body) { throw new ApiError(resp.status, problemText(resp.status, body), body); });
      }
      return resp.blob().then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = "register-" + state.dept.id + ".csv";
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
      });
    }).catch(function (e) { show(err, e.message || t("console.msg.network", "")); });
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
    clearFieldProblems(ev.target);
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
      showProblem($("status-form"), err, e);
    }).then(function () {
      setStatus(state.current.record || { status: "valid" });
    });
  });

  // --- history -------------------------------------------------------------

  // zoneParts splits an instant into the deployment zone's calendar and
  // clock fields. A browser that does not know the zone's name uses its
  // offset at the time the page was served.
  var zoneFormat = null;
  try {
    zoneFormat = new Intl.DateTimeFormat("en-US", { timeZone: settings.timeZone, hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  } catch (e) { zoneFormat = null; }
  function zoneParts(d) {
    var p = {};
    if (zoneFormat) {
      zoneFormat.formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
      return p;
    }
    var s = new Date(d.getTime() + settings.offsetMinutes * 60000).toISOString();
    return { year: s.slice(0, 4), month: s.slice(5, 7), day: s.slice(8, 10), hour: s.slice(11, 13), minute: s.slice(14, 16) };
  }

  // offsetName names a zone offset in minutes as the pages do: UTC,
  // UTC+8, UTC-3:30.
  function offsetName(min) {
    if (min === 0) { return "UTC"; }
    var sign = min < 0 ? "-" : "+";
    min = Math.abs(min);
    var h = Math.floor(min / 60), m = min % 60;
    return "UTC" + sign + h + (m ? ":" + ("0" + m).slice(-2) : "");
  }

  // fmtTime shows an instant as the pages do: to the minute in the
  // deployment's zone, naming the zone's offset.
  function fmtTime(iso) {
    var d = new Date(iso);
    if (!iso || isNaN(d.getTime())) { return iso || ""; }
    var p = zoneParts(d);
    var wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute);
    var offset = Math.round((wall - Math.floor(d.getTime() / 60000) * 60000) / 60000);
    return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute + " (" + offsetName(offset) + ")";
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
        if (ch.staff) { li.appendChild(el("div", "tl-tx tl-staff mono", t("console.history.staff") + " " + ch.staff)); }
        list.appendChild(li);
      });
      list.hidden = false;
    }).catch(function (e) { show($("status-error"), e.message); });
  }

  $("history-load").addEventListener("click", loadHistory);

  // --- consent requests (授权用证) ----------------------------------------

  // The service items this department may request, from the public
  // catalogue; the requests it made, newest first; one opened request.
  var requests = { services: [], current: "", qrURL: "" };

  function claimLabel(type, name) {
    if (name.indexOf("holder.") === 0 && has(name)) { return t(name); }
    var ty = typeByCode(type);
    var fields = (ty && ty.fields) || [];
    for (var i = 0; i < fields.length; i++) { if (fields[i].name === name) { return pick(fields[i].labelZh, fields[i].labelEn); } }
    return name;
  }

  function typeName(code) {
    var ty = typeByCode(code);
    return ty ? pick(ty.nameZh, ty.nameEn) : code;
  }

  function serviceByCode(code) {
    for (var i = 0; i < requests.services.length; i++) { if (requests.services[i].code === code) { return requests.services[i]; } }
    return null;
  }

  function serviceName(code) {
    var svc = serviceByCode(code);
    return svc ? pick(svc.nameZh, svc.nameEn) : code;
  }

  var sep = lang === "zh" ? "、" : ", ";

  // needsText says what a service item asks for: each type with its fields.
  function needsText(svc) {
    return (svc.credentials || []).map(function (c) {
      return typeName(c.type) + t("console.req.fieldsOf") + (c.fields || []).map(function (f) { return claimLabel(c.type, f); }).join(sep);
    }).join(lang === "zh" ? "；" : "; ");
  }

  function loadServices() {
    var sel = $("req-service");
    return api("GET", "/api/v1/services").then(function (res) {
      requests.services = (res.services || []).filter(function (svc) { return (svc.requesters || []).indexOf(state.dept.id) >= 0; });
      sel.textContent = "";
      requests.services.forEach(function (svc) {
        var o = document.createElement("option");
        o.value = svc.code;
        o.textContent = pick(svc.nameZh, svc.nameEn) + " (" + svc.code + ")";
        sel.appendChild(o);
      });
      $("req-submit").disabled = requests.services.length === 0;
      hide($("req-error"));
      if (!requests.services.length) { show($("req-error"), t("console.req.noServices")); }
      renderNeeds();
      return loadRequests();
    }).catch(function (e) { show($("req-error"), e.message); });
  }

  function renderNeeds() {
    var svc = serviceByCode($("req-service").value);
    $("req-needs").textContent = svc ? t("console.req.needs", needsText(svc)) : "";
  }
  $("req-service").addEventListener("change", renderNeeds);

  function requestTone(status, active) {
    if (status === "approved") { return active ? "ok" : "muted"; }
    return status === "pending" ? "info" : "muted";
  }
  function requestState(r) { return r.status === "approved" && !r.consentActive ? "ended" : r.status; }

  function revokeRequestQR() {
    if (requests.qrURL) { URL.revokeObjectURL(requests.qrURL); requests.qrURL = ""; }
    $("req-qr").removeAttribute("src");
  }

  $("req-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var err = $("req-error");
    hide(err);
    clearFieldProblems(ev.target);
    var body = { service: $("req-service").value };
    var number = $("req-idNumber").value.trim();
    if (number) { body.holder = { idType: $("req-idType").value, idNumber: number }; }
    var purpose = $("req-purpose").value.trim();
    if (purpose) { body.purpose = purpose; }
    var btn = $("req-submit");
    btn.disabled = true;
    api("POST", "/api/v1/requests", body).then(function (res) {
      $("req-created").hidden = false;
      $("req-url").value = res.approveUrl;
      revokeRequestQR();
      api("GET", sameOriginPath(res.qrUrl), undefined, { blob: true }).then(function (blob) {
        requests.qrURL = URL.createObjectURL(blob);
        $("req-qr").src = requests.qrURL;
      }).catch(function (e) { show(err, e.message); });
      $("req-idNumber").value = "";
      $("req-purpose").value = "";
      return loadRequests();
    }).catch(function (e) {
      showProblem($("req-form"), err, e);
    }).then(function () { btn.disabled = requests.services.length === 0; });
  });

  // loadRequests lists the department's latest requests. The list carries
  // no presentations, so it counts no read.
  function loadRequests() {
    var list = $("req-list");
    hide($("req-list-error"));
    return api("GET", "/api/v1/requests?limit=20").then(function (res) {
      list.textContent = "";
      var items = res.items || [];
      if (!items.length) { list.appendChild(el("li", "req-empty", t("console.req.empty"))); }
      items.forEach(function (r) {
        var st = requestState(r);
        var li = el("li", "req-item");
        li.dataset.request = r.id;
        li.dataset.status = st;
        var btn = el("button", "req-open");
        btn.type = "button";
        btn.appendChild(el("span", "req-item-name", serviceName(r.service)));
        btn.appendChild(el("span", "badge tone-" + requestTone(r.status, r.consentActive), t("myreq.state." + st)));
        btn.appendChild(el("span", "req-item-meta", fmtTime(r.createdAt) + (r.purpose ? " · " + r.purpose : "")));
        btn.addEventListener("click", function () { openRequest(r.id); });
        li.appendChild(btn);
        list.appendChild(li);
      });
      if (requests.current) { markCurrent(); }
    }).catch(function (e) { show($("req-list-error"), e.message); });
  }
  $("req-refresh").addEventListener("click", function () {
    loadRequests().then(function () { if (requests.current) { openRequest(requests.current); } });
  });

  function markCurrent() {
    Array.prototype.forEach.call($("req-list").children, function (li) {
      if (li.dataset.request === requests.current) { li.setAttribute("aria-current", "true"); } else { li.removeAttribute("aria-current"); }
    });
  }

  function fact(dl, label, value, cls) {
    var d = el("div", cls || "");
    d.appendChild(el("dt", "", label));
    d.appendChild(el("dd", "", value));
    dl.appendChild(d);
  }

  // openRequest reads one request. While the consent is in force the
  // answer carries the presentations, and the ledger counts the read;
  // each presentation is then checked with POST /api/v1/verify.
  function openRequest(id) {
    requests.current = id;
    markCurrent();
    var box = $("req-detail"), err = $("req-error-detail");
    hide(err);
    return api("GET", "/api/v1/requests/" + encodeURIComponent(id)).then(function (r) {
      box.hidden = false;
      var st = requestState(r);
      box.dataset.status = st;
      $("req-detail-title").textContent = serviceName(r.service);
      var badge = $("req-status");
      badge.textContent = t("myreq.state." + st);
      badge.className = "badge tone-" + requestTone(r.status, r.consentActive);
      $("req-id").textContent = r.id;
      var dl = $("req-facts");
      dl.textContent = "";
      if (r.purpose) { fact(dl, t("console.req.purpose"), r.purpose, "wide"); }
      fact(dl, t("myreq.created"), fmtTime(r.createdAt));
      if (r.status === "pending") { fact(dl, t("myreq.expires"), fmtTime(r.expiresAt)); }
      if (r.decidedAt) { fact(dl, t("myreq.decided"), fmtTime(r.decidedAt)); }
      if (r.consentUntil && r.status === "approved") { fact(dl, t("myreq.until"), fmtTime(r.consentUntil)); }
      if (r.withdrawnAt) { fact(dl, t("myreq.withdrawn"), fmtTime(r.withdrawnAt)); }
      if (r.decidedAt && r.status !== "refused") { fact(dl, t("console.req.reads"), String(r.reads || 0)); }
      if (r.status === "pending") { fact(dl, t("console.req.approveUrl"), r.approveUrl, "wide mono"); }
      $("req-reads-hint").hidden = !r.consentActive;
      renderReceipt(r.receipt);
      return renderPresentations(r);
    }).catch(function (e) { show(err, e.message); });
  }

  function renderPresentations(r) {
    var box = $("req-presentations");
    box.textContent = "";
    var pres = r.presentations || [];
    box.dataset.count = String(pres.length);
    if (!r.consentActive) {
      if (r.decidedAt) { box.appendChild(el("p", "hint", t("console.req.noPresentations"))); }
      return Promise.resolve();
    }
    (r.unavailable || []).forEach(function (id) { box.appendChild(el("p", "hint", t("console.req.unavailable", id))); });
    return Promise.all(pres.map(function (p) {
      var card = el("div", "req-presentation");
      card.dataset.credential = p.id || "";
      card.dataset.verified = "pending";
      var head = el("div", "cred-head");
      head.appendChild(el("h4", "", typeName(p.type)));
      var badge = el("span", "badge tone-muted", t("console.msg.working"));
      head.appendChild(badge);
      card.appendChild(head);
      var dl = el("dl", "fields");
      card.appendChild(dl);
      box.appendChild(card);
      return api("POST", "/api/v1/verify", { presentation: p }).then(function (v) {
        card.dataset.verified = v.valid ? "true" : "false";
        var info = statusInfo(v.status);
        badge.textContent = v.valid ? t("console.req.verified") : t("console.req.notVerified", info.text);
        badge.className = "badge tone-" + (v.valid ? "ok" : "bad");
        (v.fields || []).forEach(function (f) { fact(dl, pick(f.labelZh, f.labelEn) || claimLabel(p.type, f.name), f.value); });
        if (v.issuer) { fact(dl, t("console.req.issuer"), pick(v.issuer.nameZh, v.issuer.nameEn)); }
      }).catch(function (e) {
        card.dataset.verified = "false";
        badge.textContent = e.message;
        badge.className = "badge tone-bad";
      });
    }));
  }

  function renderReceipt(rc) {
    var box = $("req-receipt");
    box.textContent = "";
    if (!rc) { return; }
    box.appendChild(el("h4", "", t("console.req.receipt")));
    var dl = el("dl", "fields req-receipt");
    fact(dl, t("console.req.decision"), t("myreq.state." + rc.decision));
    fact(dl, t("myreq.decided"), fmtTime(rc.at));
    if (rc.consentUntil) { fact(dl, t("myreq.until"), fmtTime(rc.consentUntil)); }
    (rc.credentials || []).forEach(function (c) {
      fact(dl, typeName(c.type), c.id + " — " + (c.fields || []).map(function (f) { return claimLabel(c.type, f); }).join(sep), "wide");
    });
    if (rc.holderRef) { fact(dl, t("console.req.holderRef"), rc.holderRef, "wide mono"); }
    box.appendChild(dl);
  }

  // --- start ---------------------------------------------------------------

  // Signed in earlier in this tab, with a key or as staff: skip the
  // sign-in form instead of flashing it while that is checked again.
  var saved = sessionStorage.getItem(KEY_STORAGE);
  $("login").hidden = true;
  if (saved) {
    signIn(saved).catch(function (e) {
      sessionStorage.removeItem(KEY_STORAGE);
      $("login").hidden = false;
      show($("login-error"), t("console.msg.loginFailed", e.message));
    });
  } else {
    staffSignIn().catch(function (e) {
      $("login").hidden = false;
      // No staff session is the usual case, not a failure.
      if (e.status !== 401) { show($("login-error"), t("console.msg.loginFailed", e.message)); }
    });
  }
})();
