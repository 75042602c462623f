/* MBC Connect widgets: progressive enhancement for the signup form and the events list.
   No dependencies, no build step. The form works without this script (plain HTML post). */
(function () {
  "use strict";

  var FIELD_ORDER = ["name", "email", "state", "how_heard", "consent"];

  function apiBase(form) {
    var action = form.getAttribute("action") || "";
    return action;
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach(function (el) { el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function showErrors(form, fields) {
    var first = null;
    var unplaced = [];
    Object.keys(fields).forEach(function (name) {
      var slot = form.querySelector('[data-error-for="' + name + '"]');
      var input = form.querySelector('[name="' + name + '"]');
      if (slot && input) {
        slot.textContent = fields[name];
        input.setAttribute("aria-invalid", "true");
      } else {
        unplaced.push(fields[name]);
      }
    });
    FIELD_ORDER.some(function (name) {
      if (fields[name]) { first = form.querySelector('[name="' + name + '"]'); return true; }
      return false;
    });
    if (first) { first.focus(); }
    return unplaced;
  }

  function setStatus(el, text, ok) {
    el.className = "mbc-status " + (ok ? "mbc-ok" : "mbc-bad");
    el.textContent = text;
  }

  function enhanceForm(form) {
    var status = form.querySelector("[data-mbc-status]");
    var button = form.querySelector('button[type="submit"]');
    form.noValidate = true; /* the API's answer is the one source of truth for errors */
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(form);
      var data = new FormData(form);
      var body = {
        name: String(data.get("name") || ""),
        email: String(data.get("email") || ""),
        state: String(data.get("state") || ""),
        consent: form.querySelector('[name="consent"]').checked,
        website: String(data.get("website") || "")
      };
      var how = String(data.get("how_heard") || "").trim();
      if (how) { body.how_heard = how; }
      button.disabled = true;
      setStatus(status, "Sending…", true);
      fetch(apiBase(form), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          return { status: response.status, json: json, retry: response.headers.get("Retry-After") };
        });
      }).then(function (result) {
        if (result.status === 202) {
          form.reset();
          setStatus(status, "Thank you! Check your email and open the link we sent to confirm your address.", true);
        } else if (result.status === 400 && result.json.error) {
          var extra = showErrors(form, result.json.error.fields || {});
          setStatus(status, "Please correct the highlighted fields." + (extra.length ? " " + extra.join(" ") : ""), false);
        } else if (result.status === 429) {
          var minutes = Math.max(1, Math.ceil(Number(result.retry || 3600) / 60));
          setStatus(status, "Too many signups from your network. Please try again in about " + minutes + " minutes.", false);
        } else {
          var message = result.json.error && result.json.error.message;
          setStatus(status, message || "Something went wrong. Please try again in a few minutes.", false);
        }
      }).catch(function () {
        setStatus(status, "We could not reach the server. Check your connection and try again.", false);
      }).then(function () {
        button.disabled = false;
      });
    });
  }

  function formatRange(event) {
    var zone = event.timezone;
    var start = new Date(event.starts_at);
    var end = new Date(event.ends_at);
    var day = new Intl.DateTimeFormat("en-US", { timeZone: zone, weekday: "long", month: "long", day: "numeric", year: "numeric" });
    var time = new Intl.DateTimeFormat("en-US", { timeZone: zone, hour: "numeric", minute: "2-digit" });
    var zoneName = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "short" })
      .formatToParts(start).filter(function (p) { return p.type === "timeZoneName"; }).map(function (p) { return p.value; })[0] || zone;
    var sameDay = day.format(start) === day.format(end);
    return day.format(start) + ", " + time.format(start) + " – " + (sameDay ? "" : day.format(end) + ", ") + time.format(end) + " " + zoneName;
  }

  var FORMATS = { in_person: "In person", virtual: "Online", hybrid: "In person and online" };
  var STATES = { ID: "Idaho", MT: "Montana" };

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text) { el.textContent = text; }
    return el;
  }

  function renderEvent(event) {
    var item = element("li", "mbc-event" + (event.cancelled ? " mbc-cancelled" : ""));
    item.appendChild(element("h3", "", event.title));
    var meta = element("p");
    if (event.cancelled) { meta.appendChild(element("span", "mbc-tag mbc-tag-cancelled", "Cancelled")); }
    meta.appendChild(element("span", "mbc-tag", FORMATS[event.format] || event.format));
    meta.appendChild(element("span", "mbc-tag", event.states.map(function (s) { return STATES[s] || s; }).join(" and ")));
    item.appendChild(meta);
    var when = element("p");
    var time = element("time", "", formatRange(event));
    time.setAttribute("datetime", event.starts_at);
    when.appendChild(time);
    item.appendChild(when);
    if (event.venue) {
      item.appendChild(element("p", "", event.venue.name + ", " + event.venue.street + ", " + event.venue.city));
    }
    if (event.description) { item.appendChild(element("p", "", event.description)); }
    var link = event.registration_url || event.online_url;
    if (link && /^https:\/\//.test(link) && !event.cancelled) {
      var p = element("p");
      var label = event.registration_url ? "Register" : "Join online";
      var a = element("a", "", label);
      a.href = link;
      a.setAttribute("aria-label", label + " for " + event.title); /* starts with the visible text */
      p.appendChild(a);
      item.appendChild(p);
    }
    return item;
  }

  function enhanceEvents(root) {
    var api = (root.getAttribute("data-api") || "").replace(/\/$/, "");
    var select = root.querySelector("[data-mbc-events-state]");
    var list = root.querySelector("[data-mbc-events-list]");
    var status = root.querySelector("[data-mbc-events-status]");
    var feed = root.querySelector("[data-mbc-feed]");

    function load() {
      var state = select.value;
      var query = "?limit=50" + (state ? "&state=" + encodeURIComponent(state) : "");
      feed.href = api + "/events/calendar.ics" + (state ? "?state=" + encodeURIComponent(state) : "");
      status.className = "mbc-status";
      status.textContent = "Loading events…";
      fetch(api + "/events" + query).then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      }).then(function (data) {
        list.textContent = "";
        data.events.forEach(function (event) { list.appendChild(renderEvent(event)); });
        var where = state ? STATES[state] : "Idaho and Montana";
        status.textContent = data.events.length
          ? "Showing " + data.events.length + " upcoming event" + (data.events.length === 1 ? "" : "s") + " in " + where + "."
          : "No upcoming events in " + where + " yet.";
      }).catch(function () {
        status.className = "mbc-status mbc-bad";
        status.textContent = "Events could not be loaded. Please try again later, or use the calendar feed.";
      });
    }

    select.addEventListener("change", load);
    load();
  }

  function init() {
    document.querySelectorAll("form[data-mbc-signup]").forEach(enhanceForm);
    document.querySelectorAll("[data-mbc-events]").forEach(enhanceEvents);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
