// phasemem web page: what "as of" means, as pure functions (tests/server/test_browser.py
// runs them in Chromium). Loaded before app.js; plain script, no build step.
"use strict";

const PhasememTime = (() => {
  // The as-of date field (YYYY-MM-DD) means the end of that day, UTC, as the
  // server reads it; "" means now.
  function asOfIso(dateValue) {
    return /^\d{4}-\d{2}-\d{2}$/.test(dateValue || "") ? dateValue + "T23:59:59+00:00" : null;
  }

  function ms(iso) {
    if (iso === null || iso === undefined || iso === "") return null;
    const t = Date.parse(iso);
    return Number.isNaN(t) ? null : t;
  }

  // The instant a view shows: the as-of time, else the moment it is drawn.
  function viewTime(asOf, now) {
    const t = ms(asOf);
    return t === null ? (now === undefined ? Date.now() : now) : t;
  }

  // A fact holds at t when it had begun and had not yet ended (the library's
  // Fact.holds_at): valid_at <= t < invalid_at, an open end holding on.
  function holdsAt(f, t) {
    const from = ms(f.valid_at), to = ms(f.invalid_at);
    return from !== null && from <= t && (to === null || t < to);
  }

  // "current" (holds at t), "superseded" (ended by t) or "future" (not begun by t).
  function factStatus(f, t) {
    const from = ms(f.valid_at), to = ms(f.invalid_at);
    if (from === null || from > t) return "future";
    if (to !== null && to <= t) return "superseded";
    return "current";
  }

  // An end that lies after t is not known at t: a view as of t shows it as open.
  function endAsSeenAt(f, t) {
    const to = ms(f.invalid_at);
    return to !== null && to <= t ? f.invalid_at : null;
  }

  // A memory belongs to a view as of t when it happened by then.
  function happenedBy(hit, t) {
    const at = ms(hit.occurred_at);
    return at === null || at <= t;
  }

  return { asOfIso, ms, viewTime, holdsAt, factStatus, endAsSeenAt, happenedBy };
})();
