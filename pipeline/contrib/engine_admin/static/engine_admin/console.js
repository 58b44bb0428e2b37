// The engine admin console: action forms post JSON to the API, then the page reloads to show the new
// states. No framework and no build step; the page works from the server-rendered HTML alone.
(function () {
  "use strict";

  var consoleElement = document.getElementById("console");
  var apiBase = consoleElement ? consoleElement.getAttribute("data-api-base") : "";
  var flash = document.getElementById("flash");
  var AUTO_REFRESH_KEY = "engine_admin.auto_refresh";
  var AUTO_REFRESH_MS = 5000;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function show(message, ok) {
    flash.textContent = message;
    flash.className = ok ? "flash ok" : "flash error";
    flash.hidden = false;
  }

  // The action's parameters from the form's fields: JSON text areas are parsed, checkboxes marked
  // data-kind="list" are collected into lists, empty fields are left out (the API's defaults apply).
  function paramsOf(form) {
    var params = {};
    var fields = form.querySelectorAll("input[name], textarea[name], select[name]");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      var kind = field.getAttribute("data-kind");
      if (kind === "list") {
        params[field.name] = params[field.name] || [];
        if (field.checked) {
          params[field.name].push(field.value);
        }
      } else if (field.value.trim() === "") {
        continue;
      } else if (kind === "json") {
        try {
          params[field.name] = JSON.parse(field.value);
        } catch (err) {
          throw new Error(field.name + " is not valid JSON: " + err.message);
        }
      } else {
        params[field.name] = field.value;
      }
    }
    return params;
  }

  function submitAction(event) {
    event.preventDefault();
    var form = event.currentTarget;
    var action = form.getAttribute("data-action");
    var target = form.getAttribute("data-target");
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      return;
    }
    var params;
    try {
      params = paramsOf(form);
    } catch (err) {
      show(err.message, false);
      return;
    }
    var buttons = document.querySelectorAll("button.action");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("data-busy", "1");
    }
    show(action + " " + target + "…", true);
    fetch(apiBase + action + "/" + encodeURIComponent(target) + "/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(params),
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { result: false, message: "HTTP " + response.status };
        });
      })
      .then(function (body) {
        if (body.result) {
          show(action + " " + target + ": " + body.message, true);
          window.setTimeout(function () { window.location.reload(); }, 400);
        } else {
          show(action + " " + target + " refused: " + body.message, false);
        }
      })
      .catch(function (err) {
        show(action + " " + target + " failed: " + err.message, false);
      })
      .finally(function () {
        for (var i = 0; i < buttons.length; i++) {
          buttons[i].removeAttribute("data-busy");
        }
      });
  }

  var forms = document.querySelectorAll("form.action-form");
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("submit", submitAction);
  }

  var autoRefresh = document.getElementById("auto-refresh");
  if (autoRefresh) {
    autoRefresh.checked = window.sessionStorage.getItem(AUTO_REFRESH_KEY) === "1";
    autoRefresh.addEventListener("change", function () {
      window.sessionStorage.setItem(AUTO_REFRESH_KEY, autoRefresh.checked ? "1" : "0");
    });
    window.setInterval(function () {
      if (autoRefresh.checked && flash.hidden) {
        window.location.reload();
      }
    }, AUTO_REFRESH_MS);
  }

  var anchor = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (anchor) {
    anchor.classList.add("highlight");
  }
})();
