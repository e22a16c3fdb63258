// One JSON request over fetch, for the widget's and the staff console's API clients. Both bundles
// include this file inside their own function (web/assets.py: HTTP_JS).
//
// sendJson(url, method, body, options): body (when not undefined) is sent as JSON; options.headers
// are added to the request's (Accept: JSON); the other options (credentials, mode, cache) go to
// fetch as they are. Returns fetch's promise of the Response: each client reads it its own way.

function sendJson(url, method, body, options) {
  var headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  var init = { method: method, headers: headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  Object.keys(options || {}).forEach(function (name) {
    if (name !== "headers") init[name] = options[name];
  });
  Object.keys((options && options.headers) || {}).forEach(function (name) {
    headers[name] = options.headers[name];
  });
  return fetch(url, init);
}
