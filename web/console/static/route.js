// route.js: the page's address says what the console shows (#/conversation/ID, #/incident/ID, #/analytics, …),
// so a reload or the language switch comes back to it, the browser's Back goes back, and a link to a
// conversation can be sent to a colleague (who signs in first, and sees it if the service lets them).

var PANES = ["conversation", "incident"];

// {page, pane, id} from "#/conversation/abc": pane and id only for the queues' right-hand pane.
function parseRoute(hash) {
  var parts = String(hash || "").replace(/^#\/?/, "").split("/");
  var page = parts[0] || "queues";
  if (PANES.indexOf(page) >= 0 && parts[1]) {
    try {
      return { page: "queues", pane: page, id: decodeURIComponent(parts.slice(1).join("/")) };
    } catch (malformed) {
      return { page: "queues", pane: null, id: null };
    }
  }
  return { page: page, pane: null, id: null };
}

function routeHash(route) {
  if (route.page === "queues" && route.pane && route.id != null) {
    return "#/" + route.pane + "/" + encodeURIComponent(String(route.id));
  }
  return "#/" + route.page;
}

// A new entry in the browser's history, unless the address says so already; no hashchange event follows.
function rememberRoute(route) {
  var hash = routeHash(route);
  if (window.location.hash !== hash) window.history.pushState(null, "", hash);
}
