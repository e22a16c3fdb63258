// The widget's two npm dependencies, bundled by esbuild into static/vendor.js (see package.json).
// The served widget.js wraps vendor.js and widget.js in one function, so `FundDeskVendor` never
// becomes a global of the host page.
import DOMPurify from "dompurify";
import { Marked } from "marked";

export { DOMPurify, Marked };
