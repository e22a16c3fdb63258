// admin.js: the pages for leads (their teams' first-response target and canned responses, the
// audit log) and for admins (users and teams). Every change goes through the staff API, which
// checks the role again: these pages only save staff a 403.

function AdminView(app) {
  var root = el("section", { class: "admin", "aria-labelledby": "admin-title" });

  function show(page) {
    clear(root);
    var title = el("h2", { id: "admin-title", tabindex: "-1", text: T.nav[page] });
    var body = el("div", { class: "admin__body", "aria-busy": "true" });
    append(root, [title, body]);
    title.focus();
    // The pages list teams (checkboxes, settings): build them from a fresh copy.
    app.reloadTeams().then(function () {
      if (!root.contains(body)) return; // another page was opened meanwhile
      ({ settings: settingsPage, audit: auditPage, users: usersPage, teams: teamsPage })[page](body);
      body.removeAttribute("aria-busy");
    });
  }

  function failed(error) {
    toast(problem(error), "error");
  }

  // -- a lead's teams: SLA target and canned responses ------------------------------------

  function settingsPage(body) {
    var user = app.user();
    var mine = app.teams().filter(function (team) {
      return user.role === "admin" || user.teams.indexOf(team.id) >= 0;
    });
    if (!mine.length) body.appendChild(el("p", { text: T.noEntries }));
    mine.forEach(function (team) {
      body.appendChild(teamSettings(team));
    });
  }

  function teamSettings(team) {
    var headingId = "team-settings-" + team.id;
    var sla = el("input", { type: "number", min: "10", max: "604800", step: "1", required: true, value: team.sla_seconds });
    var slaForm = el("form", { class: "inline-form" }, [
      field(T.slaSeconds, sla),
      el("button", { type: "submit", text: T.save }),
    ]);
    slaForm.addEventListener("submit", function (event) {
      event.preventDefault();
      app.api
        .updateTeam(team.id, { sla_seconds: Number(sla.value) })
        .then(function () {
          toast(T.saved);
          app.reloadTeams();
        })
        .catch(failed);
    });
    var cannedList = el("tbody");
    var section = el("section", { class: "card", "aria-labelledby": headingId }, [
      el("h3", { id: headingId, text: team.name }),
      slaForm,
      el("h4", { text: T.cannedLabel }),
      el("table", { class: "table" }, [
        el("thead", {}, el("tr", {}, [th(T.shortcut), th(T.text), th("")])),
        cannedList,
      ]),
      cannedForm(team, function () {
        loadCanned(team, cannedList);
      }),
    ]);
    loadCanned(team, cannedList);
    return section;
  }

  function loadCanned(team, tbody) {
    app.conversation.forgetCanned(team.id);
    app.api
      .canned(team.id)
      .then(function (data) {
        clear(tbody);
        if (!data.canned.length) tbody.appendChild(el("tr", {}, el("td", { colspan: "3", text: T.noEntries })));
        data.canned.forEach(function (c) {
          var remove = button(T.delete, function () {
            app.api.deleteCanned(team.id, c.id).then(function () {
              loadCanned(team, tbody);
            }, failed);
          }, { "aria-label": T.delete + " /" + c.shortcut });
          tbody.appendChild(el("tr", {}, [td("/" + c.shortcut), td(c.text), el("td", {}, remove)]));
        });
      })
      .catch(failed);
  }

  function cannedForm(team, done) {
    // "/" escaped: browsers read a pattern with the v flag, where a bare "/" in a class is an error (ignored then)
    var shortcut = el("input", { required: true, maxlength: "32", pattern: "[^\\s\\/]+" });
    var text = el("textarea", { required: true, rows: "2" });
    var form = el("form", { class: "inline-form" }, [
      field(T.shortcut, shortcut),
      field(T.text, text, "field--wide"),
      el("button", { type: "submit", text: T.add }),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      app.api
        .addCanned(team.id, shortcut.value.trim().replace(/^\//, ""), text.value.trim())
        .then(function () {
          form.reset();
          done();
        })
        .catch(failed);
    });
    return form;
  }

  // -- the audit log --------------------------------------------------------------------

  function auditPage(body) {
    var tbody = el("tbody");
    var more = button(T.loadMore, function () {
      load(oldest);
    });
    var oldest = null;
    body.appendChild(
      el("table", { class: "table audit" }, [
        el("thead", {}, el("tr", {}, [T.when, T.who, T.action, T.team, T.conversation, T.detail].map(th))),
        tbody,
      ])
    );
    body.appendChild(more);

    function load(before) {
      app.api
        .audit(before)
        .then(function (data) {
          data.entries.forEach(function (entry) {
            tbody.appendChild(
              el("tr", {}, [
                td(dateTime(entry.created_at)),
                td(entry.username),
                el("td", { "data-action": entry.action, text: T.auditActions[entry.action] || entry.action }),
                td(entry.team_id || ""),
                td(entry.conversation_id ? shortId(entry.conversation_id) : ""),
                el("td", { class: "audit__detail", text: auditDetail(entry.detail) }),
              ])
            );
            oldest = entry.id;
          });
          more.hidden = data.entries.length < 100;
          if (!tbody.firstChild) tbody.appendChild(el("tr", {}, el("td", { colspan: "6", text: T.noEntries })));
        })
        .catch(failed);
    }
    load(null);
  }

  // -- users (admin) ----------------------------------------------------------------------

  function roleSelect(value) {
    var select = el("select", {});
    ["agent", "lead", "admin"].forEach(function (role) {
      select.appendChild(el("option", { value: role, text: T.roles[role], selected: role === value }));
    });
    return select;
  }

  function teamBoxes(chosen, name) {
    var group = el("fieldset", { class: "team-boxes" }, el("legend", { text: T.teams + " (" + name + ")" }));
    app.teams().forEach(function (team) {
      group.appendChild(
        el("label", {}, [
          el("input", { type: "checkbox", value: team.id, checked: chosen.indexOf(team.id) >= 0 }),
          " " + team.name,
        ])
      );
    });
    return group;
  }

  function checked(group) {
    return Array.prototype.filter
      .call(group.querySelectorAll("input[type=checkbox]"), function (box) {
        return box.checked;
      })
      .map(function (box) {
        return box.value;
      });
  }

  function usersPage(body) {
    var list = el("div", { class: "users" });
    body.appendChild(newUserForm(function () {
      loadUsers(list);
    }));
    body.appendChild(list);
    loadUsers(list);
  }

  function loadUsers(list) {
    app.api
      .users()
      .then(function (data) {
        clear(list);
        data.users.forEach(function (user) {
          list.appendChild(userCard(user, list));
        });
      })
      .catch(failed);
  }

  function userCard(user, list) {
    var name = el("input", { value: user.display_name, required: true });
    var role = roleSelect(user.role);
    var teams = teamBoxes(user.teams, user.username);
    var password = el("input", { type: "password", autocomplete: "new-password" });
    function save(changes) {
      return app.api.updateUser(user.id, changes).then(function () {
        toast(T.saved);
        loadUsers(list);
      }, failed);
    }
    var form = el("form", { class: "card user" + (user.active ? "" : " user--inactive") }, [
      el("h3", { text: user.username + (user.active ? "" : " (" + T.inactive + ")") }),
      field(T.displayName, name),
      field(T.role, role),
      teams,
      el("div", { class: "inline-form" }, [
        el("button", { type: "submit", text: T.save }),
        button(user.active ? T.deactivate : T.activate, function () {
          save({ active: !user.active });
        }),
      ]),
      el("div", { class: "inline-form" }, [
        field(T.resetPassword, password),
        button(T.setPassword, function () {
          if (password.value) save({ password: password.value });
        }),
      ]),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save({ display_name: name.value.trim(), role: role.value, teams: checked(teams) });
    });
    return form;
  }

  function newUserForm(done) {
    var username = el("input", { required: true, autocomplete: "off" });
    var name = el("input", {});
    var password = el("input", { type: "password", required: true, autocomplete: "new-password" });
    var role = roleSelect("agent");
    var teams = teamBoxes([], T.newUser);
    var form = el("form", { class: "card" }, [
      el("h3", { text: T.newUser }),
      field(T.username, username),
      field(T.displayName, name),
      field(T.password, password),
      field(T.role, role),
      teams,
      el("button", { type: "submit", class: "primary", text: T.create }),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      app.api
        .createUser({
          username: username.value.trim(),
          password: password.value,
          role: role.value,
          display_name: name.value.trim() || username.value.trim(),
          teams: checked(teams),
        })
        .then(function () {
          form.reset();
          toast(T.saved);
          app.reloadTeams();
          done();
        })
        .catch(failed);
    });
    return form;
  }

  // -- teams (admin) ----------------------------------------------------------------------

  function teamsPage(body) {
    var id = el("input", { required: true, pattern: "[a-z0-9][a-z0-9-]{0,63}" });
    var name = el("input", { required: true });
    var sla = el("input", { type: "number", min: "10", value: "120", required: true });
    var form = el("form", { class: "card inline-form" }, [
      el("h3", { text: T.newTeam }),
      field(T.teamId, id),
      field(T.teamName, name),
      field(T.slaSeconds, sla),
      el("button", { type: "submit", class: "primary", text: T.create }),
    ]);
    var tbody = el("tbody");
    body.appendChild(form);
    body.appendChild(
      el("table", { class: "table" }, [
        el("thead", {}, el("tr", {}, [T.teamId, T.teamName, T.slaSeconds, T.onlineColumn, T.teams].map(th))),
        tbody,
      ])
    );
    function render() {
      clear(tbody);
      app.teams().forEach(function (team) {
        var members = (team.members || []).map(function (m) {
          return m.display_name;
        });
        tbody.appendChild(
          el("tr", {}, [td(team.id), td(team.name), td(String(team.sla_seconds)), td(String(team.online)),
            td(members.join(", "))])
        );
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      app.api
        .createTeam({ id: id.value.trim(), name: name.value.trim(), sla_seconds: Number(sla.value) })
        .then(function () {
          form.reset();
          toast(T.saved);
          return app.reloadTeams().then(render);
        })
        .catch(failed);
    });
    render();
  }

  return { root: root, show: show };
}

function th(text) {
  return el("th", { scope: "col", text: text });
}

function td(text) {
  return el("td", { text: text });
}

// An audit entry's detail as a sentence staff can read ("Role: Agent → Team lead; Password: changed"), each field
// named in the console's language; a field the console has no name for is shown by its key.
function auditDetail(detail) {
  if (!detail) return "";
  var A = T.auditDetail;
  var parts = [];
  function value(key, v) {
    if (v === null || v === undefined) return "—";
    if (typeof v === "boolean") return v ? T.yes : T.no;
    if (Array.isArray(v)) {
      return v
        .map(function (item) {
          return value(key, item);
        })
        .join(T.listSeparator);
    }
    if (key === "role") return T.roles[v] || String(v);
    if (key === "reason") return T.reasons[v] || (T.errors[v] ? T.errors[v] : String(v));
    return String(v);
  }
  function add(key, text) {
    parts.push((A.fields[key] || key) + ": " + text);
  }
  var changes = detail.changes || {};
  Object.keys(detail).forEach(function (key) {
    var v = detail[key];
    if (key === "changes") {
      Object.keys(v).forEach(function (field) {
        add(field, value(field, v[field][0]) + " → " + value(field, v[field][1]));
      });
    } else if (key === "changed") {
      v.filter(function (field) {
        return !(field in changes);
      }).forEach(function (field) {
        add(field, A.changed); // a new password is only named
      });
    } else if (key === "sla_seconds" && Array.isArray(v) && v.length === 2) {
      add(key, value(key, v[0]) + " → " + value(key, v[1]));
    } else {
      add(key, value(key, v));
    }
  });
  return parts.join(T.semicolon);
}
