// Charts and maps from data in the page: <div class="chart" data-chart-id="x"> + <script id="x" type="application/json">.
(function () {
  const STATUS_COLORS = {achieved: "#2e7d32", on_track: "#1976d2", at_risk: "#f9a825", off_track: "#ef6c00",
                         overdue: "#c62828", no_data: "#9e9e9e"};
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
    const map = L.map(el, {zoomSnap: 0.25, attributionControl: true});
    if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, {maxZoom: 18}).addTo(map);
    fetch(el.dataset.geojson, {credentials: "same-origin"}).then(r => r.json()).then(fc => {
      const layer = L.geoJSON(fc, {
        style: () => ({color: "#0b3d6b", weight: 1, fillColor: "#4f8fc0", fillOpacity: 0.25}),
        onEachFeature: (f, l) => l.bindTooltip(f.properties.name),
      }).addTo(map);
      if (layer.getLayers().length) map.fitBounds(layer.getBounds());
      else map.setView([29.56, 106.55], 8);
      map.attributionControl.addAttribution(fc.attribution || "");
      el.dataset.loaded = String(layer.getLayers().length);
    });
  }

  window.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-chart]").forEach(el => {
      const data = readJson(el.dataset.chartId);
      const chart = {pie: statusPie, bars: stackedBars}[el.dataset.chart](el, data);
      window.addEventListener("resize", () => chart.resize());
    });
    document.querySelectorAll("[data-geojson]").forEach(districtMap);
  });
})();
