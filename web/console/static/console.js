// console.js: the page itself. It asks for the session (the login form if there is none),
// builds the header, the queues and the right-hand pane (a conversation or an incident), and
// routes the WebSocket's events to them. After a reconnect it reloads what it may have missed. The address
// follows what is shown (route.js).

function Console(root) {
  var session = null;
  var teams = [];
  var view = "queues";
  var pane = "conversation"; // what the right-hand pane of the queues shows: "conversation" | "incident"
  var navigating = false; // following the address: correct it in place rather than add to the history
  var connection = el("span", { class: "conn", role: "status" });

  var app = {
    session: {},
    user: function () {
      return session.user;
    },
    teams: function () {
      return teams;
    },
    teamName: function (id) {
      var team = teams.filter(function (t) {
        return t.id === id;
      })[0];
      return team ? team.name : id;
    },
    reloadTeams: reloadTeams,
    openConversation: function (cid) {
      showPane("conversation");
      app.conversation.open(cid);
      app.queue.refresh();
      app.incidents.refresh();
      remember();
    },
    openConversationId: function () {
      return app.conversation && pane === "conversation" ? app.conversation.current() : null;
    },
    showIncident: function () {
      showPane("incident");
      app.queue.refresh();
    },
    shownIncident: remember, // the incident's pane has its incident: the address says which
    correctRoute: function () {
      navigating = true; // in place: Back must not lead to what could not be shown
      remember();
      navigating = false;
    },
    pane: function () {
      return pane;
    },
    claim: claim,
    // One title for all that arrived unseen, so neither count overwrites the other.
    updateTitle: function () {
      var n = app.incidents.unseen() + app.notifier.unseen();
      document.title = (n ? "(" + n + ") " : "") + T.title;
    },
  };
  app.api = StaffApi(sessionEnded);
  app.live = StaffLive({ onEvent: onEvent, onStatus: onStatus });
  app.notifier = Notifier(app);
  app.incidents = IncidentsView(app);
  app.queue = QueueView(app);
  app.conversation = ConversationView(app);
  app.admin = AdminView(app);
  app.analytics = AnalyticsView(app);
  app.knowledge = KnowledgeView(app);

  app.api.session().then(showConsole, function (error) {
    if (error.status !== 401) toast(problem(error), "error");
    showLogin();
  });
  window.addEventListener("hashchange", function () {
    if (session) navigate(parseRoute(window.location.hash)); // Back, Forward, or an address typed
  });

  // -- signing in and out -------------------------------------------------------------

  function sessionEnded() {
    showLogin(session ? T.sessionEnded : ""); // signed in until now: say why the console left
  }

  function showLogin(why) {
    session = null;
    pane = "conversation";
    app.notifier.reset();
    app.incidents.reset();
    app.live.stop();
    app.conversation.close();
    app.api.forget();
    var username = el("input", { name: "username", autocomplete: "username", required: true });
    var password = el("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
    var error = el("p", { class: "login__error", role: "alert", text: typeof why === "string" ? why : "" });
    var submit = el("button", { type: "submit", class: "primary", text: T.signIn });
    var form = el("form", { class: "login", "aria-labelledby": "login-title" }, [
      el("h1", { id: "login-title", text: T.title }),
      field(T.username, username),
      field(T.password, password),
      error,
      submit,
      langSwitch("login__lang"),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit.disabled = true;
      error.textContent = "";
      app.api
        .login(username.value, password.value)
        .then(showConsole, function (failure) {
          var limited = failure.status === 429; // too many attempts: "please wait"
          var refused = failure.status === 403 || limited; // a deactivated account, too many attempts: say which
          error.textContent = failure.status === 401 ? T.badLogin : refused ? problem(failure) : T.loginFailed;
          password.value = "";
          password.focus();
        })
        .then(function () {
          submit.disabled = false;
        });
    });
    clear(root).appendChild(el("main", { class: "login-page" }, form));
    root.removeAttribute("aria-busy");
    username.focus();
  }

  function logout() {
    forgetDrafts();
    window.history.replaceState(null, "", window.location.pathname + window.location.search); // not the next one's
    app.api.logout().then(showLogin, showLogin);
  }

  function showConsole(data) {
    session = data;
    app.session = data;
    view = "queues";
    clear(root);
    root.appendChild(header());
    root.appendChild(app.incidents.alerts);
    root.appendChild(el("main", { class: "workspace", id: "workspace" }));
    root.removeAttribute("aria-busy");
    navigate(parseRoute(window.location.hash)); // where a reload, the language switch or a link left off
    reloadTeams();
    reloadQueues();
    reloadIncidents();
    app.live.start();
  }

  function header() {
    var user = session.user;
    var nav = el("nav", { class: "top__nav", "aria-label": T.navLabel });
    pagesOf(user).forEach(function (page) {
      nav.appendChild(button(T.nav[page], function () {
        showView(page);
      }, { "data-page": page }));
    });
    return el("header", { class: "top" }, [
      el("span", { class: "top__brand", text: "FundDesk" }),
      nav,
      connection,
      el("span", { class: "top__user" }, [
        el("span", { class: "top__name", text: user.display_name }),
        el("span", { class: "top__role", text: T.roles[user.role] || user.role }),
      ]),
      app.notifier.toggle,
      langSwitch("top__lang"),
      button(T.logout, logout, { class: "top__logout" }),
    ]);
  }

  // The other language's name, in that language: whoever cannot read this one can still find it (and its
  // accessible name starts with what it shows).
  function langSwitch(className) {
    return button(T.switchTo, switchConsoleLang, {
      class: "lang-switch " + className,
      lang: LANG === "zh" ? "en" : "zh-CN",
      "aria-label": T.switchLabel,
    });
  }

  function pagesOf(user) {
    var pages = ["queues"];
    if (user.role !== "agent") pages.push("analytics", "knowledge", "settings", "audit");
    if (user.role === "admin") pages.push("users", "teams");
    return pages;
  }

  // What the address asks for, as far as this member of staff may see it; the address is then corrected in
  // place (an unknown page becomes the queues), never pushed, so Back cannot get stuck on it.
  function navigate(route) {
    navigating = true;
    try {
      var page = pagesOf(session.user).indexOf(route.page) >= 0 ? route.page : "queues";
      if (route.pane === "conversation") app.openConversation(route.id);
      else if (route.pane === "incident" && /^\d+$/.test(route.id)) app.incidents.open(Number(route.id));
      else if (page === "queues") closePane();
      else showView(page);
      remember();
    } finally {
      navigating = false;
    }
  }

  // The queues with nothing open beside them: where Back from the first conversation opened leads.
  function closePane() {
    app.conversation.close(); // what was typed stays with it (drafts.js)
    showPane("conversation");
  }

  function remember() {
    var route = { page: view, pane: null, id: null };
    if (view === "queues") {
      route.pane = pane;
      route.id = pane === "incident" ? app.incidents.shown() : app.conversation.current();
    }
    if (navigating) window.history.replaceState(null, "", routeHash(route));
    else rememberRoute(route);
  }

  function showView(page, quiet) {
    var workspace = document.getElementById("workspace");
    if (!workspace) return;
    Array.prototype.forEach.call(root.querySelectorAll(".top__nav button"), function (b) {
      if (b.getAttribute("data-page") === page) b.setAttribute("aria-current", "page");
      else b.removeAttribute("aria-current");
    });
    if (page !== view || !workspace.firstChild) render(workspace, page);
    if (!quiet) remember();
  }

  function render(workspace, page) {
    view = page;
    clear(workspace);
    if (page === "queues") {
      workspace.className = "workspace workspace--queues";
      append(workspace, [app.queue.root, paneRoot()]);
    } else if (page === "analytics") {
      workspace.className = "workspace";
      workspace.appendChild(app.analytics.root);
      app.reloadTeams().then(app.analytics.show);
    } else if (page === "knowledge") {
      workspace.className = "workspace";
      workspace.appendChild(app.knowledge.root);
      app.knowledge.show();
    } else {
      workspace.className = "workspace";
      workspace.appendChild(app.admin.root);
      app.admin.show(page);
    }
  }

  function paneRoot() {
    return pane === "incident" ? app.incidents.detailRoot : app.conversation.root;
  }

  function showPane(next) {
    var workspace = document.getElementById("workspace");
    var old = paneRoot();
    pane = next;
    if (view === "queues" && workspace && old.parentNode === workspace) workspace.replaceChild(paneRoot(), old);
    else showView("queues", true); // the caller says where it went
  }

  // -- data ---------------------------------------------------------------------------

  function reloadTeams() {
    return app.api.teams().then(function (data) {
      teams = data.teams;
    }, function () {});
  }

  function reloadQueues() {
    return app.api.queues().then(function (data) {
      app.queue.load(data.queues);
    }, function (error) {
      if (error.status !== 401) toast(problem(error), "error");
    });
  }

  function reloadIncidents() {
    return app.api.incidents().then(function (data) {
      app.incidents.load(data.incidents);
    }, function (error) {
      if (error.status !== 401) toast(problem(error), "error");
    });
  }

  function claim(cid, handoffId) {
    return app.api
      .claim(cid)
      .then(function (item) {
        app.queue.upsert(item);
        app.openConversation(cid);
        app.conversation.onItem(item);
      })
      .catch(function (error) {
        if (error.status === 409) {
          app.queue.notice(handoffId, T.takenByOther);
          toast(T.takenByOther, "error");
        } else {
          toast(problem(error), "error");
        }
        reloadQueues();
        if (app.conversation.current() === cid) app.conversation.reload();
      });
  }

  // -- live events ----------------------------------------------------------------------

  function onStatus(connected, code, attempts) {
    connection.textContent = connected ? T.live : T.reconnecting;
    connection.className = "conn conn--" + (connected ? "live" : "down");
    // Logged out elsewhere (4401), or failing for a while: is the session still there?
    if (!connected && (code === 4401 || attempts % 3 === 2)) {
      app.api.session().catch(function (error) {
        if (error.status === 401) sessionEnded();
      });
    }
  }

  function onEvent(data) {
    if (data.type === "ready") {
      if (data.user && session) session.user = data.user;
      onStatus(true);
      // Subscribed (and counted online) by now: a fresh load misses nothing said meanwhile.
      reloadQueues();
      reloadIncidents();
      app.conversation.reload();
    } else if (data.type === "incident" && data.incident) {
      app.incidents.upsert(data.incident, true);
    } else if (data.type === "queue" && data.item) {
      app.queue.upsert(data.item);
      app.conversation.onItem(data.item);
    } else if (data.type === "queue_removed") {
      app.queue.remove(data.team_id, data.handoff_id);
    } else if (data.type === "presence") {
      app.queue.presence(data.team_id, data.online);
    } else {
      app.conversation.onEvent(data);
    }
  }

  return app;
}

Console(document.getElementById("app"));
