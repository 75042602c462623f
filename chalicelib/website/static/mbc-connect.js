/* MBC Connect website widgets, version 2: the Connection Group signup form and the events list.

   Paste one tag where the widgets should appear:
     <script src="https://api.example.org/widgets/mbc-connect.js" data-group="mbc-connection-group" defer></script>
   or put <div data-mbc-connect></div> where they should appear and the tag anywhere.
   Options (on the script tag or the div): data-group, data-api (defaults to where the script comes
   from), data-show="signup,events", data-state="ID|MT", data-events="5" (events per page),
   data-css="none" (bring your own styles), and theme values data-accent, data-on-accent, data-text,
   data-muted, data-background, data-surface, data-border, data-error, data-success (colours like
   #5b2a86), data-font, data-radius (like 6px); or set the --mbc-* custom properties in your CSS.

   No dependencies, no build step. Everything is created with textContent (never HTML from data);
   the only global is window.MBCConnect. */
(function () {
  "use strict";

  var VERSION = "2";
  if (window.MBCConnect && window.MBCConnect.version === VERSION) {
    window.MBCConnect.init(document.currentScript);
    return;
  }

  var STATES = { ID: "Idaho", MT: "Montana" };
  var FORMATS = { in_person: "In person", virtual: "Online", hybrid: "In person and online" };
  var FIELD_ORDER = ["name", "email", "state", "timezone", "how_heard", "consent", "consent_version"];
  var FIELD_LABELS = {
    name: "Your name", email: "Email address", state: "State", timezone: "Your time", how_heard: "How you heard about us",
    consent: "Consent", consent_version: "Consent statement", redirect: "Thank-you page", body: "Form"
  };
  var THEME = {
    accent: "colour", "on-accent": "colour", text: "colour", muted: "colour", background: "colour",
    surface: "colour", border: "colour", error: "colour", success: "colour", font: "font", radius: "length"
  };
  var instances = 0;

  // ------------------------------------------------------------------ helpers

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (attrs[name] === null || attrs[name] === undefined || attrs[name] === false) { return; }
      if (name === "className") { node.className = attrs[name]; } else { node.setAttribute(name, attrs[name] === true ? "" : attrs[name]); }
    });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function append(parent) {
    for (var i = 1; i < arguments.length; i++) { if (arguments[i]) { parent.appendChild(arguments[i]); } }
    return parent;
  }

  function safeHttps(url) {
    return typeof url === "string" && /^https:\/\/[^\s]+$/.test(url) ? url : null;
  }

  function call(url, options) {
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, json: json || {}, retry: response.headers.get("Retry-After") };
      });
    });
  }

  /* Why the API's answers cannot be read here. A website that is not allowed yet cannot read them
     (the browser's CORS rule), but /site/allowed answers any website, yes or no for itself only. */
  var allowedCheck = null;
  function notAllowedHere(config) {
    allowedCheck = allowedCheck || fetch(config.api + "/site/allowed").then(function (response) {
      return response.json();
    }).then(function (json) { return Boolean(json) && json.allowed === false; }, function () { return false; });
    return allowedCheck;
  }

  function notAllowedText(lead) {
    return lead + ": it is not on the list of allowed websites. " +
      "Please ask an admin of the organizer console to allow this website (" + location.origin + ") on its Website page. ";
  }

  function apiFromScript(src) {
    var match = /^(https?:\/\/[^?#]*?)\/widgets\/(?:[0-9a-f]{12}\/)?mbc-connect\.js(?:[?#].*)?$/.exec(src || "");
    return match ? match[1] : "";
  }

  function cssFromScript(src) {
    return (src || "").replace(/mbc-connect\.js((?:[?#].*)?)$/, "mbc-connect.css$1");
  }

  function webcal(url) { return url.replace(/^https?:/, "webcal:"); }

  /* A zone in words ("Pacific"), from the API's zone_names (chalicelib/meetings/zones.py); a zone
     not listed by its city. Never an abbreviation ("PST", "MT") a reader has to decode. */
  function zoneName(zone, names) {
    return (names && names[zone]) || String(zone).split("/").pop().replace(/_/g, " ");
  }

  function formatRange(startIso, endIso, zone, names) {
    var start = new Date(startIso);
    var end = new Date(endIso);
    var day = new Intl.DateTimeFormat("en-US", { timeZone: zone, weekday: "long", month: "long", day: "numeric", year: "numeric" });
    var time = new Intl.DateTimeFormat("en-US", { timeZone: zone, hour: "numeric", minute: "2-digit" });
    var sameDay = day.format(start) === day.format(end);
    return day.format(start) + ", " + time.format(start) + " \u2013 " + (sameDay ? "" : day.format(end) + ", ") +
      time.format(end) + " " + zoneName(zone, names);
  }

  function validTheme(kind, value) {
    value = String(value || "").trim();
    if (kind === "colour") { return /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.test(value) ? "#" + value.replace(/^#/, "").toLowerCase() : null; }
    if (kind === "length") {
      var m = /^(0|([0-9]{1,2}(\.[0-9])?)(px|rem|em))$/.exec(value.toLowerCase());
      if (!m) { return null; }
      return m[1] === "0" || Number(m[2]) * (m[4] === "px" ? 1 : 16) <= 40 ? value.toLowerCase() : null;
    }
    if (/^(system-ui|sans-serif|serif|monospace)$/i.test(value)) { return value.toLowerCase(); }
    return /^[A-Za-z][A-Za-z0-9 -]{0,39}$/.test(value) ? '"' + value + '", system-ui, sans-serif' : null;
  }

  // ------------------------------------------------------------------ configuration

  function option(container, script, name) {
    var value = container.getAttribute("data-" + name);
    if ((value === null || value === "") && script) { value = script.getAttribute("data-" + name); }
    return value === null ? "" : value;
  }

  function configure(container, script) {
    var src = script ? script.src : "";
    var api = (option(container, script, "api") || apiFromScript(src)).replace(/\/+$/, "");
    var show = (option(container, script, "show") || "signup,events").split(",").map(function (s) { return s.trim(); });
    var perPage = parseInt(option(container, script, "events"), 10);
    return {
      api: api,
      group: option(container, script, "group") || "mbc-connection-group",
      signup: show.indexOf("signup") >= 0,
      events: show.indexOf("events") >= 0,
      state: STATES[option(container, script, "state").toUpperCase()] ? option(container, script, "state").toUpperCase() : "",
      perPage: perPage >= 1 && perPage <= 50 ? perPage : 5,
      css: option(container, script, "css"),
      cssUrl: cssFromScript(src)
    };
  }

  function applyTheme(container, script) {
    Object.keys(THEME).forEach(function (name) {
      var raw = option(container, script, name);
      if (!raw) { return; }
      var value = validTheme(THEME[name], raw);
      if (value) { container.style.setProperty("--mbc-" + name, value); }
      else if (window.console) { window.console.warn("MBC Connect: data-" + name + " is not a valid " + THEME[name] + ": " + raw); }
    });
  }

  function ensureStyles(config) {
    if (config.css === "none" || !/\.css/.test(config.cssUrl) || document.querySelector("link[data-mbc-connect-css]")) { return; }
    document.head.appendChild(el("link", { rel: "stylesheet", href: config.cssUrl, "data-mbc-connect-css": true }));
  }

  // ------------------------------------------------------------------ the signup form

  function field(ids, name, label, input, hint) {
    var wrap = el("div", { className: "mbc-field" });
    var described = [];
    if (hint) { described.push(ids + "-" + name + "-hint"); }
    described.push(ids + "-" + name + "-error");
    input.id = ids + "-" + name;
    input.setAttribute("name", name);
    input.setAttribute("aria-describedby", described.join(" "));
    append(wrap, el("label", { "for": input.id }, label), input);
    if (hint) { wrap.appendChild(el("p", { className: "mbc-hint", id: ids + "-" + name + "-hint" }, hint)); }
    wrap.appendChild(el("p", { className: "mbc-error", id: ids + "-" + name + "-error", "data-error-for": name }));
    return wrap;
  }

  /* Which time she lives on (optional): the choices and words come from the API (one list, in
     chalicelib/meetings/zones.py); the last choice, "", is "not sure". */
  function zoneChoices(group, ids) {
    var set = el("fieldset", { className: "mbc-field mbc-choices", id: ids + "-timezone" });
    set.setAttribute("aria-describedby", ids + "-timezone-hint " + ids + "-timezone-error");
    set.appendChild(el("legend", { className: "mbc-label" }, "Which time do you live on? (optional)"));
    (group.timezone_choices || []).forEach(function (choice, i) {
      var row = el("div", { className: "mbc-check" });
      var input = el("input", { type: "radio", id: ids + "-timezone-" + i, name: "timezone", value: choice.value });
      if (choice.value === "") { input.defaultChecked = true; input.checked = true; }
      append(row, input, el("label", { "for": input.id }, choice.label));
      set.appendChild(row);
    });
    if (group.timezone_hint) { set.appendChild(el("p", { className: "mbc-hint", id: ids + "-timezone-hint" }, group.timezone_hint)); }
    set.appendChild(el("p", { className: "mbc-error", id: ids + "-timezone-error", "data-error-for": "timezone" }));
    return set;
  }

  function buildForm(group, config, ids) {
    var form = el("form", { className: "mbc-form", method: "post", action: config.api + "/groups/" + encodeURIComponent(group.id) + "/signups", novalidate: true, "data-mbc-signup": true });
    append(form,
      field(ids, "name", "Your name", el("input", { type: "text", autocomplete: "name", maxlength: "100", required: true })),
      field(ids, "email", "Email address", el("input", { type: "email", autocomplete: "email", maxlength: "254", required: true }),
        "We email your link to the meetings here. We never share your address.")
    );
    var state = el("select", { required: true });
    append(state, el("option", { value: "" }, "Choose…"), el("option", { value: "ID" }, "Idaho"), el("option", { value: "MT" }, "Montana"));
    form.appendChild(field(ids, "state", "State you live in", state));
    form.appendChild(zoneChoices(group, ids));
    var how = field(ids, "how_heard", "How did you hear about us? (optional)", el("input", { type: "text", maxlength: "200" }));
    form.appendChild(how);
    var trap = el("div", { className: "mbc-field mbc-hp", "aria-hidden": "true" });
    append(trap, el("label", { "for": ids + "-website" }, "Leave this empty"),
      el("input", { id: ids + "-website", name: "website", type: "text", tabindex: "-1", autocomplete: "off" }));
    form.appendChild(trap);
    var consent = el("div", { className: "mbc-field" });
    var check = el("div", { className: "mbc-check" });
    append(check,
      el("input", { id: ids + "-consent", name: "consent", type: "checkbox", value: "on", required: true, "aria-describedby": ids + "-consent-error" }),
      el("label", { "for": ids + "-consent" }, group.consent_text));
    append(consent, check, el("p", { className: "mbc-error", id: ids + "-consent-error", "data-error-for": "consent" }));
    form.appendChild(consent);
    form.appendChild(el("input", { type: "hidden", name: "consent_version", value: group.consent_version }));
    append(form,
      el("button", { className: "mbc-button", type: "submit" }, "Sign up"),
      el("p", { className: "mbc-status", role: "status", "aria-live": "polite", "data-mbc-status": true }));
    /* Members who lost their email: the API's "send me the link again" page (works without script). */
    var again = el("p", { className: "mbc-resend" });
    again.appendChild(el("a", { href: config.api + "/groups/" + encodeURIComponent(group.id) + "/resend" }, "Already a member? Get your link again"));
    form.appendChild(again);
    return form;
  }

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-error-for]"), function (slot) { slot.textContent = ""; });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (input) { input.removeAttribute("aria-invalid"); });
  }

  function showErrors(form, fields) {
    var unplaced = [];
    Object.keys(fields).forEach(function (name) {
      var slot = form.querySelector('[data-error-for="' + name + '"]');
      var input = form.querySelector('[name="' + name + '"]');
      if (slot && input) {
        slot.textContent = fields[name];
        input.setAttribute("aria-invalid", "true");
      } else {
        unplaced.push((FIELD_LABELS[name] ? FIELD_LABELS[name] + ": " : "") + fields[name]);
      }
    });
    FIELD_ORDER.some(function (name) {
      var input = fields[name] && form.querySelector('[name="' + name + '"]');
      if (input && input.type !== "hidden") { input.focus(); return true; }
      return false;
    });
    return unplaced;
  }

  function setStatus(node, text, ok) {
    node.className = "mbc-status " + (ok === null ? "" : ok ? "mbc-ok" : "mbc-bad");
    node.textContent = text;
  }

  function enhanceForm(form) {
    if (form.getAttribute("data-mbc-enhanced")) { return; }
    form.setAttribute("data-mbc-enhanced", "true");
    var status = form.querySelector("[data-mbc-status]");
    var button = form.querySelector('button[type="submit"]');
    form.noValidate = true; /* the API's answer is the one source of truth for errors */
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(form);
      var data = new FormData(form);
      var consentBox = form.querySelector('[name="consent"]');
      var body = {
        name: String(data.get("name") || ""),
        email: String(data.get("email") || ""),
        state: String(data.get("state") || ""),
        consent: !!(consentBox && consentBox.checked),
        website: String(data.get("website") || "")
      };
      var zone = String(data.get("timezone") || "");
      if (zone) { body.timezone = zone; }
      var how = String(data.get("how_heard") || "").trim();
      if (how) { body.how_heard = how; }
      if (data.get("consent_version")) { body.consent_version = String(data.get("consent_version")); }
      button.disabled = true;
      setStatus(status, "Sending…", null);
      call(form.getAttribute("action"), {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(body)
      }).then(function (result) {
        var error = result.json.error || {};
        if (result.status === 202) {
          form.reset();
          setStatus(status, "Thank you! Check your email and open the link we sent to confirm your address. If it does not arrive within a few minutes, look in your spam folder.", true);
        } else if (result.status === 400 && error.fields) {
          var extra = showErrors(form, error.fields);
          setStatus(status, "Please correct the highlighted fields." + (extra.length ? " " + extra.join(" ") : ""), false);
        } else if (result.status === 429) {
          var minutes = Math.max(1, Math.ceil(Number(result.retry || 3600) / 60));
          setStatus(status, "Too many signups from your network. Please try again in about " + minutes + " minute" + (minutes === 1 ? "" : "s") + ".", false);
        } else {
          setStatus(status, error.message || "Something went wrong. Please try again in a few minutes.", false);
        }
      }).catch(function () {
        setStatus(status, "We could not reach the server. Check your connection and try again.", false);
        var api = (form.getAttribute("action") || "").replace(/\/groups\/[^\/]+\/signups(?:[?#].*)?$/, "");
        return notAllowedHere({ api: api }).then(function (refused) {
          if (refused) { setStatus(status, notAllowedText("This form cannot send signups from this website yet"), false); }
        });
      }).then(function () {
        button.disabled = false;
      });
    });
  }

  function renderSignup(section, config, ids, groupPromise) {
    var title = el("h2", { className: "mbc-title", id: ids + "-signup-title" }, "Join the Connection Group");
    var status = el("p", { className: "mbc-status", role: "status", "aria-live": "polite" }, "Loading the signup form…");
    append(section, title, status);
    section.setAttribute("aria-labelledby", title.id);
    groupPromise.then(function (group) {
      title.textContent = "Join the " + group.name;
      section.removeChild(status);
      if (group.description) { section.appendChild(el("p", { className: "mbc-description" }, group.description)); }
      var schedule = group.schedule_text + ".";
      if (group.next_meeting) { schedule += " Next meeting: " + group.next_meeting.when_text + "."; }
      section.appendChild(el("p", { className: "mbc-schedule" }, schedule));
      if (group.eligibility) { section.appendChild(el("p", { className: "mbc-muted" }, group.eligibility)); }
      if (!group.accepting_signups) {
        section.appendChild(el("p", { className: "mbc-status mbc-bad", role: "status" }, "This group is not taking signups right now. Please check back later."));
        return;
      }
      if (group.requires_approval) {
        section.appendChild(el("p", { className: "mbc-muted" }, "After you confirm your email address, an organizer approves your membership; then we email you your own link to the meetings, and again before each meeting."));
      }
      var form = buildForm(group, config, ids);
      section.appendChild(form);
      enhanceForm(form);
    }, function () {
      setStatus(status, "The signup form could not be loaded here. ", false);
      var link = el("a", { href: config.api + "/embed/" + encodeURIComponent(config.group) + "?show=signup", target: "_blank", rel: "noopener" }, "Open the signup form on its own page");
      status.appendChild(link);
      notAllowedHere(config).then(function (refused) {
        if (!refused) { return; }
        setStatus(status, notAllowedText("The signup form cannot be shown on this website yet"), false);
        status.appendChild(link);
      });
    });
  }

  // ------------------------------------------------------------------ the events list

  function address(event) {
    var venue = event.venue;
    if (!venue) { return ""; }
    var region = event.states.length === 1 ? event.states[0] + " " : "";
    return venue.street + ", " + venue.city + ", " + region + venue.postal_code;
  }

  function calendarDate(iso) { return new Date(iso).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, ""); }

  function googleCalendarUrl(event) {
    var details = event.description || "";
    var link = safeHttps(event.registration_url) || safeHttps(event.online_url);
    if (link) { details += (details ? "\n\n" : "") + link; }
    var params = new URLSearchParams({
      action: "TEMPLATE",
      text: event.title,
      dates: calendarDate(event.starts_at) + "/" + calendarDate(event.ends_at),
      details: details.slice(0, 1500),
      location: event.venue ? event.venue.name + ", " + address(event) : (event.format === "virtual" ? "Online" : ""),
      ctz: event.timezone
    });
    return "https://calendar.google.com/calendar/render?" + params.toString();
  }

  function mapUrl(event) {
    return "https://www.openstreetmap.org/search?query=" + encodeURIComponent(event.venue.name + ", " + address(event));
  }

  function jsonLd(event) {
    var modes = { in_person: "Offline", virtual: "Online", hybrid: "Mixed" };
    var item = {
      "@context": "https://schema.org",
      "@type": "Event",
      name: event.title,
      startDate: event.starts_at,
      endDate: event.ends_at,
      eventStatus: "https://schema.org/" + (event.cancelled ? "EventCancelled" : "EventScheduled"),
      eventAttendanceMode: "https://schema.org/" + modes[event.format] + "EventAttendanceMode"
    };
    if (event.description) { item.description = event.description; }
    var locations = [];
    if (event.venue) {
      locations.push({
        "@type": "Place",
        name: event.venue.name,
        address: {
          "@type": "PostalAddress", streetAddress: event.venue.street, addressLocality: event.venue.city,
          postalCode: event.venue.postal_code, addressRegion: event.states.length === 1 ? event.states[0] : undefined, addressCountry: "US"
        }
      });
    }
    var online = safeHttps(event.online_url) || (event.format !== "in_person" ? safeHttps(event.registration_url) : null);
    if (event.format !== "in_person" && online) { locations.push({ "@type": "VirtualLocation", url: online }); }
    if (locations.length) { item.location = locations.length === 1 ? locations[0] : locations; }
    if (safeHttps(event.registration_url)) { item.url = event.registration_url; }
    return item;
  }

  function eventItem(event, config, ids, names) {
    var itemId = ids + "-event-" + event.id;
    var li = el("li", { className: "mbc-event" + (event.cancelled ? " mbc-cancelled" : ""), id: itemId, tabindex: "-1", "data-event-id": event.id });
    li.appendChild(el("h3", {}, event.title));
    var tags = el("p");
    if (event.cancelled) { tags.appendChild(el("span", { className: "mbc-tag mbc-tag-cancelled" }, "Cancelled")); }
    tags.appendChild(el("span", { className: "mbc-tag" }, FORMATS[event.format] || event.format));
    tags.appendChild(el("span", { className: "mbc-tag" }, event.states.map(function (s) { return STATES[s] || s; }).join(" and ")));
    li.appendChild(tags);
    var when = el("p", { className: "mbc-when" });
    var time = el("time", { datetime: event.starts_at }, formatRange(event.starts_at, event.ends_at, event.timezone, names));
    when.appendChild(time);
    li.appendChild(when);
    if (event.venue) { li.appendChild(el("p", { className: "mbc-where" }, event.venue.name + ", " + event.venue.city)); }
    else if (event.format === "virtual") { li.appendChild(el("p", { className: "mbc-where" }, "Online")); }

    var details = el("details", { "data-event-id": event.id });
    var summary = el("summary", {}, "Details");
    summary.appendChild(el("span", { className: "mbc-visually-hidden" }, ": " + event.title));
    details.appendChild(summary);
    if (event.description) { details.appendChild(el("p", { className: "mbc-description" }, event.description)); }
    if (event.venue) {
      var where = el("p", {}, event.venue.name + ", " + address(event) + " ");
      where.appendChild(el("a", { href: mapUrl(event), target: "_blank", rel: "noopener" }, "Map"));
      details.appendChild(where);
    }
    if (event.accessibility) { details.appendChild(el("p", { className: "mbc-description" }, "Accessibility: " + event.accessibility)); }
    if (event.contact_email) {
      var contact = el("p", {}, "Questions: ");
      contact.appendChild(el("a", { href: "mailto:" + event.contact_email }, event.contact_email));
      details.appendChild(contact);
    }
    var actions = el("ul", { className: "mbc-actions", "aria-label": "Actions for " + event.title });
    var link = safeHttps(event.registration_url) || safeHttps(event.online_url);
    if (link && !event.cancelled) {
      var li2 = el("li");
      li2.appendChild(el("a", { href: link, target: "_blank", rel: "noopener" }, event.registration_url ? "Register" : "Join online"));
      actions.appendChild(li2);
    }
    if (!event.cancelled) {
      var ics = el("li");
      ics.appendChild(el("a", { href: config.api + "/events/" + encodeURIComponent(event.id) + ".ics", "data-mbc-ics": true }, "Add to calendar (.ics)"));
      var google = el("li");
      google.appendChild(el("a", { href: googleCalendarUrl(event), target: "_blank", rel: "noopener" }, "Add to Google Calendar"));
      append(actions, ics, google);
    }
    if (actions.children.length) { details.appendChild(actions); }
    li.appendChild(details);
    details.addEventListener("toggle", function () {
      var hash = "#event=" + event.id;
      if (details.open && location.hash !== hash && history.replaceState) { history.replaceState(null, "", hash); }
      else if (!details.open && location.hash === hash && history.replaceState) { history.replaceState(null, "", location.pathname + location.search); }
    });
    return li;
  }

  function feedsBox(config, groupPromise) {
    var box = el("div", { className: "mbc-feeds" });
    box.appendChild(el("p", { className: "mbc-label" }, "Subscribe in your calendar app"));
    var list = el("ul");
    var base = config.api + "/events/calendar.ics";
    [["ID", "Idaho events"], ["MT", "Montana events"]].forEach(function (pair) {
      var item = el("li");
      item.appendChild(el("a", { href: webcal(base + "?state=" + pair[0]), "data-mbc-feed": pair[0] }, pair[1]));
      list.appendChild(item);
    });
    var meetings = config.api + "/groups/" + encodeURIComponent(config.group) + "/meetings.ics";
    var meetingItem = el("li");
    var meetingLink = el("a", { href: webcal(meetings), "data-mbc-feed": "meetings" }, "Connection Group meetings");
    meetingItem.appendChild(meetingLink);
    list.appendChild(meetingItem);
    groupPromise.then(function (group) { meetingLink.textContent = group.name + " meetings"; }, function () {});
    box.appendChild(list);
    var hint = el("p", { className: "mbc-hint" }, "Google Calendar or Outlook on the web: add a calendar \u201cfrom URL\u201d and paste ");
    hint.appendChild(el("code", {}, base + "?state=ID"));
    hint.appendChild(document.createTextNode(" (or state=MT)."));
    box.appendChild(hint);
    return box;
  }

  function renderEvents(section, config, ids, groupPromise) {
    var title = el("h2", { className: "mbc-title", id: ids + "-events-title" }, "Upcoming events");
    section.setAttribute("aria-labelledby", title.id);
    var toolbar = el("div", { className: "mbc-toolbar" });
    var select = el("select", { id: ids + "-events-state" });
    append(select, el("option", { value: "" }, "Idaho and Montana"), el("option", { value: "ID" }, "Idaho"), el("option", { value: "MT" }, "Montana"));
    select.value = config.state;
    var filter = el("div", { className: "mbc-field" });
    append(filter, el("label", { "for": select.id }, "Show events in"), select);
    toolbar.appendChild(filter);
    var status = el("p", { className: "mbc-status", role: "status", "aria-live": "polite" }, "Loading events…");
    var list = el("ul", { className: "mbc-event-list", "aria-labelledby": title.id });
    var more = el("button", { className: "mbc-button mbc-button-quiet mbc-more", type: "button", hidden: true }, "More events");
    var ld = el("script", { type: "application/ld+json", "data-mbc-jsonld": true });
    append(section, title, toolbar, status, list, more, feedsBox(config, groupPromise), ld);

    var cursor = null;
    var shown = [];
    var token = 0;
    /* The words for each zone come with the group (asked for at the same time); without them a
       zone is named by its city. */
    var zoneNames = groupPromise.then(function (group) { return group.zone_names || {}; }, function () { return {}; });

    function where() { return select.value ? STATES[select.value] : "Idaho and Montana"; }

    function load(reset) {
      var mine = ++token;
      var query = "?limit=" + config.perPage + (select.value ? "&state=" + encodeURIComponent(select.value) : "") +
        (!reset && cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
      more.disabled = true;
      if (reset) { setStatus(status, "Loading events…", null); }
      return Promise.all([call(config.api + "/events" + query, { headers: { "Accept": "application/json" } }), zoneNames]).then(function (both) {
        var result = both[0];
        var names = both[1];
        if (mine !== token) { return; }
        if (result.status !== 200) { throw new Error(String(result.status)); }
        if (reset) { list.textContent = ""; shown = []; }
        var first = null;
        result.json.events.forEach(function (event) {
          var item = eventItem(event, config, ids, names);
          first = first || item;
          list.appendChild(item);
          shown.push(jsonLd(event));
        });
        ld.textContent = JSON.stringify(shown);
        cursor = result.json.next_cursor;
        more.hidden = !cursor;
        more.disabled = false;
        setStatus(status, shown.length
          ? "Showing " + shown.length + " upcoming event" + (shown.length === 1 ? "" : "s") + " in " + where() + "."
          : "No upcoming events in " + where() + " yet.", null);
        if (!reset && first) { first.focus(); }
      }).catch(function () {
        if (mine !== token) { return; }
        more.disabled = false;
        setStatus(status, "Events could not be loaded here. Please try again later, or subscribe to a calendar below.", false);
        notAllowedHere(config).then(function (refused) {
          if (refused && mine === token) { setStatus(status, notAllowedText("The events list cannot be shown on this website yet") + "Meanwhile, subscribe to a calendar below.", false); }
        });
      });
    }

    function openFromHash() {
      var match = /^#event=([A-Za-z0-9]{1,64})$/.exec(location.hash);
      if (!match) { return; }
      var existing = list.querySelector('details[data-event-id="' + match[1] + '"]');
      if (existing) {
        existing.open = true;
        existing.parentNode.scrollIntoView({ block: "start" });
        existing.querySelector("summary").focus();
        return;
      }
      Promise.all([call(config.api + "/events/" + encodeURIComponent(match[1]), { headers: { "Accept": "application/json" } }), zoneNames]).then(function (both) {
        var result = both[0];
        if (result.status !== 200) { return; }
        var item = eventItem(result.json, config, ids, both[1]);
        list.insertBefore(item, list.firstChild);
        item.querySelector("details").open = true;
        item.scrollIntoView({ block: "start" });
        item.querySelector("summary").focus();
      }).catch(function () {});
    }

    select.addEventListener("change", function () { cursor = null; load(true); });
    more.addEventListener("click", function () { load(false); });
    window.addEventListener("hashchange", openFromHash);
    load(true).then(openFromHash);
  }

  // ------------------------------------------------------------------ start

  function render(container, script) {
    if (container.getAttribute("data-mbc-rendered")) { return; }
    container.setAttribute("data-mbc-rendered", "true");
    var config = configure(container, script);
    instances += 1;
    var ids = "mbc" + instances;
    container.classList.add("mbc-connect");
    applyTheme(container, script);
    ensureStyles(config);
    var groupPromise = call(config.api + "/groups/" + encodeURIComponent(config.group), { headers: { "Accept": "application/json" } })
      .then(function (result) {
        if (result.status !== 200) { throw new Error(String(result.status)); }
        return result.json;
      });
    groupPromise.catch(function () {}); /* handled by each section */
    if (config.signup) { renderSignup(container.appendChild(el("section", { className: "mbc-signup" })), config, ids, groupPromise); }
    if (config.events) { renderEvents(container.appendChild(el("section", { className: "mbc-events" })), config, ids, groupPromise); }
  }

  function init(script) {
    var containers = Array.prototype.slice.call(document.querySelectorAll("[data-mbc-connect]:not([data-mbc-rendered])"));
    var pasted = document.querySelectorAll("form[data-mbc-signup]:not([data-mbc-enhanced])").length;
    if (!containers.length && !pasted && script && script.parentNode && !script.getAttribute("data-mbc-rendered-after")) {
      script.setAttribute("data-mbc-rendered-after", "true");
      var div = el("div", { "data-mbc-connect": true });
      script.parentNode.insertBefore(div, script.nextSibling);
      containers = [div];
    }
    containers.forEach(function (container) { render(container, script); });
    /* Forms pasted as plain HTML (web/signup-form.html) get the same inline errors. */
    Array.prototype.forEach.call(document.querySelectorAll("form[data-mbc-signup]"), enhanceForm);
  }

  var currentScript = document.currentScript;
  window.MBCConnect = { version: VERSION, init: init, render: function (container) { render(container, currentScript); } };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(currentScript); });
  } else {
    init(currentScript);
  }
})();
