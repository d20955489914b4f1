// The console's page: plain HTML, CSS and JavaScript in one document, served from the binary (no
// library, no build step, nothing fetched from elsewhere). The picture is the server's SVG
// (`localvpc diagram`'s renderer), so the page only places it, listens for clicks and polls for changes.
enum ConsolePage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>LocalVPC console</title>
        <style>
          body { margin: 0; font: 13px Helvetica, Arial, sans-serif; color: #16191f; background: #f4f4f4; }
          header { display: flex; gap: 16px; align-items: center; padding: 8px 16px; background: #232f3e; color: #fff; }
          header h1 { font-size: 16px; margin: 0; }
          header .status { margin-left: auto; font-size: 12px; color: #d1d5db; }
          main { display: flex; gap: 12px; padding: 12px; align-items: flex-start; }
          #diagram { background: #fff; border: 1px solid #d1d5db; overflow: auto; flex: 1 1 auto; min-height: 300px; }
          #diagram [data-id] { cursor: pointer; }
          #diagram .selected > rect:first-child { stroke: #0972d3; stroke-width: 3; }
          aside { width: 420px; flex: 0 0 420px; display: flex; flex-direction: column; gap: 12px; }
          section { background: #fff; border: 1px solid #d1d5db; padding: 10px; }
          section h2 { font-size: 14px; margin: 0 0 8px; }
          table { border-collapse: collapse; width: 100%; font-size: 12px; }
          th, td { text-align: left; padding: 2px 6px; border-bottom: 1px solid #eceff1; vertical-align: top; }
          pre { font-size: 11px; max-height: 220px; overflow: auto; background: #f8f8f8; padding: 6px; }
          label { display: inline-block; margin: 2px 8px 2px 0; }
          input, select, button { font: inherit; }
          .blocked { color: #d91515; }
          .reachable { color: #037f0c; }
          #analyses tr { cursor: pointer; }
        </style>
        </head>
        <body>
        <header>
          <h1>LocalVPC</h1>
          <label>Region <select id="region"></select></label>
          <span class="status" id="status">loading…</span>
        </header>
        <main>
          <div id="diagram"></div>
          <aside>
            <section id="panel"><h2>Details</h2><p>Click a resource in the picture.</p></section>
            <section>
              <h2>Trace (Reachability Analyzer)</h2>
              <form id="trace-form">
                <label>From <input id="trace-from" list="names" size="14" value="" required></label>
                <label>To <input id="trace-to" list="names" size="14" value="internet" required></label><br>
                <label>Protocol <select id="trace-protocol"><option>tcp</option><option>udp</option></select></label>
                <label>Port <input id="trace-port" size="6" value="443"></label>
                <button id="trace-run" type="submit">Trace</button>
              </form>
              <datalist id="names"></datalist>
              <div id="trace-result"></div>
            </section>
            <section><h2>Claims (serve --load)</h2><div id="claims">none loaded</div></section>
            <section><h2>Analyses</h2><table id="analyses"></table></section>
          </aside>
        </main>
        <script>
        "use strict";
        const view = { region: new URLSearchParams(location.search).get("region") || "us-east-1", version: -1, analysis: null, selected: null };
        const $ = (id) => document.getElementById(id);
        const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
        const api = (path, params = {}) => "/console/api/" + path + "?" + new URLSearchParams({ region: view.region, ...params });

        async function getJSON(path, params) {
          const response = await fetch(api(path, params));
          return response.json();
        }

        async function regions() {
          const data = await getJSON("regions");
          $("region").innerHTML = data.regions.map((r) => `<option${r === view.region ? " selected" : ""}>${esc(r)}</option>`).join("");
          $("region").onchange = () => { view.region = $("region").value; view.version = -1; view.analysis = null; poll(); };
        }

        async function redraw() {
          const params = view.analysis ? { analysis: view.analysis } : {};
          const svg = await (await fetch(api("diagram.svg", params))).text();
          $("diagram").innerHTML = svg;
          for (const element of $("diagram").querySelectorAll("[data-id]")) {
            element.addEventListener("click", (event) => { event.stopPropagation(); select(element.getAttribute("data-id")); });
          }
          if (view.selected) mark(view.selected);
          const resources = await getJSON("resources");
          $("names").innerHTML = resources.resources.map((r) => `<option value="${esc(r.name)}">${esc(r.kind)} ${esc(r.id)}</option>`).join("");
          await analyses();
          await claims();
          document.body.dataset.version = String(view.version);
        }

        function mark(id) {
          for (const element of $("diagram").querySelectorAll(".selected")) element.classList.remove("selected");
          const target = $("diagram").querySelector(`[data-id="${CSS.escape(id)}"]`);
          if (target) target.classList.add("selected");
        }

        function rows(title, list, columns) {
          if (!list || list.length === 0) return `<h3>${esc(title)}</h3><p>none</p>`;
          return `<h3>${esc(title)}</h3><table><tr>${columns.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>` +
            list.map((row) => `<tr>${columns.map((c) => `<td>${esc(row[c] ?? "")}</td>`).join("")}</tr>`).join("") + "</table>";
        }

        async function select(id) {
          view.selected = id;
          mark(id);
          const data = await getJSON("resource", { id });
          if (data.error) { $("panel").innerHTML = `<h2>${esc(id)}</h2><p class="blocked">${esc(data.error.message)}</p>`; return; }
          let html = `<h2 id="panel-title">${esc(data.name)}</h2><p>${esc(data.kind)} · <code>${esc(data.id)}</code></p>`;
          if (data.groups) html += `<p>security groups: ${data.groups.map(esc).join(", ")}</p>`;
          if (data.rules) html += rows("Inbound rules", data.rules.inbound, ["protocol", "ports", "peer"]) +
            rows("Outbound rules", data.rules.outbound, ["protocol", "ports", "peer"]);
          if (data.routes) html += rows("Routes", data.routes, ["destination", "target", "state"]);
          if (data.entries) html += rows("Network ACL inbound", data.entries.inbound, ["rule", "protocol", "ports", "cidr", "action"]) +
            rows("Network ACL outbound", data.entries.outbound, ["rule", "protocol", "ports", "cidr", "action"]);
          if (data.attributes) {
            html += `<details><summary>All attributes</summary><pre>${esc(JSON.stringify(data.attributes, null, 2))}</pre></details>`;
          }
          $("panel").innerHTML = html;
        }

        async function claims() {
          const data = await getJSON("claims");
          if (!data.loaded || data.region !== view.region) { $("claims").textContent = "none loaded for this region"; return; }
          const line = (c, what) => `<li class="${c.holds ? "reachable" : "blocked"}">${c.holds ? "PASS" : "FAIL"} ${what} ${esc(c.name)}` +
            (c.findings && c.findings.length ? ": " + c.findings.map(esc).join("; ") : "") + "</li>";
          $("claims").innerHTML = "<ul>" + data.intents.map((c) => line(c, "intent")).join("") +
            data.scopes.map((c) => line(c, "scope")).join("") + "</ul>";
        }

        async function analyses() {
          const data = await getJSON("analyses");
          $("analyses").innerHTML = "<tr><th>analysis</th><th>from → to</th><th>verdict</th></tr>" + data.analyses.map((a) =>
            `<tr data-analysis="${esc(a.id)}"><td>${esc(a.id)}</td>` +
            `<td>${esc(a.source)} → ${esc(a.destination)} ${esc(a.protocol)} ${esc(a.port)}</td>` +
            `<td class="${a.found ? "reachable" : "blocked"}">` +
            `${a.found ? "reachable" : "not reachable: " + esc(a.explanations.join(", "))}</td></tr>`).join("");
          for (const row of $("analyses").querySelectorAll("tr[data-analysis]")) {
            row.onclick = () => { view.analysis = row.dataset.analysis; redraw(); };
          }
        }

        $("trace-form").addEventListener("submit", async (event) => {
          event.preventDefault();
          const body = new URLSearchParams({
            from: $("trace-from").value, to: $("trace-to").value, protocol: $("trace-protocol").value, port: $("trace-port").value,
          });
          const response = await fetch(api("trace"), { method: "POST", body, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
          const data = await response.json();
          if (data.error) { $("trace-result").innerHTML = `<p class="blocked">${esc(data.error.message)}</p>`; return; }
          view.analysis = data.analysisId;
          const verdict = data.found ? "Reachable" : "Not reachable";
          const items = data.explanations.map((e) =>
            `<li class="blocked"><b>${esc(e.code)}</b>${e.direction ? " (" + esc(e.direction) + ")" : ""}: ${esc(e.message)}</li>`);
          $("trace-result").innerHTML =
            `<p id="trace-verdict" class="${data.found ? "reachable" : "blocked"}">${verdict} (${esc(data.analysisId)})</p>` +
            "<ul>" + items.join("") + "</ul>";
          await redraw();
        });

        async function poll() {
          try {
            const data = await getJSON("version");
            if (data.version !== view.version) { view.version = data.version; await redraw(); }
            $("status").textContent = `${view.region} · state version ${view.version} · live`;
          } catch (error) {
            $("status").textContent = "the server does not answer: " + error;
          }
        }

        regions().then(poll);
        setInterval(poll, 500);
        </script>
        </body>
        </html>
        """#
}
