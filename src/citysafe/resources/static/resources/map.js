// Resources map: one clustered layer per kind from the GeoJSON endpoint, with a layer control.
(function () {
  "use strict";
  const COLORS = {team: "#c62828", depot: "#1565c0", equipment: "#6a1b9a", shelter: "#2e7d32", helipad: "#ef6c00",
                  medical: "#00838f"};
  const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

  function resourceMap(el) {
    const map = L.map(el, {zoomSnap: 0.25, maxZoom: 18});
    if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, {maxZoom: 18}).addTo(map);
    map.setView([29.9, 107.8], 7);
    const labels = Object.fromEntries(el.dataset.layers.split(";").map(p => p.split("=")));
    const groups = {};
    for (const kind of Object.keys(labels)) groups[kind] = L.markerClusterGroup().addTo(map);
    fetch(el.dataset.resources, {credentials: "same-origin"}).then(r => r.json()).then(fc => {
      const bounds = [];
      for (const f of fc.features) {
        const p = f.properties, [lon, lat] = f.geometry.coordinates;
        const color = p.status === "available" ? (COLORS[p.layer] || "#333") : "#9e9e9e";
        const marker = L.circleMarker([lat, lon], {radius: 7, color, fillColor: color, fillOpacity: 0.8});
        marker.bindPopup(`<a href="${el.dataset.detailUrl}${p.id}/">${esc(p.title)}</a><br>${esc(labels[p.layer])}` +
                         (p.region ? ` · ${esc(p.region)}` : "") +
                         (p.headcount != null ? `<br>${p.headcount}` : "") +
                         (p.capacity != null ? `<br>${p.occupancy || 0}/${p.capacity}` : ""));
        (groups[p.layer] || groups.team).addLayer(marker);
        bounds.push([lat, lon]);
      }
      const overlays = {};
      for (const [kind, group] of Object.entries(groups)) overlays[`${esc(labels[kind])} (${group.getLayers().length})`] = group;
      L.control.layers(null, overlays, {collapsed: false}).addTo(map);
      if (bounds.length) map.fitBounds(bounds, {maxZoom: 13});
      el.dataset.loaded = String(bounds.length);
    });
  }

  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("#resource-map").forEach(resourceMap));
})();
