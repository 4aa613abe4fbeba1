// Small map on the incident page: district boundaries plus the incident point (no tile layer unless configured).
(function () {
  const el = document.getElementById("incident-map");
  if (!el || !window.L) return;
  const lon = parseFloat(el.dataset.lon), lat = parseFloat(el.dataset.lat);
  const map = L.map(el, {zoomControl: true});
  if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, {maxZoom: 18}).addTo(map);
  fetch(el.dataset.geojson, {credentials: "same-origin"}).then(r => r.json()).then(data => {
    L.geoJSON(data, {style: {color: "#6c757d", weight: 1, fillOpacity: 0.03}}).addTo(map);
  }).catch(() => {});
  L.circleMarker([lat, lon], {radius: 9, color: "#dc3545", fillOpacity: 0.8}).addTo(map)
    .bindPopup(el.dataset.title || "");
  map.setView([lat, lon], 12);
})();
