// Command map ("一张图"): boundaries, incidents, active warnings, resources by kind, hazards and risk points from the
// apps' scoped GeoJSON endpoints; toggles remembered in localStorage; refetched every 30 s (and on the button) without
// reloading; clicking an incident lists the nearest available teams with a 调派 button (POST /api/v1/resources/dispatches).
(function () {
  "use strict";
  const STORE = "citysafe.command.layers";
  const REFRESH_MS = 30000;
  // Colours are unique per layer: the four warning level colours are used by warnings only, red diamonds by incidents
  // only; resources are badges with one glyph per kind, hazards triangles, risk points rings.
  const RESOURCE_COLORS = {team: "#2e7d32", depot: "#795548", equipment: "#6a1b9a", shelter: "#9e9d24",
                           helipad: "#455a64", medical: "#00838f"};
  const UNAVAILABLE = "#9e9e9e";
  const LEVEL_COLORS = {blue: "#1565c0", yellow: "#f9a825", orange: "#ef6c00", red: "#c62828"};
  const INCIDENT_COLORS = {severe: "#8e0000", other: "#e53935"};
  const HAZARD_COLORS = {major: "#ad1457", general: "#f06292"};
  const RISK_COLOR = "#283593";
  const REGION_COLOR = "#0b3d6b";
  // Cluster bubbles take the layer's colour.
  const CLUSTER_COLORS = {incidents: INCIDENT_COLORS.other, hazards: HAZARD_COLORS.major, risk_points: RISK_COLOR};
  for (const [kind, color] of Object.entries(RESOURCE_COLORS)) CLUSTER_COLORS[`resource_${kind}`] = color;
  const SEVERE = new Set(["especially_major", "major", "level_1", "level_2"]);
  const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  const readJson = id => JSON.parse(document.getElementById(id).textContent);
  // One symbol's HTML (used by the markers and by the legend alike).
  const sym = (shape, color, glyph = "", extra = "") =>
    `<span class="cmd-sym cmd-sym-${shape} ${extra}" style="background:${color};border-color:${color}">${esc(glyph)}</span>`;
  const SIZES = {diamond: 18, badge: 20, triangle: 16, ring: 14, dot: 12};

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

  function clusterIcon(key) {
    const color = CLUSTER_COLORS[key] || "#555";
    return cluster => L.divIcon({
      html: `<div style="background:${color}"><span>${cluster.getChildCount()}</span></div>`,
      className: `cmd-cluster cmd-cluster-${key}`, iconSize: L.point(36, 36)});
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
        : L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50,
                                iconCreateFunction: clusterIcon(key)});
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
      markLegend();
      if (saved[key]) load([key]);
    });
    // --- legend: one row per layer, drawn with the markers' own symbols ------------------------------------------
    const legendRows = {
      regions: sym("outline", REGION_COLOR),
      incidents: `${sym("diamond", INCIDENT_COLORS.severe, "", "cmd-sym-big")}${esc(msg.legend_severe)} ` +
                 `${sym("diamond", INCIDENT_COLORS.other)}${esc(msg.legend_other)}`,
      warnings: ["red", "orange", "yellow", "blue"].map(l => sym("dot", LEVEL_COLORS[l])).join("") +
                `${esc(msg.legend_levels)} <span class="text-muted" data-testid="legend-no-warnings" hidden>` +
                `${esc(msg.no_warnings)}</span>`,
      hazards: `${sym("triangle", HAZARD_COLORS.major)}${esc(msg.legend_major)} ` +
               `${sym("triangle", HAZARD_COLORS.general)}${esc(msg.legend_general)}`,
      risk_points: sym("ring", RISK_COLOR),
    };
    for (const [kind, color] of Object.entries(RESOURCE_COLORS)) legendRows[`resource_${kind}`] = sym("badge", color, msg[`glyph_${kind}`]);
    const legendBody = document.getElementById("command-legend-body");
    if (legendBody) {
      legendBody.innerHTML = Object.keys(layers).map(key => {
        const label = `<span class="fw-semibold">${esc(labels[key])}</span>`;
        const symbols = legendRows[key] || "";
        const row = ["incidents", "warnings", "hazards"].includes(key) ? `${label}：${symbols}` : `${symbols}${label}`;
        return `<div class="cmd-legend-row" data-legend="${esc(key)}">${row}</div>`;
      }).join("") + `<div class="cmd-legend-row" data-legend="unavailable">` +
        `${sym("badge", UNAVAILABLE, msg.glyph_team)}${esc(msg.legend_unavailable)}</div>`;
    }
    function markLegend() {
      document.querySelectorAll("#command-legend-body [data-legend]").forEach(row => {
        const group = layers[row.dataset.legend];
        if (group) row.classList.toggle("cmd-off", !map.hasLayer(group));
      });
    }
    markLegend();
    const legendEl = document.getElementById("command-legend");
    if (legendEl) {
      const legend = L.control({position: "bottomleft"});
      legend.onAdd = () => { legendEl.hidden = false; return legendEl; };
      legend.addTo(map);
    }

    const markers = {incident: {}, warning: {}};
    let regionsLoaded = false;
    const setCount = (key, n) => {
      el.dataset[`count_${key}`] = String(n);
      document.querySelectorAll(`[data-count="${key}"]`).forEach(s => { s.textContent = `(${n})`; });
      if (key === "warnings") {
        // The warnings layer is often empty (no warning in force): say so rather than show nothing.
        document.querySelectorAll("[data-testid=legend-no-warnings]").forEach(s => { s.hidden = n > 0; });
      }
    };
    // A div-icon marker drawn with ``sym`` (clusters fine; class names let tests and styles find it).
    const marker = (latlng, shape, color, cls, {glyph = "", extra = "", pane = "markerPane", size} = {}) => {
      const px = size || SIZES[shape];
      return L.marker(latlng, {pane, icon: L.divIcon({html: sym(shape, color, glyph, extra), className: `cmd-icon ${cls}`,
                                                      iconSize: [px, px], iconAnchor: [px / 2, px / 2],
                                                      popupAnchor: [0, -px / 2]})});
    };
    const popupUrl = id => el.dataset.incidentPopup.replace(/\/0\/popup\/$/, `/${Number(id)}/popup/`);
    const circle = (latlng, color, cls, radius = 7, pane = "overlayPane") =>
      L.circleMarker(latlng, {radius, color: "#222", weight: 1, fillColor: color, fillOpacity: 0.85, className: cls,
                              pane});

    // --- loaders: each fills its group(s) from one endpoint -------------------------------------------------
    const loaders = {
      regions: () => getJson(el.dataset.regions).then(fc => {
        layers.regions.clearLayers();
        const shapes = L.geoJSON(fc, {pane: "cmdRegions", style: () => ({color: REGION_COLOR, weight: 1.5, fillOpacity: 0.04}),
                                      onEachFeature: (f, l) => l.bindTooltip(esc(f.properties.name))});
        shapes.addTo(layers.regions);
        regionsLoaded = true;
        // Count the districts (features), not the one wrapper layer; a user with none keeps the default view.
        setCount("regions", fc.features.length);
        const bounds = shapes.getBounds();
        if (!el.dataset.fitted && fc.features.length && bounds.isValid()) {
          map.fitBounds(bounds);
          el.dataset.fitted = "1";
        }
      }),
      incidents: () => getJson(el.dataset.incidents).then(fc => {
        const list = [];
        markers.incident = {};
        for (const f of fc.features) {
          const p = f.properties, [lon, lat] = f.geometry.coordinates;
          const severe = SEVERE.has(p.grade);
          const m = marker([lat, lon], "diamond", severe ? INCIDENT_COLORS.severe : INCIDENT_COLORS.other,
                           `cmd-incident cmd-incident-${Number(p.id)}`,
                           {extra: severe ? "cmd-sym-big" : "", pane: "cmdIncidents", size: severe ? 22 : 18});
          // Grade, time, casualties and the links (详情, 预案与处置卡, 就近资源) come from the server, on opening.
          m.bindPopup(`<a href="${el.dataset.incidentUrl}${Number(p.id)}/">${esc(p.title)}</a><br>` +
                      `<span class="text-muted">${esc(msg.loading)}</span>`, {minWidth: 220});
          m.on("popupopen", () => {
            fetch(popupUrl(p.id), {credentials: "same-origin"}).then(r => {
              if (!r.ok) throw new Error(String(r.status));
              return r.text();
            }).then(html => m.setPopupContent(html)).catch(() => {});
          });
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
          const color = p.status === "available" ? (RESOURCE_COLORS[p.layer] || "#333") : UNAVAILABLE;
          const m = marker([lat, lon], "badge", color, `cmd-resource cmd-resource-${Number(p.id)}`,
                           {glyph: msg[`glyph_${p.layer}`] || ""});
          const fields = [["headcount", p.headcount], ["capacity", p.capacity], ["occupancy", p.occupancy]]
            .filter(([, v]) => v != null).map(([k, v]) => [k, String(Number(v))]);
          fields.push(["status", msg[`status_${p.status}`] || p.status]);
          m.bindPopup(`<div class="cmd-popup small" data-testid="resource-popup">` +
                      `<div class="fw-bold"><a href="${el.dataset.resourceUrl}${Number(p.id)}/">${esc(p.title)}</a></div>` +
                      `<div class="text-muted">${esc(labels["resource_" + p.layer])}${p.region ? " · " + esc(p.region) : ""}</div>` +
                      fields.map(([k, v]) => `<div data-field="${k}">${esc(msg[k])}${esc(v)}</div>`).join("") + `</div>`);
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
          return marker([lat, lon], "triangle", p.grade === "major" ? HAZARD_COLORS.major : HAZARD_COLORS.general,
                        `cmd-hazard cmd-hazard-${Number(p.id)}`)
            .bindPopup(`<a href="${el.dataset.hazardUrl}${Number(p.id)}/">${esc(p.code)}</a><br>${esc(p.title)}`);
        });
        layers.hazards.clearLayers();
        layers.hazards.addLayers(list);
        setCount("hazards", list.length);
      }),
      risk_points: () => getJson(el.dataset.riskPoints).then(fc => {
        const list = fc.features.map(f => {
          const p = f.properties, [lon, lat] = f.geometry.coordinates;
          return marker([lat, lon], "ring", RISK_COLOR, `cmd-risk cmd-risk-${Number(p.id)}`)
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
      const keys = Object.keys(layers).filter(k => k !== "regions" || !regionsLoaded);
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
    // (teams of other districts are outside a district user's scope: the API does not return them, so mutual aid
    // is pointed to in words — requested from the city, not dispatched from here)
    const noneMessage = el.dataset.districtScoped === "1" ? msg.none_district : msg.none;
      list.innerHTML = "";
      status.textContent = msg.loading;
      const url = `${el.dataset.nearest}?incident=${Number(p.id)}&kind=team&limit=5`;
      fetch(url, {credentials: "same-origin"}).then(r => r.json().then(body => ({ok: r.ok, body}))).then(({ok, body}) => {
        if (current !== p) return;
        if (!ok) { status.textContent = body.detail || msg.failed; return; }
        status.textContent = body.length ? "" : noneMessage;
        status.dataset.empty = body.length ? "0" : "1";
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
