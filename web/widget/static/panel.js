// panel.js: the widget's elements, built once in a shadow root so the host page's styles do not
// reach them (widget.css is linked inside it): the launcher button, and the panel with its
// header, status lines, message log, typing line and form. widget.js wires them up.
//
// WidgetPanel(t, options) -> the elements by name; options: lang, title, css (widget.css's URL),
// maxText (the longest message).

function WidgetPanel(t, options) {
  var host = el("div", { id: "funddesk-widget", lang: options.lang === "zh" ? "zh-CN" : "en" });
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(el("link", { rel: "stylesheet", href: options.css }));

  var launcher = el("button", {
    type: "button", class: "fd-launcher", "aria-expanded": "false", "aria-controls": "fd-panel",
  });
  launcher.appendChild(chatIcon());
  launcher.appendChild(el("span", {}, t.launcher));

  var panel = el("section", {
    id: "fd-panel", class: "fd-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "fd-title",
  });
  panel.hidden = true;
  var header = el("header", { class: "fd-header" });
  var heading = el("div");
  heading.appendChild(el("h2", { id: "fd-title" }, options.title || t.title));
  heading.appendChild(el("p", { class: "fd-subtitle" }, t.subtitle));
  var closeButton = el("button", { type: "button", class: "fd-close", "aria-label": t.close }, "×");
  header.appendChild(heading);
  header.appendChild(closeButton);

  var status = el("div", { class: "fd-status", role: "status", "aria-live": "polite" });
  var stateLine = el("div", { class: "fd-state", role: "status", "aria-live": "polite" });
  var log = el("div", {
    class: "fd-log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": t.log,
    tabindex: "0",
  });
  var typing = el("div", { class: "fd-typing", role: "status" });
  typing.hidden = true;
  var dots = el("span", { class: "fd-dots", "aria-hidden": "true" });
  dots.appendChild(el("span"));
  dots.appendChild(el("span"));
  dots.appendChild(el("span"));
  var typingText = el("span", {}, t.typing);
  typing.appendChild(dots);
  typing.appendChild(typingText);

  var counter = el("div", { class: "fd-counter", "aria-live": "polite" });
  counter.hidden = true;
  var form = el("form", { class: "fd-form", novalidate: "" });
  var input = el("textarea", {
    id: "fd-input", class: "fd-input", rows: "1", maxlength: String(options.maxText), placeholder: t.placeholder,
    "aria-describedby": "fd-hint", autocomplete: "off",
  });
  var sendButton = el("button", { type: "submit", class: "fd-send" }, t.send);
  sendButton.disabled = true;
  form.appendChild(el("label", { for: "fd-input", class: "fd-sr-only" }, t.inputLabel));
  form.appendChild(input);
  form.appendChild(sendButton);
  form.appendChild(el("p", { id: "fd-hint", class: "fd-sr-only" }, t.hint));

  [header, status, stateLine, log, typing, counter, form].forEach(function (part) {
    panel.appendChild(part);
  });
  root.appendChild(launcher);
  root.appendChild(panel);

  return {
    host: host,
    launcher: launcher,
    panel: panel,
    closeButton: closeButton,
    status: status,
    stateLine: stateLine,
    log: log,
    typing: typing,
    typingText: typingText,
    counter: counter,
    form: form,
    input: input,
    sendButton: sendButton,
  };
}

function el(tag, attributes, text) {
  var node = document.createElement(tag);
  Object.keys(attributes || {}).forEach(function (name) {
    node.setAttribute(name, attributes[name]);
  });
  if (text !== undefined) node.textContent = text;
  return node;
}

function chatIcon() {
  var ns = "http://www.w3.org/2000/svg";
  var svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  var path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
  svg.appendChild(path);
  return svg;
}
