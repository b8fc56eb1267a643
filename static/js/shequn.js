/*
 * Behaviour shared by every page, kept out of the templates so the Content-Security-Policy
 * can forbid inline scripts (no onclick=/onchange= attributes, no <script> blocks):
 *
 * - [data-confirm="question"] on a submit button (or a form): ask before submitting; Cancel
 *   leaves the page as it was.
 * - [data-autosubmit] on a select (or another input): submit its form when it changes (the
 *   language menu). Each such form keeps a <noscript> submit button.
 *
 * Pages work without this file: confirmations are then skipped, menus need their button.
 * htmx's own hx-confirm is not touched. The console's htmx error handling is static/js/console.js.
 */
(function () {
  "use strict";

  document.addEventListener(
    "click",
    function (event) {
      var target = event.target instanceof Element ? event.target : null;
      var control = target && target.closest("button[data-confirm], input[type=submit][data-confirm]");
      if (control && !window.confirm(control.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm")) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
          event.stopImmediatePropagation();
        }
      }
    },
    true
  );

  document.addEventListener("change", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var control = target && target.closest("[data-autosubmit]");
    var form = control && control.form;
    if (!form) {
      return;
    }
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  });
})();
