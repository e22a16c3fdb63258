// api.js: the staff JSON API (/api/v1/staff/...). The session is an HttpOnly cookie the browser
// sends by itself; every state-changing request also carries the session's CSRF token. Errors
// are {"error": {"code", "message"}}: they reject with an ApiError, and a 401 (the session
// ended) also calls onUnauthorized so the console can show the login form. Requests go through
// sendJson (web/static/http.js, shared with the widget).

var API_BASE = "/api/v1/staff/";

function ApiError(status, code, message, problems) {
  this.status = status;
  this.code = code;
  this.message = message;
  this.problems = problems || null; // the parts of one refusal, each said in every language (a draft's problems)
}

function StaffApi(onUnauthorized) {
  var csrf = null;

  function request(method, path, body) {
    var headers = method !== "GET" && csrf ? { "X-CSRF-Token": csrf } : {};
    var options = { headers: headers, credentials: "same-origin", cache: "no-store" };
    return sendJson(API_BASE + path, method, body, options).then(function (response) {
      if (response.status === 204) return null;
      return response
        .json()
        .catch(function () {
          return null;
        })
        .then(function (data) {
          if (response.ok) return data;
          var error = (data && data.error) || {};
          var code = error.code || "http_" + response.status;
          var failure = new ApiError(response.status, code, error.message || "", error.problems);
          if (response.status === 401 && path !== "session") onUnauthorized();
          throw failure;
        });
    });
  }

  function remember(session) {
    csrf = session.csrf_token;
    return session;
  }

  function conversation(cid, action) {
    return "conversations/" + encodeURIComponent(cid) + (action ? "/" + action : "");
  }

  return {
    session: function () {
      return request("GET", "session").then(remember);
    },
    login: function (username, password) {
      return request("POST", "session", { username: username, password: password }).then(remember);
    },
    logout: function () {
      return request("DELETE", "session").then(function () {
        csrf = null;
      });
    },
    forget: function () {
      csrf = null;
    },
    teams: function () {
      return request("GET", "teams");
    },
    queues: function () {
      return request("GET", "queues");
    },
    conversation: function (cid) {
      return request("GET", conversation(cid));
    },
    claim: function (cid) {
      return request("POST", conversation(cid, "claim"));
    },
    release: function (cid) {
      return request("POST", conversation(cid, "release"));
    },
    transfer: function (cid, teamId, userId) {
      var body = { team_id: teamId };
      if (userId) body.user_id = userId;
      return request("POST", conversation(cid, "transfer"), body);
    },
    resolve: function (cid) {
      return request("POST", conversation(cid, "resolve"));
    },
    say: function (cid, text, internal) {
      return request("POST", conversation(cid, "messages"), { text: text, internal: internal });
    },
    typing: function (cid, active) {
      return request("POST", conversation(cid, "typing"), { active: active });
    },
    reveal: function (cid, messageId) {
      return request("POST", conversation(cid, "messages/" + messageId + "/reveal"));
    },
    canned: function (teamId) {
      return request("GET", "teams/" + encodeURIComponent(teamId) + "/canned");
    },
    addCanned: function (teamId, shortcut, text) {
      return request("POST", "teams/" + encodeURIComponent(teamId) + "/canned", { shortcut: shortcut, text: text });
    },
    deleteCanned: function (teamId, id) {
      return request("DELETE", "teams/" + encodeURIComponent(teamId) + "/canned/" + id);
    },
    updateTeam: function (teamId, changes) {
      return request("PATCH", "teams/" + encodeURIComponent(teamId), changes);
    },
    createTeam: function (team) {
      return request("POST", "teams", team);
    },
    audit: function (beforeId) {
      return request("GET", "audit?limit=100" + (beforeId ? "&before_id=" + beforeId : ""));
    },
    users: function () {
      return request("GET", "users");
    },
    createUser: function (user) {
      return request("POST", "users", user);
    },
    updateUser: function (id, changes) {
      return request("PATCH", "users/" + id, changes);
    },
    incidents: function () {
      return request("GET", "incidents");
    },
    incident: function (id) {
      return request("GET", "incidents/" + id);
    },
    answerIncident: function (id, answer, question) {
      var body = { answer: answer };
      if (question) body.question = question; // none: the incident's own question is the heading
      return request("POST", "incidents/" + id + "/answer", body);
    },
    closeIncident: function (id, retire) {
      return request("POST", "incidents/" + id + "/close", { retire: retire });
    },
    analytics: function (what, query) {
      return request("GET", "analytics/" + what + query);
    },
    draftGap: function (id, query) {
      return request("POST", "analytics/gaps/" + encodeURIComponent(id) + "/draft" + query);
    },
    publishDraft: function (entry, markdown) {
      return request("POST", "analytics/drafts/" + encodeURIComponent(entry) + "/publish", { markdown: markdown });
    },
    publishedGaps: function () {
      return request("GET", "analytics/published");
    },
    unpublishGap: function (entry) {
      return request("DELETE", "analytics/published/" + encodeURIComponent(entry));
    },
    knowledge: function () {
      return request("GET", "knowledge");
    },
  };
}

// What to tell staff when a request failed (after the caller handled the errors it expects).
function problem(error) {
  if (error instanceof ApiError) {
    var known = error.code && T.errors[error.code]; // in the console's language
    var detail = error.problems ? problemParts(error.problems) : error.message || error.code;
    if (known) return fill(known, { detail: detail });
    if (error.status === 403) return T.forbidden + (error.message ? " " + error.message : "");
    return fill(T.failed, { message: error.message || error.code });
  }
  return fill(T.failed, { message: String((error && error.message) || error) });
}

// What a problem with ``messages`` by language says in the console's (its English ``message`` where it has none).
function inConsoleLanguage(p) {
  return (p.messages && p.messages[LANG]) || p.message;
}

// A refusal's parts in the console's language: "line 3: ...; line 7: ..." (English where a part has no words here).
function problemParts(problems) {
  return problems
    .map(function (p) {
      var said = inConsoleLanguage(p) || p.code;
      return p.line ? fill(T.lineOf, { line: p.line }) + T.colon + said : said;
    })
    .join(T.semicolon);
}
