// Bot and staff answers are markdown, for the widget and the staff console alike. Raw HTML in
// them is escaped (shown as text, never parsed); DOMPurify then guards what Marked made: no
// scripts, no event handlers, no images, no javascript: links. Links open in a new tab.
// Uses FundDeskVendor (vendor.js, bundled before this file); defines renderMarkdown(text).

var renderMarkdown = (function (vendor) {
  "use strict";

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  var markdown = new vendor.Marked({
    gfm: true,
    breaks: true,
    async: false,
    renderer: {
      html: function (token) {
        return escapeHtml(token.text || token.raw || "");
      },
    },
  });
  var purify = vendor.DOMPurify;
  purify.addHook("afterSanitizeAttributes", function (node) {
    if (node.tagName === "A") {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    }
  });
  var SAFE = {
    ALLOWED_TAGS: ["a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
      "i", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul"],
    ALLOWED_ATTR: ["href", "title"],
    ALLOW_DATA_ATTR: false,
  };

  return function (text) {
    return purify.sanitize(markdown.parse(String(text)), SAFE);
  };
})(FundDeskVendor); // eslint-disable-line no-undef
