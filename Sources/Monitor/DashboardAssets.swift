// The dashboard's script and stylesheet, served from the binary (`/dashboard.js`,
// `/dashboard.css`): the Content-Security-Policy allows nothing inline and nothing from
// elsewhere, and clusters have no internet.

public enum DashboardAssets {
    /// Fetches `/api/fragment` every second and swaps it into `<main id="dashboard">`; says
    /// when it cannot (the coordinator has exited). The token of the page's URL, if any, is
    /// passed on.
    public static let script = """
    // ttcg dashboard: the server renders everything; this only refreshes it every second.
    (function () {
      "use strict";
      var token = new URLSearchParams(window.location.search).get("token");
      var url = "/api/fragment" + (token ? "?token=" + encodeURIComponent(token) : "");
      var main = document.getElementById("dashboard");
      var note = document.getElementById("connection");
      function say(text) { if (note) { note.textContent = text; } }
      function poll() {
        fetch(url, { cache: "no-store", credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) { throw new Error("HTTP " + response.status); }
            return response.text();
          })
          .then(function (html) {
            main.innerHTML = html;
            say("live, updated " + new Date().toLocaleTimeString());
          })
          .catch(function (error) { say("not updating (" + error.message + "): the coordinator may have exited"); })
          .then(function () { window.setTimeout(poll, 1000); });
      }
      if (main) { window.setTimeout(poll, 1000); }
    })();

    """

    /// The page's looks: readable tables, bars and charts, light and dark.
    public static let stylesheet = """
    :root { color-scheme: light dark; --muted: #777; }
    body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1rem 2rem; max-width: 1200px; }
    h1 { font-size: 1.4rem; margin-bottom: 0.2rem; }
    h2 { font-size: 1.1rem; border-bottom: 1px solid #ccc; margin-top: 1.5rem; }
    h3 { font-size: 1rem; margin: 0.8rem 0 0.3rem; }
    .spec, .items, figcaption { color: var(--muted); font-size: 0.85rem; }
    progress { width: 24rem; max-width: 60vw; height: 1.1rem; vertical-align: middle; }
    #overall-progress { width: 100%; max-width: none; height: 1.5rem; }
    .market-progress { margin: 0.2rem 0; }
    .market-progress .market-name { display: inline-block; min-width: 16rem; font-family: ui-monospace, monospace; }
    table { border-collapse: collapse; font-size: 0.9rem; }
    th, td { border-bottom: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: left; }
    td.host, td.message { font-family: ui-monospace, monospace; word-break: break-all; }
    tr[data-state="lost"] td.state { color: #d62728; }
    tr[data-state="quarantined"] td.state { color: #ff7f0e; }
    .finished { color: #2ca02c; }
    .market-science { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
    .market-science h3 { flex-basis: 100%; }
    figure { margin: 0; }
    svg text { fill: currentColor; }
    svg { max-width: 100%; height: auto; }

    """
}
