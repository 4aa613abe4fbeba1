// Charts and maps from data in the page: <div class="chart" data-chart-id="x"> + <script id="x" type="application/json">.
(function () {
  const STATUS_COLORS = {achieved: "#2e7d32", on_track: "#1976d2", at_risk: "#f9a825", off_track: "#ef6c00",
                         overdue: "#c62828", no_data: "#9e9e9e"};
  const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  function readJson(id) { const el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }

  function statusPie(el, data) {
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: {trigger: "item"}, legend: {bottom: 0},
      series: [{type: "pie", radius: ["40%", "70%"], data: data.map(d => ({name: d.label, value: d.value,
                 itemStyle: {color: STATUS_COLORS[d.key]}}))}],
    });
    return chart;
  }

  function stackedBars(el, data) {
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: {trigger: "axis"}, legend: {bottom: 0}, grid: {left: 140, right: 20, top: 10, bottom: 40},
      xAxis: {type: "value"}, yAxis: {type: "category", data: data.categories, inverse: true},
      series: data.series.map(s => ({name: s.label, type: "bar", stack: "all", data: s.values,
                                     itemStyle: {color: STATUS_COLORS[s.key]}})),
    });
    return chart;
  }

  function districtMap(el) {
    const map = L.map(el, {zoomSnap: 0.25, maxZoom: 18, attributionControl: true});
    if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, {maxZoom: 18}).addTo(map);
    fetch(el.dataset.geojson, {credentials: "same-origin"}).then(r => r.json()).then(fc => {
      const layer = L.geoJSON(fc, {
        style: () => ({color: "#0b3d6b", weight: 1, fillColor: "#4f8fc0", fillOpacity: 0.25}),
        onEachFeature: (f, l) => l.bindTooltip(esc(f.properties.name)),
      }).addTo(map);
      if (layer.getLayers().length) map.fitBounds(layer.getBounds());
      else map.setView([29.56, 106.55], 8);
      map.attributionControl.addAttribution(fc.attribution || "");
      el.dataset.loaded = String(layer.getLayers().length);
    });
  }

  function hazardBars(el, data) {
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: {trigger: "axis"}, legend: {bottom: 0}, grid: {left: 50, right: 20, top: 10, bottom: 90},
      xAxis: {type: "category", data: data.categories, axisLabel: {rotate: 60}}, yAxis: {type: "value"},
      series: [{name: el.dataset.labelFound || "发现", type: "bar", data: data.found, itemStyle: {color: "#4f8fc0"}},
               {name: el.dataset.labelRectified || "已整改", type: "bar", data: data.rectified, itemStyle: {color: "#2e7d32"}},
               {name: el.dataset.labelOverdue || "逾期", type: "bar", data: data.overdue, itemStyle: {color: "#c62828"}}],
    });
    return chart;
  }

  function baseMap(el) {
    const map = L.map(el, {zoomSnap: 0.25, maxZoom: 18});
    if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, {maxZoom: 18}).addTo(map);
    map.setView([29.9, 107.8], 7);
    return map;
  }

  function choropleth(el) {
    const values = readJson(el.dataset.choropleth) || {};
    const max = Math.max(1, ...Object.values(values));
    const map = baseMap(el);
    fetch(el.dataset.geojson, {credentials: "same-origin"}).then(r => r.json()).then(fc => {
      const layer = L.geoJSON(fc, {
        style: f => { const v = values[f.properties.name] || 0;
          return {color: "#555", weight: 1, fillColor: v ? "#c62828" : "#e0e0e0", fillOpacity: v ? 0.15 + 0.75 * v / max : 0.4}; },
        onEachFeature: (f, l) => l.bindTooltip(`${esc(f.properties.name)}: ${values[f.properties.name] || 0}`),
      }).addTo(map);
      if (layer.getLayers().length) map.fitBounds(layer.getBounds());
      el.dataset.loaded = String(layer.getLayers().length);
    });
  }

  function hazardMap(el) {
    const map = baseMap(el);
    fetch(el.dataset.geojson, {credentials: "same-origin"}).then(r => r.json()).then(fc => {
      const b = L.geoJSON(fc, {style: () => ({color: "#0b3d6b", weight: 1, fillOpacity: 0.05}), interactive: false}).addTo(map);
      if (b.getLayers().length) map.fitBounds(b.getBounds());
    });
    const clusters = {hazard: L.markerClusterGroup({chunkedLoading: true}), risk: L.markerClusterGroup({chunkedLoading: true})};
    const colour = p => p.layer === "risk_point" ? "#1565c0" : (p.grade === "major" ? "#c62828" : "#ef6c00");
    function marker(f, latlng) {
      const p = f.properties;
      const m = L.circleMarker(latlng, {radius: 6, color: colour(p), fillColor: colour(p), fillOpacity: 0.8, weight: 1});
      const base = p.layer === "risk_point" ? el.dataset.riskUrl : el.dataset.hazardUrl;
      m.bindPopup(`<a href="${base}${Number(p.id)}/">${esc(p.code)}</a><br>${esc(p.title)}`);
      return m;
    }
    function load() {
      const grade = document.getElementById("filter-grade").value;
      const open = document.getElementById("filter-open").value;
      const params = new URLSearchParams();
      if (grade) params.set("grade", grade);
      if (open) params.set("open", "true");
      clusters.hazard.clearLayers(); clusters.risk.clearLayers();
      const pending = [];
      if (document.getElementById("layer-hazard").checked) {
        pending.push(fetch(`${el.dataset.hazards}?${params}`, {credentials: "same-origin"}).then(r => r.json()).then(fc => {
          clusters.hazard.addLayer(L.geoJSON(fc, {pointToLayer: marker})); map.addLayer(clusters.hazard);
          el.dataset.hazards_loaded = String(fc.features.length); }));
      }
      if (document.getElementById("layer-risk").checked) {
        pending.push(fetch(el.dataset.riskPoints, {credentials: "same-origin"}).then(r => r.json()).then(fc => {
          clusters.risk.addLayer(L.geoJSON(fc, {pointToLayer: marker})); map.addLayer(clusters.risk);
          el.dataset.risk_loaded = String(fc.features.length); }));
      }
      Promise.all(pending).then(() => { el.dataset.ready = "1"; });
    }
    document.getElementById("map-filters").addEventListener("change", load);
    load();
  }

  const LEVEL_COLORS = {blue: "#1565c0", yellow: "#f9a825", orange: "#ef6c00", red: "#c62828"};

  function warningMap(el) {
    const map = baseMap(el);
    fetch(el.dataset.geojson, {credentials: "same-origin"}).then(r => r.json()).then(fc => {
      const b = L.geoJSON(fc, {style: () => ({color: "#0b3d6b", weight: 1, fillOpacity: 0.05}), interactive: false}).addTo(map);
      if (b.getLayers().length) map.fitBounds(b.getBounds());
    });
    const layer = L.layerGroup().addTo(map);
    function refresh() {
      fetch(el.dataset.warnings, {credentials: "same-origin"}).then(r => r.json()).then(fc => {
        layer.clearLayers();
        L.geoJSON(fc, {
          pointToLayer: (f, latlng) => L.circleMarker(latlng, {radius: 9, color: "#222", weight: 1,
            fillColor: LEVEL_COLORS[f.properties.level] || "#999", fillOpacity: 0.9}),
          style: f => ({color: LEVEL_COLORS[f.properties.level] || "#999", weight: 2, fillOpacity: 0.25}),
          onEachFeature: (f, l) => l.bindPopup(`<a href="${el.dataset.detailUrl}${Number(f.properties.id)}/">${esc(f.properties.headline)}</a>`),
        }).addTo(layer);
        el.dataset.count = String(fc.features.length);
      });
    }
    refresh();
    setInterval(refresh, 10000);
  }

  function readingChart(el) {
    const data = readJson(el.dataset.chartId);
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: {trigger: "axis"}, grid: {left: 60, right: 30, top: 30, bottom: 40},
      xAxis: {type: "time"}, yAxis: {type: "value", name: data.unit},
      series: [{type: "line", showSymbol: false, name: data.metric, data: data.points,
        markLine: {symbol: "none", data: data.thresholds.map(t => ({yAxis: t.value, name: t.label,
          lineStyle: {color: LEVEL_COLORS[t.level] || "#999", type: "dashed"}, label: {formatter: t.label}}))}}],
    });
    return chart;
  }

  window.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("#warning-map").forEach(warningMap);
    document.querySelectorAll("[data-reading-chart]").forEach(readingChart);
    document.querySelectorAll("[data-chart]").forEach(el => {
      const data = readJson(el.dataset.chartId);
      const chart = {pie: statusPie, bars: stackedBars, "hazard-bars": hazardBars}[el.dataset.chart](el, data);
      window.addEventListener("resize", () => chart.resize());
    });
    document.querySelectorAll("#hazard-map").forEach(hazardMap);
    document.querySelectorAll("[data-choropleth]").forEach(choropleth);
    document.querySelectorAll("[data-geojson]:not(#hazard-map):not(#warning-map):not([data-choropleth])").forEach(districtMap);
  });
})();
