/*
 * The operator console's small progressive enhancements (no inline scripts: CSP).
 *
 * 1. A refused or failed inline (htmx) action: its error is shown in the page's message area
 *    (#console-alerts; the translated texts are its data-msg-* attributes, rendered by the
 *    server) and its control is restored (a select goes back to its last saved value, a
 *    checkbox to its last saved state, the buttons that were disabled during the request are
 *    enabled again). A 422 answer that carries no partial to swap counts as refused too.
 * 2. Filter inputs over long checkbox lists (scope pickers): [data-filter-list="#id"].
 * 3. The one-time API token: selected on focus, copied by its button.
 *
 * Everything works without this file; it only makes failures visible and lists searchable.
 */
(function () {
  "use strict";

  var BUSY = "data-console-busy";

  function alertsArea() {
    return document.getElementById("console-alerts");
  }

  function messageFor(status) {
    var area = alertsArea();
    if (!area) {
      return "";
    }
    var key = "failed";
    if (status === 0) {
      key = "network";
    } else if (status === 403) {
      key = "forbidden";
    } else if (status === 404) {
      key = "notFound";
    } else if (status === 409) {
      key = "conflict";
    } else if (status === 422) {
      key = "invalid";
    } else if (status === 429) {
      key = "tooMany";
    } else if (status >= 500) {
      key = "server";
    }
    var name = "msg" + key.charAt(0).toUpperCase() + key.slice(1);
    return area.dataset[name] || area.dataset.msgFailed || "";
  }

  function clearAlert() {
    var area = alertsArea();
    if (area) {
      area.replaceChildren();
    }
  }

  function showAlert(text) {
    var area = alertsArea();
    if (!area || !text) {
      return;
    }
    var list = document.createElement("ul");
    list.className = "messages";
    var item = document.createElement("li");
    item.className = "message error";
    item.setAttribute("role", "alert");
    var span = document.createElement("span");
    span.textContent = text;
    item.appendChild(span);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "link dismiss";
    close.textContent = area.dataset.msgDismiss || "×";
    close.addEventListener("click", clearAlert);
    item.appendChild(close);
    list.appendChild(item);
    area.replaceChildren(list);
  }

  function controlsOf(elt) {
    if (!elt || !elt.querySelectorAll) {
      return [];
    }
    var found = Array.prototype.slice.call(elt.querySelectorAll("select, input"));
    if (elt.matches && elt.matches("select, input")) {
      found.unshift(elt);
    }
    return found;
  }

  /* Put the controls back to their last saved values (the HTML defaults, see commitControls). */
  function restoreControls(elt) {
    controlsOf(elt).forEach(function (control) {
      if (control.tagName === "SELECT") {
        Array.prototype.forEach.call(control.options, function (option) {
          option.selected = option.defaultSelected;
        });
      } else if (control.type === "checkbox" || control.type === "radio") {
        control.checked = control.defaultChecked;
      }
    });
  }

  /* After a successful request the current values are the saved ones. */
  function commitControls(elt) {
    controlsOf(elt).forEach(function (control) {
      if (control.tagName === "SELECT") {
        Array.prototype.forEach.call(control.options, function (option) {
          option.defaultSelected = option.selected;
        });
      } else if (control.type === "checkbox" || control.type === "radio") {
        control.defaultChecked = control.checked;
      }
    });
  }

  function buttonsOf(elt) {
    if (!elt || !elt.querySelectorAll) {
      return [];
    }
    var found = Array.prototype.slice.call(elt.querySelectorAll("button"));
    if (elt.tagName === "BUTTON") {
      found.unshift(elt);
    }
    return found;
  }

  function setBusy(elt) {
    buttonsOf(elt).forEach(function (button) {
      if (!button.disabled) {
        button.disabled = true;
        button.setAttribute(BUSY, "");
      }
    });
  }

  function clearBusy() {
    document.querySelectorAll("[" + BUSY + "]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute(BUSY);
    });
  }

  function failed(event, status) {
    clearBusy();
    restoreControls(event.detail.elt);
    showAlert(messageFor(status));
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    clearAlert();
    setBusy(event.detail.elt);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    clearBusy();
    if (event.detail.successful) {
      commitControls(event.detail.elt);
    }
  });

  /* A 422 normally brings back a form or row with its message; without one it is a refusal. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status !== 422) {
      return;
    }
    var body = (xhr.responseText || "").trim();
    if (!body || /^<!doctype|<html[\s>]/i.test(body)) {
      event.detail.shouldSwap = false;
      event.detail.isError = true;
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    failed(event, event.detail.xhr ? event.detail.xhr.status : 0);
  });
  document.addEventListener("htmx:sendError", function (event) {
    failed(event, 0);
  });
  document.addEventListener("htmx:timeout", function (event) {
    failed(event, 0);
  });

  /* ---- filter inputs over checkbox lists ---- */

  function normalise(text) {
    return (text || "").toLocaleLowerCase().replace(/\s+/g, " ").trim();
  }

  function applyFilter(input) {
    var list = document.querySelector(input.getAttribute("data-filter-list"));
    if (!list) {
      return;
    }
    var query = normalise(input.value);
    var shown = 0;
    list.querySelectorAll("label").forEach(function (label) {
      var item = label.parentElement === list ? label : label.parentElement;
      var match = !query || normalise(label.textContent).indexOf(query) !== -1;
      item.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    var empty = document.getElementById(input.getAttribute("data-filter-empty") || "");
    if (empty) {
      empty.hidden = shown > 0;
    }
  }

  function setUpFilters(root) {
    root.querySelectorAll("[data-filter-list]").forEach(function (input) {
      var wrapper = input.closest("[data-filter-wrapper]") || input;
      wrapper.hidden = false;
      if (!input.hasAttribute("data-filter-ready")) {
        input.setAttribute("data-filter-ready", "");
        input.addEventListener("input", function () {
          applyFilter(input);
        });
        input.addEventListener("keydown", function (event) {
          if (event.key === "Enter") {
            event.preventDefault(); // filtering, not submitting the form
          }
        });
      }
      applyFilter(input);
    });
  }

  /* ---- the one-time token ---- */

  function setUpCopy(root) {
    root.querySelectorAll("[data-select-on-focus]").forEach(function (field) {
      field.addEventListener("focus", function () {
        field.select();
      });
    });
    root.querySelectorAll("[data-copy-target]").forEach(function (button) {
      var field = document.querySelector(button.getAttribute("data-copy-target"));
      if (!field || !navigator.clipboard) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
          var done = document.getElementById(button.getAttribute("data-copy-done") || "");
          if (done) {
            done.hidden = false;
          }
        });
      });
    });
  }

  function setUp() {
    setUpFilters(document);
    setUpCopy(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
