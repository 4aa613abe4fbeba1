// Command map ("一张图"): boundaries, incidents, active warnings, resources by kind, hazards and risk points from the
// apps' scoped GeoJSON endpoints; toggles remembered in localStorage; refetched every 30 s (and on the button) without
// reloading; clicking an incident lists the nearest available teams with a 调派 button (POST /api/v1/resources/dispatches).
(function () {
  "use strict";
  const STORE = "citysafe.command.layers";
  const REFRESH_MS = 30000;
  const RESOURCE_COLORS = {team: "#2e7d32", depot: "#1565c0", equipment: "#6a1b9a", shelter: "#00897b",
                           helipad: "#ef6c00", medical: "#00838f"};
  const LEVEL_COLORS = {blue: "#1565c0", yellow: "#f9a825", orange: "#ef6c00", red: "#c62828"};
  const SEVERE = new Set(["especially_major", "major", "level_1", "level_2"]);
  const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  const readJson = id => JSON.parse(document.getElementById(id).textContent);

  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function getJson(url) {
    return fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}}).then(r => {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    });
  }

  function commandMap(el) {
    const labels = readJson("command-layer-labels");
    const msg = readJson("command-messages");
    const canDispatch = el.dataset.canDispatch === "1";
    const map = L.map(el, {zoomSnap: 0.25, maxZoom: 18});
    if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, {maxZoom: 18}).addTo(map);
    map.setView([29.9, 107.8], 7);
    // Boundaries under everything; incidents above the resource clusters (their icons live in the marker pane).
    for (const [pane, z] of [["cmdRegions", 350], ["cmdIncidents", 650]]) map.createPane(pane).style.zIndex = String(z);

    // One group per layer key; point layers cluster (thousands of points stay usable), shapes do not.
    const layers = {};
    for (const key of Object.keys(labels)) {
      layers[key] = (key === "regions" || key === "warnings") ? L.featureGroup()
        : L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50});
    }
    let saved = {};
    try { saved = JSON.parse(localStorage.getItem(STORE) || "{}"); } catch (e) { saved = {}; }
    const overlays = {};
    for (const [key, group] of Object.entries(layers)) {
      if (saved[key] !== false) group.addTo(map);
      overlays[`${esc(labels[key])} <span class="text-muted" data-count="${key}"></span>`] = group;
    }
    L.control.layers(null, overlays, {collapsed: false}).addTo(map);
    const keyOf = layer => Object.keys(layers).find(k => layers[k] === layer);
    map.on("overlayadd overlayremove", e => {
      const key = keyOf(e.layer);
      if (!key) return;
      saved[key] = e.type === "overlayadd";
      localStorage.setItem(STORE, JSON.stringify(saved));
      if (saved[key]) load([key]);
    });
    const legendEl = document.getElementById("command-legend");
    if (legendEl) {
      const legend = L.control({position: "bottomleft"});
      legend.onAdd = () => { legendEl.hidden = false; return legendEl; };
      legend.addTo(map);
    }

    const markers = {incident: {}, warning: {}};
    const setCount = (key, n) => {
      el.dataset[`count_${key}`] = String(n);
      document.querySelectorAll(`[data-count="${key}"]`).forEach(s => { s.textContent = `(${n})`; });
    };
    const circle = (latlng, color, cls, radius = 7, pane = "overlayPane") =>
      L.circleMarker(latlng, {radius, color: "#222", weight: 1, fillColor: color, fillOpacity: 0.85, className: cls,
                              pane});

    // --- loaders: each fills its group(s) from one endpoint -------------------------------------------------
    const loaders = {
      regions: () => getJson(el.dataset.regions).then(fc => {
        layers.regions.clearLayers();
        L.geoJSON(fc, {pane: "cmdRegions", style: () => ({color: "#0b3d6b", weight: 1.5, fillOpacity: 0.04}),
                       onEachFeature: (f, l) => l.bindTooltip(esc(f.properties.name))}).addTo(layers.regions);
        setCount("regions", layers.regions.getLayers().length);
        if (!el.dataset.fitted && layers.regions.getLayers().length) {
          map.fitBounds(layers.regions.getBounds());
          el.dataset.fitted = "1";
        }
      }),
      incidents: () => getJson(el.dataset.incidents).then(fc => {
        const list = [];
        markers.incident = {};
        for (const f of fc.features) {
          const p = f.properties, [lon, lat] = f.geometry.coordinates;
          const m = circle([lat, lon], SEVERE.has(p.grade) ? "#b71c1c" : "#e65100", `cmd-incident cmd-incident-${Number(p.id)}`, 9,
                           "cmdIncidents");
          m.bindPopup(`<a href="${el.dataset.incidentUrl}${Number(p.id)}/">${esc(p.title)}</a><br>` +
                      `${esc(p.grade_label || "")}`);
          m.on("click", () => showNearest(p));
          markers.incident[p.id] = m;
          list.push(m);
        }
        layers.incidents.clearLayers();
        layers.incidents.addLayers(list);
        setCount("incidents", list.length);
      }),
      warnings: () => getJson(el.dataset.warnings).then(fc => {
        layers.warnings.clearLayers();
        markers.warning = {};
        L.geoJSON(fc, {
          pointToLayer: (f, latlng) => circle(latlng, LEVEL_COLORS[f.properties.level] || "#999", "cmd-warning", 9),
          style: f => ({color: LEVEL_COLORS[f.properties.level] || "#999", weight: 2, fillOpacity: 0.2}),
          onEachFeature: (f, l) => {
            l.bindPopup(`<a href="${el.dataset.warningUrl}${Number(f.properties.id)}/">${esc(f.properties.headline)}</a>` +
                        `<br>${esc(f.properties.hazard)}`);
            markers.warning[f.properties.id] = l;
          },
        }).addTo(layers.warnings);
        setCount("warnings", fc.features.length);
      }),
      resources: () => getJson(el.dataset.resources).then(fc => {
        const byKind = {};
        for (const f of fc.features) {
          const p = f.properties, [lon, lat] = f.geometry.coordinates;
          const color = p.status === "available" ? (RESOURCE_COLORS[p.layer] || "#333") : "#9e9e9e";
          const m = circle([lat, lon], color, `cmd-resource cmd-resource-${Number(p.id)}`, 6);
          m.bindPopup(`<a href="${el.dataset.resourceUrl}${Number(p.id)}/">${esc(p.title)}</a><br>` +
                      `${esc(labels["resource_" + p.layer])}${p.region ? " · " + esc(p.region) : ""}` +
                      (p.headcount != null ? `<br>${Number(p.headcount)}` : ""));
          (byKind[p.layer] = byKind[p.layer] || []).push(m);
        }
        for (const key of Object.keys(layers).filter(k => k.startsWith("resource_"))) {
          const list = byKind[key.slice(9)] || [];
          layers[key].clearLayers();
          layers[key].addLayers(list);
          setCount(key, list.length);
        }
      }),
      hazards: () => getJson(el.dataset.hazards).then(fc => {
        const list = fc.features.map(f => {
          const p = f.properties, [lon, lat] = f.geometry.coordinates;
          return circle([lat, lon], p.grade === "major" ? "#ad1457" : "#f48fb1", "cmd-hazard", 6)
            .bindPopup(`<a href="${el.dataset.hazardUrl}${Number(p.id)}/">${esc(p.code)}</a><br>${esc(p.title)}`);
        });
        layers.hazards.clearLayers();
        layers.hazards.addLayers(list);
        setCount("hazards", list.length);
      }),
      risk_points: () => getJson(el.dataset.riskPoints).then(fc => {
        const list = fc.features.map(f => {
          const p = f.properties, [lon, lat] = f.geometry.coordinates;
          return circle([lat, lon], "#283593", "cmd-risk", 6)
            .bindPopup(`<a href="${el.dataset.riskUrl}${Number(p.id)}/">${esc(p.code)}</a><br>${esc(p.title)}`);
        });
        layers.risk_points.clearLayers();
        layers.risk_points.addLayers(list);
        setCount("risk_points", list.length);
      }),
    };
    const loaderOf = key => key.startsWith("resource_") ? "resources" : key;

    // Only layers switched on are fetched; switching one on fetches it then.
    function load(keys) {
      const names = [...new Set(keys.filter(k => map.hasLayer(layers[k])).map(loaderOf))];
      return Promise.allSettled(names.map(n => loaders[n]())).then(results => {
        if (results.some(r => r.status === "rejected")) console.warn(msg.layers_failed, results);
      });
    }

    let generation = 0;
    function refresh() {
      // Boundaries change rarely: fetched once (and when switched on again), the rest every time.
      const keys = Object.keys(layers).filter(k => k !== "regions" || !layers.regions.getLayers().length);
      return load(keys).then(() => {
        generation += 1;
        el.dataset.refreshed = String(generation);
        document.getElementById("command-updated").textContent = new Date().toLocaleTimeString();
        if (window.htmx) document.body.dispatchEvent(new Event("command-refresh"));
      });
    }

    // --- nearest teams and dispatch --------------------------------------------------------------------------
    const panel = document.getElementById("nearest-panel");
    const list = document.getElementById("nearest-list");
    const status = document.getElementById("nearest-status");
    let current = null;

    function showNearest(p) {
      current = p;
      panel.hidden = false;
      panel.dataset.incident = String(p.id);
      document.getElementById("nearest-incident").innerHTML =
        `<a href="${el.dataset.incidentUrl}${Number(p.id)}/">${esc(p.title)}</a> ` +
        `<a class="small" href="${el.dataset.nearestPage}?incident=${Number(p.id)}">${esc(msg.all_resources)}</a>`;
      list.innerHTML = "";
      status.textContent = msg.loading;
      const url = `${el.dataset.nearest}?incident=${Number(p.id)}&kind=team&limit=5`;
      fetch(url, {credentials: "same-origin"}).then(r => r.json().then(body => ({ok: r.ok, body}))).then(({ok, body}) => {
        if (current !== p) return;
        if (!ok) { status.textContent = body.detail || msg.failed; return; }
        status.textContent = body.length ? "" : msg.none;
        list.innerHTML = body.map(n => {
          const r = n.resource;
          const travel = n.travel_min != null ? ` · ${Number(n.travel_min).toFixed(0)} ${esc(msg.min)}` : "";
          const button = canDispatch && r.status === "available"
            ? `<button type="button" class="btn btn-sm btn-danger py-0" data-dispatch="${Number(r.id)}">${esc(msg.dispatch)}</button>` : "";
          return `<li class="list-group-item px-1 py-1 d-flex justify-content-between align-items-center gap-1" data-resource="${Number(r.id)}">` +
                 `<span><a href="${el.dataset.resourceUrl}${Number(r.id)}/">${esc(r.name)}</a> ` +
                 `<span class="text-muted">${esc(r.region || "")} · ${Number(n.distance_km).toFixed(2)} ${esc(msg.km)}${travel}</span></span>` +
                 `<span class="cmd-action">${button}</span></li>`;
        }).join("");
      }).catch(() => { status.textContent = msg.failed; });
    }

    list.addEventListener("click", e => {
      const button = e.target.closest("[data-dispatch]");
      if (!button || !current) return;
      button.disabled = true;
      const cell = button.parentElement;
      fetch(el.dataset.dispatches, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
        body: JSON.stringify({incident_id: Number(current.id), team_id: Number(button.dataset.dispatch)}),
      }).then(r => r.json().then(body => ({ok: r.ok, body}))).then(({ok, body}) => {
        if (ok) {
          cell.innerHTML = `<span class="badge bg-success" data-testid="dispatched">${esc(msg.dispatched)}</span>`;
          refresh();
        } else {
          button.disabled = false;
          status.textContent = body.detail || msg.failed;
        }
      }).catch(() => { button.disabled = false; status.textContent = msg.failed; });
    });

    // --- side panel: fly to the marker ------------------------------------------------------------------------
    document.getElementById("command-side").addEventListener("click", e => {
      const item = e.target.closest("[data-fly]");
      if (!item) return;
      const marker = markers[item.dataset.fly][item.dataset.id];
      if (!marker) return;  // no coordinates or layer off: follow the link to the record
      e.preventDefault();
      if (item.dataset.fly === "incident") {
        layers.incidents.zoomToShowLayer(marker, () => marker.openPopup());
        marker.fire("click");
      } else if (marker.getBounds) {
        map.flyToBounds(marker.getBounds(), {maxZoom: 13});
        marker.openPopup();
      } else {
        map.flyTo(marker.getLatLng(), 13);
        marker.openPopup();
      }
    });

    document.getElementById("command-refresh").addEventListener("click", refresh);
    refresh();
    setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
  }

  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("#command-map").forEach(commandMap));
})();
